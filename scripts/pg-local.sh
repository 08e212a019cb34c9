#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for tests, the smoke test and benchmarks. CI (.ci/run) uses it
# too, so there is one way to get a database. Data under /tmp, listening on 127.0.0.1 only.
#
#   bash scripts/pg-local.sh start          # init if needed, start, create role + database with postgis, pg_trgm
#   bash scripts/pg-local.sh url [DB]       # print the URL (TEST_DATABASE_URL / DATABASE_URL) for DB
#   bash scripts/pg-local.sh createdb NAME  # (re)create an empty database NAME owned by the role
#   bash scripts/pg-local.sh status
#   bash scripts/pg-local.sh stop
#   bash scripts/pg-local.sh destroy        # stop and delete the data directory (and the standby's)
#   bash scripts/pg-local.sh standby        # a streaming replica of the running cluster (pg_basebackup -R)
#   bash scripts/pg-local.sh standby-url [DB]   # its URL (TEST_DATABASE_READ_URL / DATABASE_READ_URL)
#
#   export TEST_DATABASE_URL="$(bash scripts/pg-local.sh url)"
#
# Settings (environment):
#   PG_LOCAL_PORT=54329  PG_LOCAL_DIR=/tmp/open311-pg  PG_LOCAL_DB=open311_test
#   PG_LOCAL_USER=open311  PG_LOCAL_PASSWORD=open311   (a superuser: the tests create databases and PostGIS)
#   PG_LOCAL_BIN=/usr/lib/postgresql/15/bin            (default: the newest version that has PostGIS)
#   PG_LOCAL_STANDBY_PORT=<port + 10>  PG_LOCAL_STANDBY_DIR=<dir>-standby   (the read replica)
# Needs the PostgreSQL server and PostGIS packages (Debian: postgresql, postgresql-15-postgis-3).
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root). No systemd needed.
set -euo pipefail
PORT="${PG_LOCAL_PORT:-54329}"
DIR="${PG_LOCAL_DIR:-/tmp/open311-pg}"
DB="${PG_LOCAL_DB:-open311_test}"
ROLE="${PG_LOCAL_USER:-open311}"
STANDBY_PORT="${PG_LOCAL_STANDBY_PORT:-$((PORT + 10))}"
STANDBY_DIR="${PG_LOCAL_STANDBY_DIR:-$DIR-standby}"
PASSWORD="${PG_LOCAL_PASSWORD:-open311}"

die() { echo "pg-local: $*" >&2; exit 1; }

