#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for tests and benchmarks (data in /tmp, port 54329).
#   bash scripts/pg-local.sh start   # init if needed, start, create database open311_test with postgis + pg_trgm
#   bash scripts/pg-local.sh url     # print the TEST_DATABASE_URL for it
#   bash scripts/pg-local.sh stop
# Needs PostgreSQL server binaries and PostGIS (Debian: postgresql, postgresql-15-postgis-3).
set -euo pipefail
PORT="${PG_LOCAL_PORT:-54329}"
DIR="${PG_LOCAL_DIR:-/tmp/open311-pg}"
DB="${PG_LOCAL_DB:-open311_test}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$BIN" ] || { echo "pg-local: no PostgreSQL server found under /usr/lib/postgresql" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_pg() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }

case "${1:-start}" in
  start)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
      as_pg "$BIN/initdb" -D "$DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      # Durability off: a test cluster trades crash safety for speed.
      as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    fi
    if [ -z "$(psql_pg -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
      psql_pg -d postgres -c "CREATE DATABASE \"$DB\""
    fi
    psql_pg -d "$DB" -c 'CREATE EXTENSION IF NOT EXISTS postgis' -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'
    echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') with PostGIS $(psql_pg -d "$DB" -tAc 'SELECT postgis_lib_version()') on 127.0.0.1:$PORT" >&2
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  url)
    echo "postgres://postgres@127.0.0.1:$PORT/$DB"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
