#!/bin/sh
# `npm run build` (and the image's build stage): the server, CLI, worker and migrations compiled into dist/.
# dist/ is emptied first (a removed migration must not stay behind as JavaScript), and dist/.built is
# stamped only when tsc succeeds, with the time the build STARTED: scripts/launch.sh runs dist/ only while
# no source is newer than that stamp, so a file edited during the build still counts as newer.
# `--if-possible` (the `prepare` script, run by `npm install`): never fails the install; without
# TypeScript (a production-only install) or with type errors, it leaves no stamp and says so, and
# `npm start` runs the sources through tsx.
set -e
cd "$(dirname "$0")/.."
lenient=0
[ "$1" = --if-possible ] && lenient=1
if [ "$lenient" = 1 ] && [ ! -x node_modules/.bin/tsc ]; then
  echo "open311: TypeScript is not installed; \`npm start\` will run the sources through tsx" >&2
  exit 0
fi
rm -rf dist
mkdir dist
touch dist/.building
if node_modules/.bin/tsc -p tsconfig.build.json; then
  mv dist/.building dist/.built
elif [ "$lenient" = 1 ]; then
  rm -f dist/.building
  echo "open311: the build failed; \`npm start\` will run the sources through tsx (npm run build to retry)" >&2
else
  exit 1
fi
