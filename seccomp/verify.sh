#!/usr/bin/env bash
# Check seccomp/profile.json for real on this Docker engine: builds a throwaway
# image with python3, nodejs, openjdk-17 and mono, runs the language runtimes and
# probe.py under the sandbox flags, then removes the image (KEEP_IMAGE=1 keeps it).
set -uo pipefail
cd "$(dirname "$0")"
IMAGE=${IMAGE:-codex-seccomp-check}
BASE=${BASE:-codex-ws/debian:bookworm}
FLAGS=(--rm -i --cap-drop ALL --security-opt no-new-privileges:true --user 1000:1000
       --network none --read-only --init --memory 256m --memory-swap 256m --pids-limit 64
       --tmpfs /tmp:rw,nosuid,nodev,noexec,size=64m --security-opt "seccomp=$PWD/profile.json")
JFLAGS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData"
pass=0 fail=0
check() {  # check NAME EXPECTED_OUTPUT_REGEX -- docker run args...
    local name=$1 want=$2 out; shift 3
    out=$(timeout 300 docker run "${FLAGS[@]}" "$IMAGE" "$@" 2>&1)
    local rc=$?
    if [ $rc -eq 0 ] && grep -Eq "$want" <<<"$out"; then
        pass=$((pass + 1)); echo "PASS $name: $(tr '\n' ' ' <<<"$out" | cut -c1-100)"
    else
        fail=$((fail + 1)); echo "FAIL $name (rc=$rc):"; sed 's/^/    /' <<<"$out"
    fi
}

python3 generate.py --check profile.json || exit 1
if [ -z "$(docker images -q "$IMAGE")" ]; then
    echo "building $IMAGE from $BASE ..."
    printf 'FROM %s\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 nodejs openjdk-17-jdk-headless mono-mcs && rm -rf /var/lib/apt/lists/*\n' "$BASE" |
        docker build -q -t "$IMAGE" - >/dev/null || { echo "image build failed"; exit 1; }
fi
[ "${KEEP_IMAGE:-0}" = 1 ] || trap 'docker rmi -f "$IMAGE" >/dev/null' EXIT

check "python hello + threads" '^threads \[0, 1, 4, 9\]' -- python3 -c '
import threading
print("hello from python")
r = []
ts = [threading.Thread(target=lambda i=i: r.append(i * i)) for i in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print("threads", sorted(r))'
check "node hello + spawnSync(true)" 'spawnSync status 0' -- node -e '
console.log("hello from node", process.version);
const r = require("child_process").spawnSync("true");
console.log("spawnSync status", r.status, r.error ? r.error.message : "");'
check "javac + java" '^hello from java' -- sh -c "
mkdir -p /tmp/j && echo 'public class Main { public static void main(String[] a) { System.out.println(\"hello from java \" + System.getProperty(\"java.version\")); } }' > /tmp/j/Main.java &&
javac $(sed 's/-XX/-J-XX/g' <<<"$JFLAGS") -d /tmp/j /tmp/j/Main.java && java $JFLAGS -cp /tmp/j Main"
check "mcs + mono" '^hello from C#' -- sh -c "
echo 'class Hello { static void Main() { System.Console.WriteLine(\"hello from C#\"); } }' > /tmp/hello.cs &&
mcs -out:/tmp/hello.exe /tmp/hello.cs && mono /tmp/hello.exe"

echo "--- probe.py (denials, errnos, /proc/self/status)"
timeout 300 docker run "${FLAGS[@]}" "$IMAGE" python3 - < probe.py
rc=$?; [ $rc -eq 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))

echo "--- Engine API, profile inline"
python3 api_check.py "$IMAGE" && pass=$((pass + 1)) || fail=$((fail + 1))

echo "verify: $pass passed, $fail failed"
[ $fail -eq 0 ]
