# The warm Python runtime's pause (see "Warm runtimes" in images/README.md).
#
# The warm runtime is the fresh command itself, `python3 -u /tmp/main.py`, started before
# /tmp/main.py exists. codex-warm.pth runs this file while `site` starts up, only in a process
# that has the runner's request pipe (fd 3) and status pipe (fd 4); a fresh run has neither,
# and pays one stat for it. Here the interpreter is up; this waits for the request, adds the
# program's arguments to sys.argv, says `run`, and returns. The interpreter then goes on
# exactly as a fresh one would: it opens /tmp/main.py and runs it as __main__, so tracebacks,
# sys.argv, exit codes and signals are the fresh ones by construction. Before it returns it
# waits for the runner's `go`, so that nothing the program writes can overtake the marker
# `run warm`.
#
# It runs inside site's exec of a .pth line: it defines nothing that outlives it and imports
# nothing that a fresh interpreter has not imported already.


def _codex_warm() -> None:
    import os
    import sys

    def decline() -> None:
        os._exit(70)  # no `run`: the runner goes on without the warm runtime

    def read_exactly(size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = os.read(3, size - len(data))
            if not chunk:
                decline()
            data += chunk
        return data

    def number() -> int:
        digits = b""
        while (byte := read_exactly(1)) != b"\n":
            digits += byte
            if not byte.isdigit() or len(digits) > 20:
                decline()
        if not digits:
            decline()
        return int(digits)

    os.write(4, b"ready\n")
    args = [os.fsdecode(read_exactly(number())) for _ in range(number())]
    if not args or args[0] != sys.argv[0]:
        decline()  # not the file this runtime was started for

    sys.argv.extend(args[1:])
    sys.orig_argv.extend(args[1:])
    os.write(4, b"run\n")
    if read_exactly(3) != b"go\n":  # the runner's `run` marker is out
        decline()
    os.close(3)
    os.close(4)


_codex_warm()
del _codex_warm
