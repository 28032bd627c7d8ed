#!/usr/bin/env bash
# Create the project's virtualenv and install the project (editable) with its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

venv="${1:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    say "creating the virtualenv $venv"
    python3 -m venv "$venv" || {
        apt_install python3-venv
        python3 -m venv "$venv"
    }
fi
say "installing codex-ws and its dev tools into $venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -e '.[dev]'
