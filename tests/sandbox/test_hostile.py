"""The hostile cases the sandbox is built against (1-16 and 18), each against the real engine.

After each one, no sandbox container remains and a hello-world canary still passes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import time
from collections.abc import AsyncIterator

import pytest

from sandbox import Engine, ExitEvent, RequestedLimits
from tests.conftest import assert_canary_passes, assert_nothing_left, checked, read_until

pytestmark = [pytest.mark.docker, pytest.mark.hostile]

SHORT = RequestedLimits(timeout_ms=3000)


@pytest.fixture(autouse=True)
async def _aftermath(engine: Engine, small_output_engine: Engine) -> AsyncIterator[None]:
    yield
    await assert_nothing_left(engine, small_output_engine)
    await assert_canary_passes(engine)


# 1. Fork bombs ------------------------------------------------------------------------


async def test_python_fork_bomb_is_bounded(engine: Engine) -> None:
    code = """import os, sys
forks = failures = 0
for _ in range(300):
    try:
        if os.fork() == 0:
            import time; time.sleep(30); os._exit(0)
        forks += 1
    except OSError:
        failures += 1
print(f"forks={forks} failures={failures}", flush=True)
import time; time.sleep(30)
"""
    result = await engine.execute(checked(engine, "python", code, limits=SHORT))
    assert result.status == "timeout", result
    forks, failures = (int(part.split("=")[1]) for part in result.output.split())
    assert forks < 64 <= failures


async def test_shell_fork_bomb_is_bounded(engine: Engine) -> None:
    code = "import subprocess\nsubprocess.run(['bash', '-c', ':(){ :|:& };:'])\n"
    result = await engine.execute(
        checked(engine, "python", code + "import time; time.sleep(30)\n", limits=SHORT)
    )
    assert result.status == "timeout", result


async def test_node_child_process_bomb_is_bounded(engine: Engine) -> None:
    code = """const { spawn } = require("child_process");
let ok = 0, failed = 0;
for (let i = 0; i < 500; i++) {
  try {
    const child = spawn("sleep", ["30"]);
    child.on("error", () => { failed++; });
    ok++;
  } catch (e) { failed++; }
}
setTimeout(() => console.log(`failed>0: ${failed > 0}`), 1000);
setTimeout(() => {}, 30000);
"""
    result = await engine.execute(checked(engine, "javascript", code, limits=SHORT))
    assert result.status in ("timeout", "runtime_error", "killed"), result
    assert result.duration_ms < 5000


# 2. Thread bombs ----------------------------------------------------------------------


async def test_java_thread_bomb_is_bounded_and_the_jvm_still_works(engine: Engine) -> None:
    code = """public class Main {
    public static void main(String[] args) {
        int started = 0;
        try {
            while (true) {
                new Thread(() -> {
                    try { Thread.sleep(60000); } catch (Exception e) { }
                }).start();
                started++;
            }
        } catch (Throwable e) {
            System.out.println("stopped after " + started + ": " + e.getClass().getName());
        }
        System.exit(0);
    }
}
"""
    result = await engine.execute(
        checked(engine, "java", code, limits=RequestedLimits(timeout_ms=8000))
    )
    assert result.status in ("ok", "timeout", "memory_limit"), result
    if result.status == "ok":
        assert int(_stopped_after(result.output)) < 64, result.output
    await assert_canary_passes(engine, "java")


async def test_csharp_thread_bomb_is_bounded(engine: Engine) -> None:
    code = """using System;
using System.Threading;
class P {
    static void Main() {
        int started = 0;
        try {
            while (true) { new Thread(() => Thread.Sleep(60000)).Start(); started++; }
        } catch (Exception e) {
            Console.WriteLine("stopped after " + started + ": " + e.GetType().Name);
        }
        Environment.Exit(0);
    }
}
"""
    result = await engine.execute(
        checked(engine, "csharp", code, limits=RequestedLimits(timeout_ms=8000))
    )
    assert result.status in ("ok", "timeout", "memory_limit", "runtime_error", "killed"), result
    if result.status == "ok":
        assert int(_stopped_after(result.output)) < 64, result.output
    await assert_canary_passes(engine, "csharp")


def _stopped_after(output: str) -> str:
    match = re.search(r"stopped after (\d+)", output)
    assert match, output
    return match.group(1)


# 3. Memory bombs ----------------------------------------------------------------------

MEMORY_BOMBS = {
    "python": "blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))\n",
    "javascript": "const a = [];\nwhile (true) a.push(Buffer.alloc(16 * 1024 * 1024, 1));\n",
    "java": """import java.util.*;
public class Main {
    public static void main(String[] args) {
        List<long[]> blocks = new ArrayList<>();
        while (true) blocks.add(new long[2 * 1024 * 1024]);
    }
}
""",
    "csharp": """using System.Collections.Generic;
