#!/usr/bin/env bash
# Tools only the test suite needs: docker-compose (the deployment tests validate and run
# docker-compose.yml with it) and Debian's Chromium with a font (the browser tests drive it
# through Playwright; Playwright's own browser downloads are not used).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

missing=$(missing_packages docker-compose chromium fonts-dejavu-core)
[ -z "$missing" ] || apt_install $missing