find_bin() {
  [ -n "${PG_LOCAL_BIN:-}" ] && { echo "$PG_LOCAL_BIN"; return; }
  local v best=""
  for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -V); do
    [ -x "/usr/lib/postgresql/$v/bin/postgres" ] || continue
    [ -z "$best" ] && best="$v"
    # Prefer the newest version whose PostGIS is installed.
    if [ -f "/usr/share/postgresql/$v/extension/postgis.control" ]; then best="$v"; fi
  done
  [ -n "$best" ] && echo "/usr/lib/postgresql/$best/bin"
  return 0
}
BIN="$(find_bin)"

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# Administration goes over TCP as the bootstrap superuser (trust from clusters made before passwords,
# the password otherwise), so it works the same for root, the postgres user and a developer.
psql_admin() {
  PGOPTIONS="-c client_min_messages=warning" PGPASSWORD="$PASSWORD" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"
}
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
running() { [ -f "$DIR/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

ensure_database() { # NAME [fresh]
  local name="$1"
  if [ "${2:-}" = fresh ]; then
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
  fi
  if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = $(sql_literal "$name")")" ]; then
    psql_admin -d postgres -c "CREATE DATABASE \"$name\" OWNER \"$ROLE\""
  fi
}

start() {
  [ -n "$BIN" ] || die "no PostgreSQL server under /usr/lib/postgresql (Debian: apt-get install postgresql postgresql-15-postgis-3)"
  local major
  major="$(basename "$(dirname "$BIN")")"
  if [ -f "$DIR/PG_VERSION" ] && [ "$(cat "$DIR/PG_VERSION")" != "$major" ]; then
    die "$DIR holds a PostgreSQL $(cat "$DIR/PG_VERSION") cluster but the server found is $major: run '$0 destroy' first (or set PG_LOCAL_DIR)"
  fi
  if ! running && port_taken; then
    die "something already listens on 127.0.0.1:$PORT: set PG_LOCAL_PORT to a free port"
  fi
  if [ ! -f "$DIR/PG_VERSION" ]; then
    mkdir -p "$DIR"
    [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty and is not a PostgreSQL data directory"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
    chmod 700 "$DIR"
    local pwfile
    pwfile="$(mktemp)"
    printf '%s\n' "$PASSWORD" >"$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    # Local (socket) connections are trusted; TCP needs the password, as a real deployment would.
    as_pg "$BIN/initdb" -D "$DIR" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$DIR.initdb.log" 2>&1 || { cat "$DIR.initdb.log" >&2; rm -f "$pwfile"; die "initdb failed"; }
    rm -f "$pwfile" "$DIR.initdb.log"
  fi
  if ! running; then
    # Durability off: a test cluster trades crash safety for speed. Sockets in /tmp, TCP on loopback only.
    as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 120 \
      -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { tail -n 30 "$DIR/server.log" >&2 || true; die "the server did not start"; }
  fi
  if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = $(sql_literal "$ROLE")")" ]; then
    psql_admin -d postgres -c "CREATE ROLE \"$ROLE\" LOGIN SUPERUSER PASSWORD $(sql_literal "$PASSWORD")"
  fi
  ensure_database "$DB"
  # The check that PostGIS is really there (the migrations create these too).
  psql_admin -d "$DB" -c 'CREATE EXTENSION IF NOT EXISTS postgis' -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'
  echo "pg-local: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') with PostGIS $(psql_admin -d "$DB" -tAc 'SELECT postgis_lib_version()') on 127.0.0.1:$PORT, data in $DIR" >&2
  echo "pg-local: export TEST_DATABASE_URL=$(url "$DB")" >&2
}

url() { echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/${1:-$DB}"; }

standby_running() { [ -f "$STANDBY_DIR/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$STANDBY_DIR" status >/dev/null 2>&1; }

# A hot standby of the running cluster, streaming from it (issue #20.2: the read replica's tests). Made
# once with pg_basebackup -R (which writes standby.signal and primary_conninfo), then started on its own
# port; it replays every database of the primary, including those the tests create later.
standby() {
  running || die "the primary is not running: '$0 start' first"
  # The primary keeps 4 GB of WAL for the standby. Each test file's CREATE DATABASE ... TEMPLATE writes the
  # whole template (~55 MB) into the WAL, several GB over a suite; without this, a standby more than
  # max_wal_size behind (a loaded machine) finds the segments it needs removed and stops replaying for
  # good (a CI run's read-replica tests then waited for a clone that never came). Only where a standby is made.
  psql_admin -d postgres -qc "ALTER SYSTEM SET wal_keep_size = '4GB'" -c "SELECT pg_reload_conf()" >/dev/null
  if [ ! -f "$STANDBY_DIR/PG_VERSION" ]; then
    if (exec 3<>"/dev/tcp/127.0.0.1/$STANDBY_PORT") 2>/dev/null; then
      die "something already listens on 127.0.0.1:$STANDBY_PORT: set PG_LOCAL_STANDBY_PORT to a free port"
    fi
    mkdir -p "$STANDBY_DIR"
    [ -z "$(ls -A "$STANDBY_DIR")" ] || die "$STANDBY_DIR is not empty and is not a PostgreSQL data directory"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$STANDBY_DIR"
    chmod 700 "$STANDBY_DIR"
    as_pg env PGPASSWORD="$PASSWORD" "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$STANDBY_DIR" \
      -R -X stream -c fast >/dev/null || die "pg_basebackup failed"
    rm -f "$STANDBY_DIR/server.log" "$STANDBY_DIR/postmaster.pid"
  fi
  if ! standby_running; then
    as_pg "$BIN/pg_ctl" -D "$STANDBY_DIR" -l "$STANDBY_DIR/server.log" -w -t 120 \
      -o "-p $STANDBY_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on -c max_connections=200" \
      start >/dev/null || { tail -n 30 "$STANDBY_DIR/server.log" >&2 || true; die "the standby did not start"; }
  fi
  [ "$(PGPASSWORD="$PASSWORD" "$BIN/psql" -X -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -tAc 'SELECT pg_is_in_recovery()')" = t ] ||
    die "127.0.0.1:$STANDBY_PORT is not a standby"
  echo "pg-local: standby of 127.0.0.1:$PORT streaming on 127.0.0.1:$STANDBY_PORT, data in $STANDBY_DIR" >&2
  echo "pg-local: export TEST_DATABASE_READ_URL=$(standby_url "$DB")" >&2
}

standby_url() { echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$STANDBY_PORT/${1:-$DB}"; }

case "${1:-start}" in
  start) start ;;
  stop)
    [ -n "$BIN" ] || exit 0
    if standby_running; then as_pg "$BIN/pg_ctl" -D "$STANDBY_DIR" -m fast -w -t 60 stop >/dev/null; fi
    if running; then as_pg "$BIN/pg_ctl" -D "$DIR" -m fast -w -t 60 stop >/dev/null; fi
    ;;
  status)
    if [ -n "$BIN" ] && running; then echo "running on 127.0.0.1:$PORT ($DIR)"; else echo "not running ($DIR)"; exit 3; fi
    ;;
  url) url "${2:-}" ;;
  standby) standby ;;
  standby-url) standby_url "${2:-}" ;;
  createdb)
    [ -n "${2:-}" ] || die "usage: $0 createdb NAME"
    running || die "not running: '$0 start' first"
    ensure_database "$2" fresh
    ;;
  destroy)
    if [ -n "$BIN" ] && standby_running; then as_pg "$BIN/pg_ctl" -D "$STANDBY_DIR" -m immediate -w stop >/dev/null; fi
    if [ -n "$BIN" ] && running; then as_pg "$BIN/pg_ctl" -D "$DIR" -m immediate -w stop >/dev/null; fi
    # Only ever a cluster directory (or nothing): never an arbitrary folder.
    for d in "$DIR" "$STANDBY_DIR"; do
      if [ -f "$d/PG_VERSION" ] || { [ -d "$d" ] && [ -z "$(ls -A "$d")" ]; }; then rm -rf "$d"; fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status|url [DB]|createdb NAME|standby|standby-url [DB]|destroy" >&2
    exit 2
    ;;
esac
