#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on localhost for the PostgreSQL tests and print
# the URL to use. Installs the server with apt-get when it is missing. Runs as root in CI:
# the server itself runs as the 'postgres' system user, as initdb refuses root.
set -euo pipefail
PORT="${PGPORT_TEST:-54329}"
DATA="${PGDATA_TEST:-/tmp/coordinator-tui-pg}"

find_bin() {
  local name="$1"
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  ls /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(find_bin initdb)" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
INITDB="$(find_bin initdb)"
PG_CTL="$(find_bin pg_ctl)"
id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres

as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -f "$DATA/postmaster.pid" ] && as_pg "$PG_CTL" -D "$DATA" status >/dev/null 2>&1; then
  :
else
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" = "0" ] && chown postgres "$DATA"
  as_pg "$INITDB" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$PG_CTL" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
