#!/usr/bin/env bash
# `npm test`: the whole suite on the embedded database (PGlite), then again on PostgreSQL when
# TEST_DATABASE_URL is set (see scripts/pg-local.sh). Arguments go to jest on both runs, for example
# `npm test -- test/open311-post.test.ts`. Both runs happen even if the first fails; the exit code is
# non-zero if either failed. The last line totals both runs.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
JEST_ARGS=("$@")
runs=()

# jest's usual output goes to the terminal (stderr); --json writes the counts to a file for the closing line.
# The jest command lines themselves are package.json's test:embedded and test:postgres.
run() { # embedded|postgres
  local rc=0
  npm run --silent "test:$1" -- --json --outputFile="$results/$1.json" "${JEST_ARGS[@]}" || rc=$?
  runs+=("$1:$rc")
}

echo "== embedded (PGlite) =="
run embedded

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  # host:port/database, never the user or password.
  target="$(node -e 'const u = new URL(process.argv[1]); console.log(u.host + u.pathname)' "$TEST_DATABASE_URL" 2>/dev/null)" ||
    target="unparsable TEST_DATABASE_URL"
  echo
  echo "== PostgreSQL ($target) =="
  run postgres
else
  echo
  echo "(TEST_DATABASE_URL is not set: the PostgreSQL run is skipped; bash scripts/pg-local.sh start sets one up)"
fi

# Totals of both runs as a plain 'N passed, N failed' closing line. A run that failed without a failing
# test (no tests found, set-up error, crash before reporting) counts as one failure.
node -e '
  const fs = require("fs");
  const [dir, ...runs] = process.argv.slice(1);
  const t = { passed: 0, failed: 0, skipped: 0 };
  const notes = [];
  for (const run of runs) {
    const [name, rc] = run.split(":");
    const file = `${dir}/${name}.json`;
    const r = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : null;
    let failed = r ? r.numFailedTests + (r.numRuntimeErrorTestSuites || 0) : 0;
    if (rc !== "0" && failed === 0) failed = 1;
    t.passed += r ? r.numPassedTests : 0;
    t.failed += failed;
    t.skipped += r ? r.numPendingTests + (r.numTodoTests || 0) : 0;
    notes.push(`${name}: ${r ? r.numPassedTests : 0} passed, ${failed} failed${rc !== "0" ? " (exit " + rc + ")" : ""}`);
  }
  console.log(`\n(${notes.join("; ")})`);
  console.log(`tests: ${t.passed} passed, ${t.failed} failed` + (t.skipped ? `, ${t.skipped} skipped` : ""));
' "$results" "${runs[@]}" || true

failed=""
for r in "${runs[@]}"; do
  [ "${r#*:}" = 0 ] || failed="$failed ${r%%:*}"
done
if [ -n "$failed" ]; then
  echo "npm test: FAILED on:$failed (see above)" >&2
  exit 1
fi
