from sandbox import LanguageRegistry, LimitPolicy
from sandbox.container_config import container_config


def config() -> dict:  # type: ignore[type-arg]
    spec = LanguageRegistry().get("python")
    return container_config(
        spec=spec,
        image="codex-ws/sandbox-python:latest",
        limits=LimitPolicy().resolve(spec),
        run_id="r1",
        owner="host/1:2",
        seccomp_profile='{"defaultAction":"SCMP_ACT_ERRNO"}',
        engine_id="e1",
    )


def test_every_lock_of_the_security_table_is_set() -> None:
    body = config()
    host = body["HostConfig"]
    assert body["User"] == "1000:1000"
    assert body["NetworkDisabled"] is True
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"][0] == "no-new-privileges:true"
    assert host["SecurityOpt"][1].startswith("seccomp={")
    assert host["Memory"] == host["MemorySwap"] == 128 << 20
    assert host["PidsLimit"] == 64
    assert host["Init"] is True
    assert host["IpcMode"] == "private"
    assert host["LogConfig"]["Type"] == "none"
    assert "noexec" in host["Tmpfs"]["/tmp"] and "size=64m" in host["Tmpfs"]["/tmp"]
    assert {u["Name"] for u in host["Ulimits"]} == {"nofile", "fsize", "core"}
    assert "Binds" not in host and "Mounts" not in host


def test_containers_are_labelled_for_the_orphan_sweep() -> None:
    labels = config()["Labels"]
    assert labels["codex.sandbox"] == "1"
    assert labels["codex.run"] == "r1"
    assert labels["codex.owner"] == "host/1:2"
    assert labels["codex.engine"] == "e1"
