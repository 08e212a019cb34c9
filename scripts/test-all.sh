#!/usr/bin/env bash
# `npm test`: the whole suite on the embedded database, then again on PostgreSQL when TEST_DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== embedded (PGlite + PostGIS) =="
npm run --silent test:embedded -- "$@"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== PostgreSQL ($(printf '%s' "$TEST_DATABASE_URL" | sed -E 's#//[^@/]*@#//#')) =="
  npm run --silent test:postgres -- "$@"
else
  echo "(TEST_DATABASE_URL is not set: the PostgreSQL run is skipped; see README, Development)"
fi
