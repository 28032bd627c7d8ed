#!/usr/bin/env python3
"""Run one container through the Docker Engine API with the profile passed
inline, as the server does: HostConfig.SecurityOpt = ["seccomp=<JSON text>"].

    python3 seccomp/api_check.py IMAGE [PROFILE]     (needs /var/run/docker.sock)
"""
import http.client
import json
import os
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOCK = os.environ.get("DOCKER_SOCK", "/var/run/docker.sock")
CODE = r"""
import errno, socket
st = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
print("Seccomp", st["Seccomp"].strip(), "NoNewPrivs", st["NoNewPrivs"].strip(), "CapEff", st["CapEff"].strip())
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM); print("AF_INET opened")
except OSError as e:
    print("AF_INET", errno.errorcode[e.errno])
a, b = socket.socketpair(); a.send(b"x"); print("AF_UNIX pair", b.recv(1) == b"x")
"""
WANT = ["Seccomp 2 NoNewPrivs 1 CapEff 0000000000000000", "AF_INET EAFNOSUPPORT", "AF_UNIX pair True"]


class UnixHTTP(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(SOCK)


def call(method, path, body=None, ok=(200, 201, 204)):
    conn = UnixHTTP("localhost", timeout=120)
    conn.request(method, "/v1.41" + path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status not in ok:
        raise SystemExit(f"{method} {path}: HTTP {resp.status}: {data.decode(errors='replace')}")
    return data


def demux(raw):  # non-TTY log stream: 8-byte frame headers
    out = b""
    while len(raw) >= 8:
        _, size = struct.unpack(">BxxxL", raw[:8])
        out, raw = out + raw[8:8 + size], raw[8 + size:]
    return out.decode()


def main():
    image = sys.argv[1]
    profile = open(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "profile.json")).read()
    spec = {
        "Image": image, "Cmd": ["python3", "-c", CODE], "User": "1000:1000",
        "NetworkDisabled": True,
        "HostConfig": {
            "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges:true", "seccomp=" + profile],
            "NetworkMode": "none", "ReadonlyRootfs": True, "Init": True,
            "Memory": 256 << 20, "MemorySwap": 256 << 20, "PidsLimit": 64,
            "Tmpfs": {"/tmp": "rw,nosuid,nodev,noexec,size=64m"},
        },
    }
    cid = json.loads(call("POST", "/containers/create", spec))["Id"]
    try:
        call("POST", f"/containers/{cid}/start")
        code = json.loads(call("POST", f"/containers/{cid}/wait"))["StatusCode"]
        out = demux(call("GET", f"/containers/{cid}/logs?stdout=1&stderr=1"))
    finally:
        call("DELETE", f"/containers/{cid}?force=1")
    print(out, end="")
    lines = out.strip().splitlines()
    ok = code == 0 and lines == WANT
    print(f"{'PASS' if ok else 'FAIL'} Engine API run with inline seccomp=<JSON> (exit {code})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