class P {
    static void Main() {
        var blocks = new List<long[]>();
        while (true) {
            var b = new long[2 * 1024 * 1024];
            for (int i = 0; i < b.Length; i += 512) b[i] = i;
            blocks.Add(b);
        }
    }
}
""",
}
OWN_OOM_ERRORS = {
    "python": "MemoryError",
    "javascript": "heap out of memory",
    "java": "OutOfMemoryError",
    "csharp": "OutOfMemoryException",
}


@pytest.mark.parametrize("language", list(MEMORY_BOMBS))
async def test_memory_bomb_hits_the_limit(engine: Engine, language: str) -> None:
    result = await engine.execute(checked(engine, language, MEMORY_BOMBS[language], limits=SHORT))
    own_error = OWN_OOM_ERRORS[language] in result.error
    assert result.status == "memory_limit" or own_error, result
    assert result.status != "timeout", result


# 4. Filling /tmp ----------------------------------------------------------------------


async def test_filling_tmp_stops_at_the_tmpfs_size(engine: Engine) -> None:
    code = """import errno, os
total = 0
try:
    for i in range(1000):
        with open(f"/tmp/fill{i}", "wb") as f:
            for _ in range(8):
                f.write(b"x" * (1 << 20))
                total += 1 << 20
except OSError as e:
    print(errno.errorcode[e.errno], total >> 20)
"""
    result = await engine.execute(checked(engine, "python", code))
    error, megabytes = result.output.split()
    assert error == "ENOSPC", result
    assert int(megabytes) <= 64


async def test_one_huge_file_stops_at_the_file_size_limit(engine: Engine) -> None:
    code = """import errno
try:
    with open("/tmp/big", "wb") as f:
        for _ in range(64):
            f.write(b"x" * (1 << 20))
except OSError as e:
    print(errno.errorcode[e.errno])
"""
    result = await engine.execute(checked(engine, "python", code))
    assert result.output.strip() in ("EFBIG", "ENOSPC"), result


# 5 and 6. CPU loops and sleeps end at the timeout -------------------------------------

CPU_LOOPS = {
    "single": "while True:\n    pass\n",
    "multi": """import threading
def spin():
    while True:
        pass
for _ in range(8):
    threading.Thread(target=spin).start()
""",
    "sleep": "import time\ntime.sleep(60)\n",
}


@pytest.mark.parametrize("kind", list(CPU_LOOPS))
async def test_loops_and_sleeps_end_at_the_timeout(engine: Engine, kind: str) -> None:
    limit_ms = 2000
    started = time.monotonic()
    result = await engine.execute(
        checked(engine, "python", CPU_LOOPS[kind], limits=RequestedLimits(timeout_ms=limit_ms))
    )
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and result.timed_out, result
    assert limit_ms <= result.duration_ms <= limit_ms + 500, result
    assert elapsed < limit_ms / 1000 + 3


async def test_the_canary_runs_while_cpu_loops_spin(engine: Engine) -> None:
    hogs = [
        asyncio.create_task(
            engine.execute(
                checked(
                    engine, "python", CPU_LOOPS["multi"], limits=RequestedLimits(timeout_ms=4000)
                )
            )
        )
        for _ in range(2)
    ]
    await asyncio.sleep(1)
    await assert_canary_passes(engine)
    assert {r.status for r in await asyncio.gather(*hogs)} == {"timeout"}


# 7 and 8. Output floods ---------------------------------------------------------------

FLOODS = {
    "stdout": "while True:\n    print('y' * 80)\n",
    "stderr": "import sys\nwhile True:\n    print('n' * 80, file=sys.stderr)\n",
    "one-line": "import sys\nwhile True:\n    sys.stdout.write('z' * 4096)\n",
}


@pytest.mark.parametrize("kind", list(FLOODS))
async def test_output_flood_is_cut_at_the_cap(small_output_engine: Engine, kind: str) -> None:
    cap = small_output_engine.policy.output_bytes
    result = await small_output_engine.execute(checked(small_output_engine, "python", FLOODS[kind]))
    assert result.status == "output_limit", result
    assert result.truncated
    assert len((result.output + result.error).encode()) == cap
    assert result.duration_ms < 3000, "the program must be killed as soon as the cap is reached"


@pytest.mark.parametrize("language", ["java", "csharp"])
async def test_compiler_output_flood_is_capped(small_output_engine: Engine, language: str) -> None:
    body = "\n".join(f"int x{i} = undefined_{i};" for i in range(2000))
    code = (
        f"public class Main {{ static void f() {{ {body} }} }}"
        if language == "java"
        else f"class P {{ static void Main() {{ {body} }} }}"
    )
    result = await small_output_engine.execute(checked(small_output_engine, language, code))
    assert result.status == "compile_error", result
    assert len(result.compile_output.encode()) <= small_output_engine.policy.output_bytes
    assert result.truncated
    assert result.compile_output.count("error") >= 20


# 9. Network ---------------------------------------------------------------------------


async def test_the_network_is_unreachable(engine: Engine) -> None:
    bridge = await engine.docker.networks.get("bridge")
    config = (await bridge.show())["IPAM"]["Config"][0]
    gateway = config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    code = f"""import socket
