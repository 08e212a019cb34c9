#!/bin/sh
# What `npm start`, `npm run worker` and `npm run cli` run: `exec`s node, so node replaces this shell and
# every signal sent to npm (SIGTERM from a process manager, Ctrl-C) reaches the server itself.
# From a checkout, the TypeScript sources through tsx; in the container image (NODE_ENV=production, the
# build output in dist/, no src/), the compiled JavaScript.
# Usage: sh scripts/launch.sh server|worker|cli [arguments]
set -e
case "$1" in
  server) entry=server ;;
  worker) entry=worker-main ;;
  cli) entry=cli/index ;;
  *) echo "usage: sh scripts/launch.sh server|worker|cli [arguments]" >&2; exit 64 ;;
esac
shift
if [ "$NODE_ENV" = production ] && [ -f "dist/src/$entry.js" ]; then
  exec node "dist/src/$entry.js" "$@"
fi
exec node --require tsx/cjs "src/$entry.ts" "$@"
