#!/usr/bin/env bash
# Make a Docker engine answer: use DOCKER_HOST or a running daemon when there is one,
# otherwise install Debian's docker.io and start dockerd in the background.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

engine_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if command -v docker >/dev/null && engine_answers; then
    exit 0
fi
if [ -n "${DOCKER_HOST:-}" ]; then
    die "Docker engine not reachable at DOCKER_HOST=$DOCKER_HOST: start it, or unset DOCKER_HOST to use a local dockerd"
fi

missing=$(missing_packages docker.io)
[ -z "$missing" ] || apt_install $missing

if ! pgrep -x dockerd >/dev/null; then
    need_root "starting dockerd"
    mkdir -p /var/log/codex-ws
    say "starting dockerd (log: /var/log/codex-ws/dockerd.log)"
    # setsid: the daemon must outlive the shell that started it.
    setsid /usr/sbin/dockerd >>/var/log/codex-ws/dockerd.log 2>&1 < /dev/null &
fi
for _ in $(seq 1 60); do
    engine_answers && { say "Docker engine $(docker version --format '{{.Server.Version}}') is up"; exit 0; }
    sleep 1
done
die "dockerd did not answer within 60 s; see /var/log/codex-ws/dockerd.log"