for host, port in [("192.0.2.1", 80), ({gateway!r}, 2375)]:
    try:
        socket.create_connection((host, port), timeout=2)
        print("connected", host)
    except OSError as e:
        print("refused", host, type(e).__name__)
try:
    socket.getaddrinfo("example.com", 80)
    print("resolved")
except OSError as e:
    print("no dns", type(e).__name__)
"""
    result = await engine.execute(checked(engine, "python", code))
    assert result.status == "ok", result
    assert "connected" not in result.output and "resolved" not in result.output
    assert result.output.count("refused") == 2 and "no dns" in result.output


# 10. Read-only root -------------------------------------------------------------------


async def test_everything_but_tmp_is_read_only(engine: Engine) -> None:
    code = """import os
for path in ["/etc/passwd-x", "/usr/bin/evil", os.path.expanduser("~/.bashrc"), "/codex"]:
    try:
        open(path, "w").write("x")
        print("wrote", path)
    except OSError as e:
        print(e.strerror)
"""
    result = await engine.execute(checked(engine, "python", code))
    assert "wrote" not in result.output, result
    assert result.output.count("Read-only file system") == 4


# 11. No privileges --------------------------------------------------------------------


async def test_the_process_is_unprivileged(engine: Engine) -> None:
    code = """import os, subprocess
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines()
              if ":\\t" in line)
for key in ("Uid", "CapEff", "NoNewPrivs", "Seccomp"):
    print(key, status[key].split()[0])
try:
    os.setuid(0)
    print("setuid worked")
except PermissionError:
    print("setuid denied")
for cmd in (["su", "-c", "id"], ["sudo", "id"]):
    try:
        done = subprocess.run(cmd, input=b"", capture_output=True, timeout=5)
        print(cmd[0], "exit", done.returncode, b"uid=0" in done.stdout)
    except FileNotFoundError:
        print(cmd[0], "missing")
"""
    result = await engine.execute(checked(engine, "python", code))
    lines = result.output.splitlines()
    assert lines[:4] == ["Uid 1000", "CapEff 0000000000000000", "NoNewPrivs 1", "Seccomp 2"]
    assert "setuid denied" in lines
    assert not any(line.endswith("True") for line in lines), lines
    assert any(line.startswith("su ") for line in lines)


# 12. Denied syscalls ------------------------------------------------------------------


async def test_dangerous_syscalls_are_denied_and_the_program_goes_on(engine: Engine) -> None:
    code = """import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, *args):
    rc = libc.syscall(*args)
    print(name, "denied" if rc == -1 else "ALLOWED", os.strerror(ctypes.get_errno()))
SYS = dict(ptrace=101, unshare=272, mount=165, keyctl=250, bpf=321, setns=308,
           perf_event_open=298, io_uring_setup=425, userfaultfd=323, add_key=248)
pid = os.fork()
if pid == 0:
    import time; time.sleep(10); os._exit(0)
attempt("ptrace", SYS["ptrace"], 16, pid, 0, 0)
attempt("unshare", SYS["unshare"], 0x20000000)
attempt("mount", SYS["mount"], b"none", b"/tmp", b"tmpfs", 0, 0)
attempt("keyctl", SYS["keyctl"], 0, 0, 0, 0)
attempt("add_key", SYS["add_key"], b"user", b"k", b"v", 1, -2)
attempt("bpf", SYS["bpf"], 0, 0, 0)
attempt("setns", SYS["setns"], 0, 0)
attempt("perf_event_open", SYS["perf_event_open"], 0, 0, -1, -1, 0)
attempt("io_uring_setup", SYS["io_uring_setup"], 1, 0)
attempt("userfaultfd", SYS["userfaultfd"], 0)
os.kill(pid, 9)
print("still running")
"""
    result = await engine.execute(checked(engine, "python", code))
    assert result.status == "ok", result
    lines = result.output.splitlines()
    assert lines[-1] == "still running"
    assert len(lines) == 11 and not [line for line in lines if "ALLOWED" in line], lines


async def test_sockets_other_than_unix_are_refused(engine: Engine) -> None:
    code = """import socket
a, b = socket.socketpair()
a.sendall(b"ping"); print(b.recv(4).decode())
for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):
    try:
        socket.socket(family, socket.SOCK_RAW if family == socket.AF_PACKET else socket.SOCK_DGRAM)
        print("opened", family)
    except OSError as e:
        print("refused", e.errno)
