#!/bin/sh
# What `npm start`, `npm run worker` and `npm run cli` run: `exec`s node, so node replaces this shell and
# every signal sent to npm (SIGTERM from a process manager, Ctrl-C) reaches the server itself.
# The compiled JavaScript in dist/ when it is current, else the TypeScript sources through tsx:
# - in the container image (NODE_ENV=production, the build output in dist/, no sources), dist/;
# - in a checkout, dist/ as `npm install` (the `prepare` script) or `npm run build` left it, but only while
#   no source is newer than that build (scripts/build.sh stamps dist/.built with the time the build
#   started): an edited, added or removed file under src/ or migrations/ (a removal touches its folder)
#   sends the next start through tsx, so a stale build never runs. Compiled, the server starts seconds
#   sooner and holds about 100 MB less than through tsx (docs/decisions/0002-performance.md).
# Everywhere, V8's young generation at 8 MB a semi-space (16 MB by default): a 1M-row export peaks at
# ~125 MB against 193–199 MB with the default, and a 1,000-row page spends half the time in scavenges it
# spent at 4 MB (the first choice; 17 → 8 ms a page, docs/decisions/0002-performance.md), as the image's
# CMD runs the server (test/config-docs.test.ts holds the two equal). In a checkout (a
# laptop, where the embedded database is the default), also glibc serving allocations of 16 kB and more
# from their own mappings, so that the buffers of start-up are returned to the system when freed instead
# of staying in its heap (PGlite unpacks the pre-built demo data dir and its contrib extensions in zlib's
# 16 kB chunks: with the threshold at 128 kB they stayed, 100 MB of the heap after a first start); with the
# semi-space, measured with bench/run-embedded.ts. Either can be overridden from the environment
# (NODE_OPTIONS, MALLOC_*). --expose-gc lets the server run one full collection a few seconds after it
# starts (src/server.ts), so that start-up's garbage is returned then.
# OPEN311_TSX=1 forces the sources through tsx.
# `sh scripts/launch.sh fresh` only answers whether dist/ is current (exit 0) or not (1): the benchmarks
# (bench/harness.ts) ask it before they run the compiled server.
# Usage: sh scripts/launch.sh server|worker|cli [arguments] | fresh
set -e
V8_MEMORY=--max-semi-space-size=8
# dist/ holds entry $1 and no source is newer than its build.
fresh_build() {
  [ -f dist/.built ] && [ -f "dist/src/$1.js" ] &&
    [ -z "$(find src migrations knexfile.ts tsconfig.json tsconfig.build.json -newer dist/.built ! -name '*.test.ts' 2>/dev/null | head -n 1)" ]
}
case "$1" in
  server) entry=server ;;
  worker) entry=worker-main ;;
  cli) entry=cli/index ;;
  fresh) fresh_build server && exit 0 || exit 1 ;;
  *) echo "usage: sh scripts/launch.sh server|worker|cli [arguments] | fresh" >&2; exit 64 ;;
esac
shift
if [ "$NODE_ENV" = production ] && [ -f "dist/src/$entry.js" ]; then
  exec node $V8_MEMORY "dist/src/$entry.js" "$@"
fi
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-16384}"
if [ "$OPEN311_TSX" != 1 ] && fresh_build "$entry"; then
  exec node $V8_MEMORY --expose-gc "dist/src/$entry.js" "$@"
fi
exec node $V8_MEMORY --expose-gc --require tsx/cjs "src/$entry.ts" "$@"
