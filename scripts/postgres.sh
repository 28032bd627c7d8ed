#!/usr/bin/env bash
# Make PostgreSQL answer at CODEX_DATABASE_URL. When it points at this machine's default and
# nothing answers, install Debian's postgresql, start its cluster, create the role and database.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

DEFAULT_URL="postgresql://codex:codex@127.0.0.1:5432/codex"
URL="${CODEX_DATABASE_URL:-$DEFAULT_URL}"

[ -z "$(missing_packages postgresql-client)" ] || apt_install postgresql-client
answers() { timeout 10 psql "$URL" -qtAc 'select 1' >/dev/null 2>&1; }

answers && exit 0
if [ "$URL" != "$DEFAULT_URL" ]; then
    die "PostgreSQL not reachable at CODEX_DATABASE_URL ($(printf '%s' "$URL" | sed -E 's#//([^:/@]+):[^@]*@#//\1:***@#')): start it, or unset CODEX_DATABASE_URL to use a local one"
fi

missing=$(missing_packages postgresql)
[ -z "$missing" ] || apt_install $missing

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    say "creating the PostgreSQL $version cluster"
    pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -qx online; then
    say "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
    su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
done

say "creating the codex role and database"
su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'codex') THEN
        CREATE ROLE codex LOGIN PASSWORD 'codex';
    END IF;
END $$;
SELECT 'CREATE DATABASE codex OWNER codex' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'codex')\gexec
SQL
answers || die "PostgreSQL started but $DEFAULT_URL does not answer; see /var/log/postgresql/"
say "PostgreSQL is up at 127.0.0.1:5432"
