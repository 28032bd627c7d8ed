#!/bin/sh
# Initialise the cluster on first start, then run PostgreSQL in the foreground.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
user="${POSTGRES_USER:-codex}"
database="${POSTGRES_DB:-codex}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "postgres: set POSTGRES_PASSWORD" >&2; exit 1; }
    echo "postgres: initialising $PGDATA (database $database, role $user)"
    initdb --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    # Clients come from the compose network; every one of them needs the password.
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    password=$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")
    postgres --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE ROLE "$user" LOGIN PASSWORD '$password';
CREATE DATABASE "$database" OWNER "$user";
SQL
fi
exec postgres -D "$PGDATA" "$@"
