#!/usr/bin/env bash
# Make Redis answer at CODEX_REDIS_URL. When it points at this machine's default and nothing
# answers, install Debian's redis-server and start it on the loopback interface.
#
# The Redis this script starts gets a memory cap (CODEX_REDIS_MAXMEMORY, 256mb) and refuses
# writes when full (noeviction): rate entries and leases carry expiries, so a volatile-* policy
# would evict them first and quietly lift the limits, and allkeys-* would drop live sessions'
# events. One started by an earlier run of this script without a cap gets it now.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

DEFAULT_URL="redis://127.0.0.1:6379/0"
URL="${CODEX_REDIS_URL:-$DEFAULT_URL}"
MAXMEMORY="${CODEX_REDIS_MAXMEMORY:-256mb}"
LOG=/var/log/codex-ws/redis.log

[ -z "$(missing_packages redis-tools)" ] || apt_install redis-tools
answers() { [ "$(timeout 5 redis-cli -u "$URL" ping 2>/dev/null)" = PONG ]; }

config() { timeout 5 redis-cli -u "$URL" CONFIG GET "$1" 2>/dev/null | sed -n 2p; }

# A cap and noeviction for the Redis this script started (its log file says so); a cap set
# otherwise is kept.
cap_memory() {
    if [ "$(config logfile)" != "$LOG" ]; then
        [ "$(config maxmemory)" != 0 ] \
            || say "warning: Redis at $URL has no maxmemory; see docs/operations.md (Stored bytes, and Redis's memory)"
        return 0
    fi
    if [ "$(config maxmemory)" = 0 ]; then
        say "capping the local Redis at $MAXMEMORY"
        redis-cli -u "$URL" CONFIG SET maxmemory "$MAXMEMORY" >/dev/null
    fi
    if [ "$(config maxmemory-policy)" != noeviction ]; then
        say "setting the local Redis's maxmemory-policy to noeviction"
        redis-cli -u "$URL" CONFIG SET maxmemory-policy noeviction >/dev/null
    fi
}

if answers; then
    cap_memory
    exit 0
fi
if [ "$URL" != "$DEFAULT_URL" ]; then
    die "Redis not reachable at CODEX_REDIS_URL: start it, or unset CODEX_REDIS_URL to use a local one"
fi

missing=$(missing_packages redis-server)
[ -z "$missing" ] || apt_install $missing

say "starting redis-server on 127.0.0.1:6379, at most $MAXMEMORY (log: $LOG)"
mkdir -p /var/log/codex-ws
redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
    --maxmemory "$MAXMEMORY" --maxmemory-policy noeviction --logfile "$LOG"
for _ in $(seq 1 30); do
    answers && { say "Redis is up at 127.0.0.1:6379"; exit 0; }
    sleep 0.5
done
die "redis-server did not answer; see /var/log/codex-ws/redis.log"
