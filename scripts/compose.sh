#!/usr/bin/env bash
# Run docker-compose on docker-compose.yml with everything the file needs prepared.
#
#   scripts/compose.sh wheels          fill deploy/wheels/ with the server's Python wheels
#   scripts/compose.sh ARGS...         prepare, then `docker-compose ARGS...`
#                                      (e.g. `up -d --build`, `ps`, `logs -f server`, `down`)
#
# Preparing means: DOCKER_GID set to the group of the Docker socket (the server joins it);
# and, before a command that creates containers (up, run, create), a check that
# CODEX_JWT_SECRET, CODEX_POSTGRES_PASSWORD and DOCKER_GID are set, in the environment or in
# the env file, as docker-compose reads them. docker-compose.yml does not require them itself,
# so that `ps`, `logs`, `down` and the like work without them. Before a command that builds
# or starts (up, build, run, create): the base image bootstrapped when missing
# (scripts/base-image.sh), the wheelhouse filled and the pages' bundles built
# (scripts/frontend.sh: the image copies static/). The wheels are downloaded here, by this
# machine's pip (with its index, proxy and certificates), so building the server image needs
# no registry and no network for Python packages: the Dockerfile installs them with
# `pip install --no-index`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

WHEELS=deploy/wheels
# The server image's Python and C library: those of Debian bookworm, the base image.
IMAGE_PYTHON=3.11
IMAGE_PYTHON_FULL=3.11.2
IMAGE_GLIBC_MINOR=36

python_with_pip() {
    local candidate
    for candidate in .venv/bin/python python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -m pip --version >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    die "no Python with pip on this machine to download the server's wheels: run \`make setup\` (creates .venv) or install python3-pip"
}

# The project's runtime dependencies, one per line, from pyproject.toml.
requirements() {
    "$1" - <<'PY'
import tomllib

with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)["project"]
print("\n".join(project["dependencies"]))
PY
}

fill_wheels() {
    local py arch wanted
    py=$(python_with_pip)
    case "$(docker version --format '{{.Server.Arch}}' 2>/dev/null || uname -m)" in
        amd64 | x86_64) arch=x86_64 ;;
        arm64 | aarch64) arch=aarch64 ;;
        *) die "no wheels for the Docker engine's architecture: $(docker version --format '{{.Server.Arch}}')" ;;
    esac
    wanted="# CPython $IMAGE_PYTHON_FULL manylinux_2_${IMAGE_GLIBC_MINOR}_$arch
$(requirements "$py")"
    if [ -f "$WHEELS/requirements.txt" ] && [ "$(cat "$WHEELS/requirements.txt")" = "$wanted" ]; then
        return 0
    fi
    say "downloading the server's Python wheels into $WHEELS/ (CPython $IMAGE_PYTHON_FULL, $arch)"
    find "$WHEELS" -maxdepth 1 -name '*.whl' -delete
    rm -f "$WHEELS/requirements.txt"
    printf '%s\n' "$wanted" >"$WHEELS/requirements.in"
    # Every manylinux tag the image's glibc accepts (pip takes them literally).
    local platforms=() minor
    for ((minor = IMAGE_GLIBC_MINOR; minor >= 5; minor--)); do
        platforms+=(--platform "manylinux_2_${minor}_$arch")
    done
    platforms+=(--platform "manylinux2014_$arch" --platform "manylinux2010_$arch" --platform "manylinux1_$arch")
    # pip picks wheels for the target given, but evaluates environment markers (such as
    # `python_full_version < "3.11.3"`) for the Python running it: make them the image's too.
    # setuptools builds the project itself (an editable install) inside the image.
    IMAGE_PYTHON_FULL="$IMAGE_PYTHON_FULL" IMAGE_ARCH="$arch" "$py" - \
        download --quiet --disable-pip-version-check --dest "$WHEELS" \
        --only-binary=:all: "${platforms[@]}" \
        --python-version "$IMAGE_PYTHON_FULL" --implementation cp \
        --abi "cp${IMAGE_PYTHON/./}" --abi abi3 --abi none \
        -r "$WHEELS/requirements.in" 'setuptools>=70.1' <<'PY'
