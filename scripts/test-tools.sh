#!/usr/bin/env bash
# Tools only the test suite needs: docker-compose (the deployment tests validate and run
# docker-compose.yml with it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

missing=$(missing_packages docker-compose)
[ -z "$missing" ] || apt_install $missing
