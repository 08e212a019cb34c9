#!/usr/bin/env bash
# The README's promise, tried as a user would: `npm start` on a fresh data dir serves the demo city,
# restarts with its data, and stops cleanly on SIGTERM (to the server, then to npm alone). Usage: bash scripts/smoke-start.sh [DATABASE_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${SMOKE_PORT:-3999}"
DATA="$(mktemp -d)"
export PORT DATA_DIR="$DATA" LOG_LEVEL=info
[ -n "${1:-}" ] && export DATABASE_URL="$1"
PID=""
# Only this run's processes: the server is a descendant of the npm started here, never another one.
descendants() { local p; for p in $(pgrep -P "$1" || true); do echo "$p"; descendants "$p"; done; }
server_pid() { for p in $(descendants "$PID"); do ps -o pid=,args= -p "$p"; done | awk '$2 ~ /(^|\/)node$/ && /src\/server\.(ts|js)/ { print $1; exit }'; }
cleanup() { if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM $(descendants "$PID") "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
fail() { echo "smoke: $*" >&2; cat "$DATA/server.log" >&2 || true; exit 1; }

start() {
  npm start --silent >"$DATA/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 180); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$PID" 2>/dev/null || fail "the server exited during start-up"
    sleep 1
  done
  fail "not ready after 180 s"
}
# SIGTERM goes to the server process itself (as an orchestrator sends it); npm then exits with its code.
stop() {
  local server
  server="$(server_pid)"
  [ -n "$server" ] || fail "no server process under npm"
  kill -TERM "$server"
  for _ in $(seq 1 10); do kill -0 "$PID" 2>/dev/null || break; sleep 1; done
  kill -0 "$PID" 2>/dev/null && fail "still running 10 s after SIGTERM"
  wait "$PID" || fail "exit code $? after SIGTERM"
}

# SIGTERM to npm alone (as some process managers send it): npm hands it on to the server (the start script
# execs node, no shell in between), and no process of the server is left behind.
stop_npm() {
  local server
  server="$(server_pid)"
  [ -n "$server" ] || fail "no server process under npm"
  kill -TERM "$PID"
  for _ in $(seq 1 10); do kill -0 "$server" 2>/dev/null || kill -0 "$PID" 2>/dev/null || break; sleep 1; done
  kill -0 "$server" 2>/dev/null && fail "the server (pid $server) still runs 10 s after SIGTERM to npm"
  wait "$PID" || true
  grep -q '"msg":"stopped"' "$DATA/server.log" || fail "the server did not shut down cleanly"
}

t0=$(date +%s); start; echo "first start ready in $(( $(date +%s) - t0 )) s"
n=$(curl -fsS "http://127.0.0.1:$PORT/open311/v2/services.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
[ "$n" -ge 100 ] || fail "expected the demo catalog, got $n services"
grep -q "listening: open http://localhost:$PORT/" "$DATA/server.log" || fail "no URL a person can open in the start-up log"
grep -q '"route":"/open311/v2/services.:format"' "$DATA/server.log" || fail "no access log line for the services call"
curl -fsS "http://127.0.0.1:$PORT/open311/v2/requests.xml?page_size=5" | grep -q '<service_requests><request>' || fail "no requests in XML"
stop
t0=$(date +%s); start; echo "restart ready in $(( $(date +%s) - t0 )) s"
stop_npm
rm -rf "$DATA"
echo "smoke: ok ($n services)"
