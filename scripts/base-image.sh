#!/usr/bin/env bash
# Provide the Debian bookworm base image that every sandbox Dockerfile builds on.
# Pulled where a registry answers; otherwise bootstrapped from Debian's mirror with
# debootstrap and imported, under the same tag.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

TAG="${CODEX_BASE_IMAGE:-codex-ws/debian:bookworm}"
MIRROR="${CODEX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$TAG" >/dev/null 2>&1; then
    exit 0
fi

say "base image $TAG is missing; trying the registry (debian:bookworm-slim)"
if timeout 60 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
    docker tag debian:bookworm-slim "$TAG"
    say "base image $TAG tagged from the registry"
    exit 0
fi

say "no registry answers: bootstrapping Debian bookworm from $MIRROR (a few minutes)"
missing=$(missing_packages debootstrap)
[ -z "$missing" ] || apt_install $missing

root=$(mktemp -d /var/tmp/codex-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --components=main bookworm "$root" "$MIRROR" \
    | while IFS= read -r line; do
        case "$line" in I:\ Retrieving*|I:\ Extracting*|I:\ Installing*|I:\ Configuring*) ;; *) printf '   %s\n' "$line" >&2 ;; esac
      done

cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
# Keep images small: no docs, no man pages, no apt caches (as the official slim image does).
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
SLIM
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/90slim"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/locale/* "$root"/usr/share/man/* "$root"/usr/share/info/*
find "$root"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete

say "importing the root filesystem as $TAG"
tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$TAG" >/dev/null
say "base image $TAG is ready"