import os
import sys

from pip._internal.cli.main import main
from pip._vendor.packaging import markers

host_environment = markers.default_environment


def image_environment():
    version = os.environ["IMAGE_PYTHON_FULL"]
    return {
        **host_environment(),
        "implementation_name": "cpython",
        "implementation_version": version,
        "os_name": "posix",
        "platform_machine": os.environ["IMAGE_ARCH"],
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "python_full_version": version,
        "python_version": ".".join(version.split(".")[:2]),
        "sys_platform": "linux",
    }


markers.default_environment = image_environment
sys.exit(main(sys.argv[1:]))
PY
    # Written last: its presence tells the Dockerfile the wheelhouse is complete.
    mv "$WHEELS/requirements.in" "$WHEELS/requirements.txt"
}

if [ "${1:-}" = wheels ]; then
    fill_wheels
    exit 0
fi

command -v docker-compose >/dev/null 2>&1 \
    || die "docker-compose is not installed: apt-get install docker-compose (Debian's, version 1.29)"

socket="${DOCKER_SOCKET:-/var/run/docker.sock}"
if [ -z "${DOCKER_GID:-}" ] && [ -S "$socket" ]; then
    DOCKER_GID=$(stat -c %g "$socket")
    export DOCKER_GID
fi

# The settings without which nothing may be created, checked by docker-compose itself over the
# same files, environment and env file as the command (so `.env` and `--env-file` count).
# Reads the compose files' options from `options`.
check_required() {
    local files=() listed=() file
    if [ "$has_file" = no ]; then
        if [ -n "${COMPOSE_FILE:-}" ]; then
            IFS="${COMPOSE_PATH_SEPARATOR:-:}" read -r -a listed <<<"$COMPOSE_FILE"
            for file in "${listed[@]}"; do files+=(-f "$file"); done
        else
            files=(-f docker-compose.yml)
            [ ! -f docker-compose.override.yml ] || files+=(-f docker-compose.override.yml)
        fi
    fi
    [ -n "${DOCKER_GID:-}" ] || [ -S "$socket" ] \
        || say "no Docker socket at $socket: set DOCKER_SOCKET, or DOCKER_GID to the group that may use the engine"
    docker-compose "${options[@]}" "${files[@]}" -f /dev/stdin config -q <<'YAML' \
        || die "not starting anything: set the variable named above, in the environment or in the env file (.env unless --env-file names another); see docs/deployment.md"
services:
  required:
    image: none
    environment:
      CODEX_JWT_SECRET: ${CODEX_JWT_SECRET:?set CODEX_JWT_SECRET to 32 or more random characters, e.g. openssl rand -base64 48}
      CODEX_POSTGRES_PASSWORD: ${CODEX_POSTGRES_PASSWORD:?set CODEX_POSTGRES_PASSWORD (letters and digits, e.g. openssl rand -hex 24)}
      DOCKER_GID: ${DOCKER_GID:?set DOCKER_GID to the group of the Docker socket (stat -c %g /var/run/docker.sock)}
YAML
}

# The command is the first word that is neither an option nor an option's value; the options
# before it are docker-compose's own.
args=("$@")
options=()
has_file=no
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        -f | --file | -p | --project-name | --project-directory | --env-file | --profile | \
            -H | --host | -c | --context | --log-level)
            [[ "${args[i]}" != -f && "${args[i]}" != --file ]] || has_file=yes
            options+=("${args[i]}" "${args[i + 1]:-}")
            i=$((i + 1))
            ;;
        -*)
            [[ "${args[i]}" != --file=* && "${args[i]}" != -f?* ]] || has_file=yes
            options+=("${args[i]}")
            ;;
        up | run | create)
            check_required
            bash scripts/base-image.sh
            fill_wheels
            bash scripts/frontend.sh
            break
            ;;
        build)
            bash scripts/base-image.sh
            fill_wheels
            bash scripts/frontend.sh
            break
            ;;
        *) break ;;
    esac
done

exec docker-compose "$@"
