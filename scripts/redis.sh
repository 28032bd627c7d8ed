#!/usr/bin/env bash
# Make Redis answer at CODEX_REDIS_URL. When it points at this machine's default and nothing
# answers, install Debian's redis-server and start it on the loopback interface.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

DEFAULT_URL="redis://127.0.0.1:6379/0"
URL="${CODEX_REDIS_URL:-$DEFAULT_URL}"

[ -z "$(missing_packages redis-tools)" ] || apt_install redis-tools
answers() { [ "$(timeout 5 redis-cli -u "$URL" ping 2>/dev/null)" = PONG ]; }

answers && exit 0
if [ "$URL" != "$DEFAULT_URL" ]; then
    die "Redis not reachable at CODEX_REDIS_URL: start it, or unset CODEX_REDIS_URL to use a local one"
fi

missing=$(missing_packages redis-server)
[ -z "$missing" ] || apt_install $missing

say "starting redis-server on 127.0.0.1:6379 (log: /var/log/codex-ws/redis.log)"
mkdir -p /var/log/codex-ws
redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
    --logfile /var/log/codex-ws/redis.log
for _ in $(seq 1 30); do
    answers && { say "Redis is up at 127.0.0.1:6379"; exit 0; }
    sleep 0.5
done
die "redis-server did not answer; see /var/log/codex-ws/redis.log"
