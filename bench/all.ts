/**
 * `npm run bench`: every benchmark, one after the other, each writing its own section of BENCHMARKS.md:
 *   1. bench/run.ts        load against the bare Express + pg baseline, duplicate check, escalation, RSS
 *   2. bench/opendata.ts   export memory at 100k and 1M rows, dashboard refresh (reads only)
 *   3. bench/geo-scale.ts  geography at 500,000 address points, in a database of its own (it replaces the
 *                          city's address points): BENCH_GEO_DATABASE_URL, else `<database>_geo` beside
 *                          BENCH_DATABASE_URL, dropped and created afresh (the role needs CREATEDB)
 *   4. bench/run-embedded.ts  the embedded database at 100k requests
 *   5. bench/geocode-accuracy.ts  geocoding accuracy on the demo's addresses (embedded)
 * `npm run bench -- load opendata` runs only those named (load, opendata, geo, embedded, accuracy).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import knexFactory from 'knex';

const URL_ = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const STEPS = {
  load: 'run.ts',
  opendata: 'opendata.ts',
  geo: 'geo-scale.ts',
  embedded: 'run-embedded.ts',
  accuracy: 'geocode-accuracy.ts',
} as const;
type Step = keyof typeof STEPS;

async function freshGeoDatabase(): Promise<string> {
  if (process.env.BENCH_GEO_DATABASE_URL) return process.env.BENCH_GEO_DATABASE_URL;
  const url = new URL(URL_ as string);
  const name = `${url.pathname.slice(1)}_geo`;
  if (!/^[A-Za-z0-9_]{1,60}$/.test(name))
    throw new Error(`cannot derive a database name from ${url.pathname}`);
  const admin = knexFactory({ client: 'pg', connection: URL_, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.raw(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.destroy();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

async function main(): Promise<void> {
  if (!URL_) throw new Error('set BENCH_DATABASE_URL (PostgreSQL + PostGIS); see README, Benchmarks');
  const asked = process.argv.slice(2) as Step[];
  const bad = asked.filter((s) => !(s in STEPS));
  if (bad.length > 0)
    throw new Error(`unknown benchmark ${bad.join(', ')}: use ${Object.keys(STEPS).join(', ')}`);
  const steps = asked.length > 0 ? asked : (Object.keys(STEPS) as Step[]);
  const failed: string[] = [];
  for (const step of steps) {
    console.log(`\n== bench: ${step} (bench/${STEPS[step]})`);
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_DATABASE_URL: URL_ };
    if (step === 'geo') env.BENCH_DATABASE_URL = await freshGeoDatabase();
    if (step === 'accuracy') {
      // The demo's own addresses, on an embedded database of its own.
      delete env.BENCH_DATABASE_URL;
      delete env.DATABASE_URL;
    }
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, STEPS[step])], {
      env,
      stdio: 'inherit',
    });
    if (r.status !== 0) failed.push(step);
  }
  if (failed.length > 0) {
    console.error(`bench: failed: ${failed.join(', ')} (the other sections were written)`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `bench: ${err.message}` : err);
  process.exit(1);
});