"""
    result = await engine.execute(checked(engine, "python", code))
    assert result.output.splitlines()[0] == "ping", result
    assert "opened" not in result.output
    assert result.output.count("refused") == 4


# 13. Zombies --------------------------------------------------------------------------


async def test_a_thousand_orphans_are_reaped_by_init(engine: Engine) -> None:
    code = """import os
made = 0
for _ in range(1000):
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os._exit(0)   # the grandchild: orphaned, then reaped by init
        os._exit(0)
    os.waitpid(pid, 0)
    made += 1
print("made", made)
"""
    result = await engine.execute(
        checked(engine, "python", code, limits=RequestedLimits(timeout_ms=20_000))
    )
    assert (result.status, result.output) == ("ok", "made 1000\n"), result


# 14. Closed stdout and stderr ---------------------------------------------------------


async def test_closing_stdout_and_stderr_does_not_end_the_run_early(engine: Engine) -> None:
    code = "import os, time\nprint('bye', flush=True)\nos.close(1)\nos.close(2)\ntime.sleep(60)\n"
    result = await engine.execute(
        checked(engine, "python", code, limits=RequestedLimits(timeout_ms=2000))
    )
    assert result.status == "timeout", result
    assert result.output == "bye\n"
    assert 2000 <= result.duration_ms <= 2500


# 15. Signals the program cannot dodge -------------------------------------------------


async def test_kill_minus_one_while_ignoring_sigterm_still_ends_the_run(engine: Engine) -> None:
    code = """import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    time.sleep(60)
os.kill(-1, signal.SIGKILL)   # every process it may signal (the runner too), but itself
time.sleep(60)
"""
    result = await engine.execute(
        checked(engine, "python", code, limits=RequestedLimits(timeout_ms=5000))
    )
    assert (result.status, result.signal) in {("killed", "SIGKILL"), ("timeout", "SIGKILL")}
    assert result.duration_ms < 5600


async def test_a_program_ignoring_sigterm_still_dies_on_kill(engine: Engine) -> None:
    code = """import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(0.1)
"""
    run = await engine.start(checked(engine, "python", code))
    try:
        events = run.events()
        assert await read_until(events, "ready\n") == "ready\n"
        await run.send_signal("SIGTERM")
        await asyncio.sleep(0.5)
        assert not run.finished
        await run.send_signal("SIGKILL")
        async with asyncio.timeout(5):
            last = [e async for e in events][-1]
    finally:
        await run.close()
    assert isinstance(last, ExitEvent)
    assert (last.status, last.signal) == ("killed", "SIGKILL")


# 16. Runs are isolated from each other ------------------------------------------------


async def test_concurrent_runs_do_not_see_each_other(engine: Engine) -> None:
    first = """import os, time
from multiprocessing import shared_memory
open("/tmp/secret-of-first", "w").write("s3cret")
shm = shared_memory.SharedMemory(name="codexshared", create=True, size=4096)
print("ready", os.getpid(), flush=True)
time.sleep(30)
"""
    second = """import os
print(sorted(os.listdir("/tmp")))
print(sorted(os.listdir("/dev/shm")))
pids = [p for p in os.listdir("/proc") if p.isdigit()]
cmds = [open(f"/proc/{p}/cmdline", "rb").read() for p in pids]
print(any(b"secret" in c or b"sleep" in c for c in cmds), len(pids) < 6)
"""
    run = await engine.start(
        checked(engine, "python", first, limits=RequestedLimits(timeout_ms=20_000))
    )
    try:
        await read_until(run.events(), "ready")
        result = await engine.execute(checked(engine, "python", second))
    finally:
        await run.close()
    lines = result.output.splitlines()
    assert lines[0] == "['main.py']", result
    assert lines[1] == "[]"
    assert lines[2] == "False True"


# 18. The client goes away mid-run -----------------------------------------------------


async def test_a_closed_run_loses_its_container_within_seconds(engine: Engine) -> None:
    run = await engine.start(checked(engine, "python", "while True:\n    pass\n"))
    await asyncio.sleep(0.5)
    container = engine.docker.containers.container(run.container_id)
    assert (await container.show())["State"]["Running"]
    started = time.monotonic()
    await run.close()
    await engine.settle()
    assert time.monotonic() - started < 2
    containers = await engine.docker.containers.list(
        all=True, filters=json.dumps({"id": [run.container_id]})
    )
    assert containers == []


async def test_a_cancelled_consumer_still_removes_the_container(
    engine: Engine, small_output_engine: Engine
) -> None:
    async def consume() -> None:
        await engine.execute(checked(engine, "python", "import time\ntime.sleep(60)\n"))

    task = asyncio.create_task(consume())
    await asyncio.sleep(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await assert_nothing_left(engine, small_output_engine)
