"""The deployment: docker-compose.yml, the server image, and the whole stack answering.

These need the Docker engine, the base image `codex-ws/debian:bookworm` (scripts/base-image.sh)
and Debian's `docker-compose` (1.29). The end-to-end test builds the sandbox images from this
tree as `make images` does (a no-op when they are current).
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
def test_compose_file_requires_its_secrets(name: str) -> None:
    env = _env()
    del env[name]
    rendered = _run([_docker_compose(), "config"], env)
    assert rendered.returncode != 0
    assert name in rendered.stderr


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
        "import json, os, sandbox.engine as e, sandbox.images as i, codex_ws.openapi as o; "
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


@pytest.mark.timeout(900)
def test_compose_stack_serves_health_and_runs_code(server_image: str) -> None:
    compose = _docker_compose()
    port = _free_port()
    env = _env(
        COMPOSE_PROJECT_NAME=f"codexwstest{os.getpid()}",
        CODEX_SERVER_IMAGE=server_image,
        CODEX_PUBLISH_PORT=str(port),
        CODEX_SERVER_HOSTNAME=f"codex-test-{os.getpid()}",
    )
    try:
        up = _run(["bash", "scripts/compose.sh", "up", "-d", "--build"], env, timeout=780)
        assert up.returncode == 0, _output(up)
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
    finally:
        down = _run([compose, "down", "-v", "--remove-orphans"], env)
    assert down.returncode == 0, _output(down)
