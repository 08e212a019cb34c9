#!/usr/bin/env bash
# The container image's runtime stage, replayed without a Docker engine: the Dockerfile's runtime COPY
# lines (read from the Dockerfile, so the two cannot drift) into an empty directory, its production-only
# `npm ci`, its ENV; then, as the image runs: the server (`npm start`, dist/), the HEALTHCHECK command,
# an operator command (`npm run cli -- …`) and a worker (`npm run worker`), like docker-compose.yml's
# services. Usage: bash scripts/container-check.sh [DATABASE_URL]   (default: the embedded database, where
# the CLI and the worker run after the server stops, since one process holds it)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PORT="${CHECK_PORT:-3998}"
ROOT="$(mktemp -d /tmp/open311-image.XXXXXX)"
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$ROOT"
}
trap cleanup EXIT
fail() { echo "container-check: $*" >&2; for f in "$ROOT"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }
t0=$SECONDS

# The build stage: the compiled output (dist/), as `npm run build` makes it in the image.
rm -rf dist && npm run --silent build

# The runtime stage, line by line from the Dockerfile.
APP="$ROOT/app"
mkdir -p "$APP" "$ROOT/data"
runtime=0
while IFS= read -r line; do
  case "$line" in
    FROM*" AS runtime"*) runtime=1 ;;
    FROM*) runtime=0 ;;
  esac
  [ "$runtime" = 1 ] || continue
  read -r -a w <<<"$line"
  case "${w[0]:-}" in
    COPY)
      # COPY [--from=build] SRC... DEST; build-stage paths are /app/X, here the build output in the repo.
      args=("${w[@]:1}")
      from=""
      if [ "${args[0]}" = "--from=build" ]; then from=build; args=("${args[@]:1}"); fi
      dst="${args[${#args[@]} - 1]}"
      unset 'args[${#args[@]}-1]'
      for src in "${args[@]}"; do
        [ "$from" = build ] && src="${src#/app/}"
        if [[ "$dst" == */ ]]; then
          mkdir -p "$APP/$dst" && cp -R "$REPO/$src" "$APP/$dst"
        else
          mkdir -p "$(dirname "$APP/$dst")" && cp -R "$REPO/$src" "$APP/$dst"
        fi
      done
      ;;
    ENV)
      for kv in "${w[@]:1}"; do export "${kv?}"; done
      ;;
  esac
done <Dockerfile
grep -q 'npm ci --omit=dev' Dockerfile || fail "the runtime stage no longer installs production dependencies only"
(cd "$APP" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts --prefer-offline --loglevel=error) ||
  fail "production install failed"
[ ! -e "$APP/src/server.ts" ] || fail "TypeScript sources leaked into the image"
[ ! -d "$APP/node_modules/typescript" ] || fail "dev dependencies in the production install"
echo "runtime stage assembled in $((SECONDS - t0)) s"

export NODE_ENV DATA_DIR="$ROOT/data" PORT HOST=127.0.0.1 DEMO=false LOG_LEVEL=info
if [ -n "${1:-}" ]; then export DATABASE_URL="$1" WORKER=off; fi
cd "$APP"
HEALTHCHECK="$(node -e '
  const m = require("fs").readFileSync(process.argv[1], "utf8").match(/HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/);
  if (!m) process.exit(1);
  console.log(JSON.parse(m[1]).slice(2).join(" "));' "$REPO/Dockerfile")" || fail "no HEALTHCHECK CMD in the Dockerfile"

npm start >"$ROOT/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do
  node -e "$HEALTHCHECK" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || fail "the server exited during start-up"
  sleep 1
done
node -e "$HEALTHCHECK" || fail "the image's health check fails"
grep -q '"url":"http://127.0.0.1:'"$PORT"'/"' "$ROOT/server.log" || fail "no start-up line"
grep -q 'dist/src/server.js' <(ps -o args= -p "$(pgrep -P "$PID" | head -1)") || fail "npm start did not run dist/"
echo "server ready and healthy ($((SECONDS - t0)) s)"

stop_server() { kill -TERM "$PID"; wait "$PID" || true; PID=""; grep -q '"msg":"stopped"' "$ROOT/server.log" || fail "no clean stop"; }
[ -n "${DATABASE_URL:-}" ] || stop_server

npm run --silent cli -- jurisdiction create --id check.example.gov --name "Check City" --time-zone America/New_York \
  >"$ROOT/cli.log" 2>&1 || fail "npm run cli -- jurisdiction create failed"
npm run --silent cli -- api-keys create --name check --role client --channel web --json >"$ROOT/key.log" 2>&1 ||
  fail "npm run cli -- api-keys create failed"
grep -q '"api_key"' "$ROOT/key.log" || fail "no key from the CLI"
echo "cli ok ($((SECONDS - t0)) s)"

WORKER_INTERVAL_MS=200 npm run worker >"$ROOT/worker.log" 2>&1 &
WPID=$!
for _ in $(seq 1 60); do grep -q '"msg":"worker running"' "$ROOT/worker.log" && break; kill -0 "$WPID" 2>/dev/null || fail "the worker exited"; sleep 1; done
grep -q '"msg":"worker running"' "$ROOT/worker.log" || fail "the worker did not start"
WNODE="$(pgrep -P "$WPID" | head -1)"
grep -q 'dist/src/worker-main.js' <(ps -o args= -p "$WNODE") || fail "npm run worker did not run dist/"
sleep 1
kill -TERM "$WPID" # npm alone, as a container runtime signals its PID 1
wait "$WPID" || true
for _ in 1 2 3 4 5; do kill -0 "$WNODE" 2>/dev/null || break; sleep 1; done
kill -0 "$WNODE" 2>/dev/null && fail "the worker process survived SIGTERM to npm"
grep -q '"level":50' "$ROOT/worker.log" && fail "the worker logged an error"
echo "worker ok ($((SECONDS - t0)) s)"

[ -z "$PID" ] || stop_server
echo "container-check: ok in $((SECONDS - t0)) s ($([ -n "${DATABASE_URL:-}" ] && echo PostgreSQL || echo embedded))"
