#!/usr/bin/env python3
"""Derive seccomp/profile.json from Docker's default seccomp profile.

    python3 seccomp/generate.py UPSTREAM_default.json > seccomp/profile.json
    python3 seccomp/generate.py --check seccomp/profile.json

UPSTREAM_default.json is profiles/seccomp/default.json of moby v20.10.24 as
shipped by Debian's docker.io 20.10.24+dfsg1-1+deb12u1 (see README.md).
--check lints a profile offline (no Docker needed) and exits non-zero on a problem.
"""
import json
import sys

AF_UNIX = 1
EAFNOSUPPORT = 97
ENOSYS = 38
# personality(2) values kept: PER_LINUX and the 0xffffffff "query" call.
PERSONALITY_KEEP = {0, 0xFFFFFFFF}

# Never allowed, whatever the arch, kernel or capabilities.
DENY = {
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "process_madvise",
    # big kernel attack surface, not needed by the runtimes
    "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    # mounts, namespaces, root changes
    "mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr", "pivot_root", "chroot",
    "unshare", "setns",
    # 32-bit multiplexer: its socket() cannot be filtered by family
    "socketcall",
    # the rest of what Docker only grants with a capability
    "open_by_handle_at", "lookup_dcookie", "fanotify_init", "quotactl",
    "quotactl_fd", "syslog", "sethostname", "setdomainname", "reboot",
    "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "acct", "iopl", "ioperm", "settimeofday", "stime",
    "clock_settime", "clock_settime64", "vhangup", "mbind", "set_mempolicy",
    "get_mempolicy", "swapon", "swapoff",
}

# libseccomp refuses an EQ rule and an NE rule on the same value with different
# actions ("file exists": NE is stored as an inverted EQ), so the complement of
# "== AF_UNIX" is spelled as "< AF_UNIX" plus "> AF_UNIX".
SOCKET_RULES = [
    {
        "names": ["socket", "socketpair"],
        "action": "SCMP_ACT_ALLOW",
        "args": [{"index": 0, "value": AF_UNIX, "op": "SCMP_CMP_EQ"}],
        "comment": "codex-ws: AF_UNIX only",
        "includes": {},
        "excludes": {},
    },
] + [
    {
        "names": ["socket", "socketpair"],
        "action": "SCMP_ACT_ERRNO",
        "errnoRet": EAFNOSUPPORT,
        "args": [{"index": 0, "value": AF_UNIX, "op": op}],
        "comment": "codex-ws: other address families get EAFNOSUPPORT",
        "includes": {},
        "excludes": {},
    }
    for op in ("SCMP_CMP_LT", "SCMP_CMP_GT")
]


def derive(upstream):
    prof = dict(upstream)
    prof.pop("defaultErrnoRet", None)  # not a field of Docker 20.10's profile type
    # No i386 (int 0x80) ABI: for it libseccomp turns every socket rule into
    # "socketcall(SYS_SOCKET, ...)", dropping the family check, so 32-bit code
    # could open any socket family. i386 syscalls now meet libseccomp's
    # bad-arch action (SIGSYS); 64-bit runtimes never make them.
    prof["archMap"] = json.loads(json.dumps(upstream["archMap"]))
    for a in prof["archMap"]:
        if a["architecture"] == "SCMP_ARCH_X86_64":
            a["subArchitectures"] = [x for x in a["subArchitectures"] if x != "SCMP_ARCH_X86"]
    out = []
    for rule in upstream["syscalls"]:
        rule = json.loads(json.dumps(rule))
        inc, exc = rule.setdefault("includes", {}), rule.setdefault("excludes", {})
        if inc.get("caps"):
            continue  # all capabilities are dropped: no capability-gated allow
        exc.pop("caps", None)  # ...and no rule may vanish when a cap is present
        names = rule.get("names") or [rule.pop("name")]
        if rule["action"] == "SCMP_ACT_ALLOW":
            if names == ["personality"]:
                if rule["args"][0]["value"] not in PERSONALITY_KEEP:
                    continue
            else:
                names = [n for n in names if n not in DENY and n not in {"socket", "socketpair"}]
        rule["names"] = names
        if names:
            out.append(rule)
        if len(names) > 100:  # the big unconditional allow block
            out.extend(SOCKET_RULES)
    prof["syscalls"] = out
    return prof


def check(prof):
    errors = []
    if "defaultErrnoRet" in prof:
        errors.append("defaultErrnoRet is ignored by Docker 20.10")
    if prof.get("defaultAction") != "SCMP_ACT_ERRNO":
        errors.append("defaultAction must be SCMP_ACT_ERRNO")
    for a in prof.get("archMap", []):
        if a["architecture"] == "SCMP_ARCH_X86_64" and "SCMP_ARCH_X86" in (a["subArchitectures"] or []):
            errors.append("SCMP_ARCH_X86 sub-arch re-opens sockets through socketcall")
    seen_clone3 = False
    for rule in prof["syscalls"]:
        names = set(rule["names"])
        act, inc, exc = rule["action"], rule.get("includes", {}), rule.get("excludes", {})
        where = f"rule {sorted(names)[:3]}"
        if act in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"):
            errors.append(f"{where}: {act}, use SCMP_ACT_ERRNO")
        if inc.get("caps") or exc.get("caps"):
            errors.append(f"{where}: capability-conditional")
        if act == "SCMP_ACT_ALLOW":
            if names & DENY:
                errors.append(f"{where}: allows {sorted(names & DENY)}")
            for n in names & {"socket", "socketpair", "personality"}:
                a = rule.get("args") or []
                if n == "personality":
                    ok = len(a) == 1 and a[0]["op"] == "SCMP_CMP_EQ" and a[0]["value"] in PERSONALITY_KEEP
                else:
                    ok = len(a) == 1 and a[0] == {"index": 0, "value": AF_UNIX, "op": "SCMP_CMP_EQ"}
                if not ok:
                    errors.append(f"{where}: {n} allowed beyond the intended arguments")
        if "clone3" in names and act == "SCMP_ACT_ERRNO" and rule.get("errnoRet") == ENOSYS:
            seen_clone3 = True
    if not seen_clone3:
        errors.append("clone3 must answer ENOSYS (38) so glibc falls back to clone")
    return errors


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        errors = check(json.load(open(argv[2])))
        for e in errors:
            print("profile check:", e, file=sys.stderr)
        print("profile check:", "FAILED" if errors else "ok", file=sys.stderr)
        return 1 if errors else 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    prof = derive(json.load(open(argv[1])))
    errors = check(prof)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    json.dump(prof, sys.stdout, indent="\t")
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
