# The codex-ws server image. Read docs/deployment.md before running it: the server drives the
# Docker engine whose socket it is given, and that is root on that engine's host.
#
# Builds on the locally bootstrapped Debian image (scripts/base-image.sh), never on a registry.
# Python packages come from deploy/wheels/ (`scripts/compose.sh wheels` fills it on the host)
# and are installed with --no-index; with the wheelhouse empty, pip asks PyPI instead.
ARG BASE_IMAGE=codex-ws/debian:bookworm

FROM ${BASE_IMAGE} AS python
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*

# The virtualenv: dependencies first (a layer that survives code changes), then the project,
# installed editable so that it runs from /app, where it finds images/, seccomp/ and docs/.
FROM python AS build
COPY deploy/wheels/ /wheels/
RUN python3 -m venv /opt/venv \
    && if [ -f /wheels/requirements.txt ]; then \
        /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-index \
            --find-links /wheels -r /wheels/requirements.txt; \
    fi
COPY pyproject.toml README.md /app/
COPY codex_ws/ /app/codex_ws/
COPY sandbox/ /app/sandbox/
RUN if [ -f /wheels/requirements.txt ]; then set -- --no-index --find-links /wheels --no-deps; fi \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check "$@" -e /app

FROM python
# The server's user. It reaches the Docker socket through the socket's group, given at run
# time (`docker run --group-add "$(stat -c %g /var/run/docker.sock)"`; compose: DOCKER_GID).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin codex
COPY --from=build /opt/venv/ /opt/venv/
# The source tree, owned by root: the server reads it and cannot change it.
COPY pyproject.toml README.md /app/
COPY codex_ws/ /app/codex_ws/
COPY sandbox/ /app/sandbox/
COPY images/ /app/images/
COPY seccomp/ /app/seccomp/
COPY scripts/ /app/scripts/
COPY docs/ /app/docs/
COPY static/ /app/static/
RUN /opt/venv/bin/python -m compileall -q /app/codex_ws /app/sandbox

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CODEX_ENV=production \
    CODEX_HOST=0.0.0.0 \
    CODEX_PORT=4003
WORKDIR /app
USER codex
EXPOSE 4003
# 200 only when PostgreSQL, Redis, the Docker engine and every sandbox image answer.
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
    CMD python3 -c "import os, urllib.request as r; r.urlopen('http://127.0.0.1:' + os.environ.get('CODEX_PORT', '4003') + '/api/health', timeout=8)" || exit 1
CMD ["codex-ws", "serve"]
