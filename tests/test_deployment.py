"""The deployment: docker-compose.yml, the server image, and the whole stack answering.

These need the Docker engine, the base image `codex-ws/debian:bookworm` (scripts/base-image.sh)
and Debian's `docker-compose` (1.29). The end-to-end test builds the sandbox images from this
tree as `make images` does (a no-op when they are current), and runs two deployments side by
side.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOCKET = Path("/var/run/docker.sock")
TEST_IMAGE = "codex-ws/server:test"
SERVICES = {"postgres", "redis", "images", "server"}
REQUIRED = ("CODEX_JWT_SECRET", "CODEX_POSTGRES_PASSWORD", "DOCKER_GID")

pytestmark = pytest.mark.docker


def _docker_compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        pytest.fail(
            "docker-compose is not installed: install Debian's package `docker-compose` "
            "(apt-get install docker-compose, version 1.29)"
        )
    return path


def _env(**overrides: str) -> dict[str, str]:
    """This process's environment without any deployment setting, plus `overrides`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CODEX_", "COMPOSE_"))
        and name not in ("DOCKER_GID", "DOCKER_SOCKET")
    }
    env.update(
        CODEX_JWT_SECRET=secrets.token_urlsafe(48),
        CODEX_POSTGRES_PASSWORD=secrets.token_hex(16),
        DOCKER_GID=str(SOCKET.stat().st_gid) if SOCKET.exists() else "0",
    )
    env.update(overrides)
    return env


def _env_without_settings(**overrides: str) -> dict[str, str]:
    """`_env()` without the required settings, and without a socket to find DOCKER_GID by."""
    env = _env(DOCKER_SOCKET="/nonexistent/docker.sock", **overrides)
    for name in REQUIRED:
        del env[name]
    return env


