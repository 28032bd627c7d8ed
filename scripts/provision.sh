#!/usr/bin/env bash
# Make every service the server needs answer, installing and starting what is missing.
# Uses what is already configured and reachable; installs nothing then.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/docker.sh
bash scripts/postgres.sh
bash scripts/redis.sh