def _run(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _output(process: subprocess.CompletedProcess[str], lines: int = 40) -> str:
    text = (process.stdout + process.stderr).strip().splitlines()
    return "\n".join(text[-lines:])


# -- docker-compose.yml -----------------------------------------------------------------------


def test_compose_file_is_valid_and_lists_the_services() -> None:
    compose = _docker_compose()
    listed = _run([compose, "config", "--services"], _env())
    assert listed.returncode == 0, _output(listed)
    assert set(listed.stdout.split()) == SERVICES

    rendered = _run([compose, "config"], _env(DOCKER_GID="4242", CODEX_JWT_SECRET="s" * 40))
    assert rendered.returncode == 0, _output(rendered)
    services: dict[str, Any] = yaml.safe_load(rendered.stdout)["services"]
    server = services["server"]
    assert server["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "images": {"condition": "service_completed_successfully"},
    }
    assert server["environment"]["CODEX_JWT_SECRET"] == "s" * 40
    assert server["environment"]["CODEX_ENV"] == "production"
    assert server["environment"]["CODEX_DATABASE_URL"].endswith("@postgres:5432/codex")
    for name in ("server", "images"):
        assert services[name]["group_add"] == ["4242"]
        assert any(v.startswith("/var/run/docker.sock:") for v in services[name]["volumes"])
        assert services[name]["image"] == services["server"]["image"]
    assert services["images"]["command"] == ["codex-ws", "images", "build"]
    assert any("/var/lib/postgresql/data" in v for v in services["postgres"]["volumes"])


@pytest.mark.parametrize("name", REQUIRED)
def test_compose_script_refuses_to_start_without_a_setting(name: str, tmp_path: Path) -> None:
    project = f"codexwscheck{os.getpid()}"
    # An empty env file stands for the .env a checkout may have.
    empty = tmp_path / "empty.env"
    empty.touch()
    env = _env(DOCKER_SOCKET="/nonexistent/docker.sock")
    del env[name]
    up = _run(
        ["bash", "scripts/compose.sh", "--env-file", str(empty), "-p", project, "up", "-d"], env
    )
    assert up.returncode != 0
    # The check's own message (the rest of compose's message quotes every template).
    assert f": set {name}" in up.stderr, _output(up)
    assert "not starting anything" in up.stderr
    listed = _run([_docker_compose(), "-p", project, "ps", "-q"], env)
    assert listed.returncode == 0, _output(listed)
    assert listed.stdout.strip() == ""


@pytest.mark.parametrize("command", [["ps"], ["logs", "--no-color"], ["down"], ["config", "-q"]])
def test_compose_commands_that_create_nothing_need_no_settings(
    command: list[str], tmp_path: Path
) -> None:
    env = _env_without_settings()
    project = f"codexwsnone{os.getpid()}"
    empty = tmp_path / "empty.env"
    empty.touch()
    for runner in ([_docker_compose()], ["bash", "scripts/compose.sh"]):
        done = _run([*runner, "--env-file", str(empty), "-p", project, *command], env)
        assert done.returncode == 0, _output(done)


# -- the server image -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_image() -> Iterator[str]:
    """The server image, built from this tree on the locally bootstrapped base."""
    base = _run(["docker", "image", "inspect", "codex-ws/debian:bookworm"])
    if base.returncode != 0:
        pytest.fail("base image codex-ws/debian:bookworm is missing: run scripts/base-image.sh")
    wheels = _run(["bash", "scripts/compose.sh", "wheels"], timeout=600)
    assert wheels.returncode == 0, _output(wheels)
    built = _run(["docker", "build", "-t", TEST_IMAGE, "."], timeout=840)
    assert built.returncode == 0, _output(built)
    yield TEST_IMAGE
    _run(["docker", "image", "rm", TEST_IMAGE])


@pytest.mark.timeout(900)
def test_server_image_builds_and_runs_the_cli(server_image: str) -> None:
    help_text = _run(["docker", "run", "--rm", "--entrypoint", "codex-ws", server_image, "--help"])
    assert help_text.returncode == 0, _output(help_text)
    assert "serve" in help_text.stdout

    probe = (
        "import json, os, sandbox.engine as e, sandbox.images as i, codex_ws.routes.docs as o; "
        "print(json.dumps({'uid': os.getuid(), 'root': str(e.SOURCE_ROOT), "
        "'seccomp': e.SECCOMP_PROFILE.is_file(), 'images': i.IMAGES_DIR.is_dir(), "
        "'docs': str(o.OPENAPI_FILE.parent)}))"
    )
    found = _run(["docker", "run", "--rm", server_image, "python3", "-c", probe])
    assert found.returncode == 0, _output(found)
    assert json.loads(found.stdout) == {
        "uid": 10001,
        "root": "/app",
        "seccomp": True,
        "images": True,
        "docs": "/app/docs",
    }

    inspected = _run(["docker", "image", "inspect", server_image])
    config = json.loads(inspected.stdout)[0]["Config"]
    assert config["User"] == "codex"
    assert "4003/tcp" in config["ExposedPorts"]
    assert config["Cmd"] == ["codex-ws", "serve"]
    assert "/api/health" in " ".join(config["Healthcheck"]["Test"])


# -- the whole stack --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if payload else {}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def _wait_healthy(port: int, seconds: float) -> tuple[int, Any]:
    deadline = time.monotonic() + seconds
    last: tuple[int, Any] = (0, "no answer")
    while time.monotonic() < deadline:
        try:
            last = _request(port, "GET", "/api/health")
        except (OSError, http.client.HTTPException, json.JSONDecodeError) as exc:
            last = (0, repr(exc))
        if last[0] == 200:
            break
        time.sleep(1)
    return last


def _deployment(name: str, server_image: str) -> tuple[dict[str, str], int]:
    """The environment of one deployment of its own: project name, port and host name."""
    port = _free_port()
    env = _env(
        COMPOSE_PROJECT_NAME=f"codexws{name}{os.getpid()}",
        CODEX_SERVER_IMAGE=server_image,
        CODEX_PUBLISH_PORT=str(port),
        CODEX_SERVER_HOSTNAME=f"codex-{name}-{os.getpid()}",
    )
    return env, port


def _without_settings(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in REQUIRED}


def _assert_serving(compose: str, env: dict[str, str], port: int) -> None:
    status, health = _wait_healthy(port, 120)
    logs = _run([compose, "logs", "--no-color", "--tail", "30"], env)
    assert status == 200, f"{health}\n{_output(logs, 90)}"
    assert health["checks"]["images"]["ok"], health

    status, result = _request(
        port,
        "POST",
        "/api/execute",
        {"language": "python", "code": "print(input()[::-1])", "stdin": "olleh\n"},
    )
    assert status == 200, result
    assert result["output"] == "hello\n", result


@pytest.mark.timeout(1200)
def test_two_compose_deployments_serve_side_by_side(server_image: str) -> None:
    compose = _docker_compose()
    first, first_port = _deployment("one", server_image)
    second, second_port = _deployment("two", server_image)
    try:
        up = _run(["bash", "scripts/compose.sh", "up", "-d", "--build"], first, timeout=780)
        assert up.returncode == 0, _output(up)
        _assert_serving(compose, first, first_port)

        up = _run(["bash", "scripts/compose.sh", "up", "-d"], second, timeout=300)
        assert up.returncode == 0, _output(up)
        _assert_serving(compose, second, second_port)

        # Each project lists its own containers, without the settings.
        for env in (first, second):
            listed = _run([compose, "ps"], _without_settings(env))
            assert listed.returncode == 0, _output(listed)
            assert f"{env['COMPOSE_PROJECT_NAME']}_server_1" in listed.stdout, listed.stdout
            other = second if env is first else first
            assert other["COMPOSE_PROJECT_NAME"] not in listed.stdout, listed.stdout

        # Another host name: the second server took none of the first's sandboxes for leftovers.
        logs = _run([compose, "logs", "--no-color", "server"], _without_settings(second))
        assert "left behind" not in logs.stdout, _output(logs, 90)

        # The second goes away without its settings; the first serves on.
        down = _run([compose, "down", "-v", "--remove-orphans"], _without_settings(second))
        assert down.returncode == 0, _output(down)
        _assert_serving(compose, first, first_port)
    finally:
        downs = [
            _run([compose, "down", "-v", "--remove-orphans"], _without_settings(env))
            for env in (second, first)
        ]
    for down in downs:
        assert down.returncode == 0, _output(down)
