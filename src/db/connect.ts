/**
 * One knex instance over either PostgreSQL (`pg`, pooled) or the embedded PGlite with PostGIS
 * (`knex-pglite`, a single connection: knex queues queries on it). Both run the same migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Extension, PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import v8 from 'node:v8';
import { fromRoot } from '../paths';
import { releaseInstallScripts, releasingLinkedLibraries } from './loaded-files';
import { fastPgliteClient } from './pglite-client';
import { slimPostgis } from './postgis-bundle';

/**
 * The embedded database's packages, loaded only when it is opened: importing them costs a PostgreSQL
 * server about 40 MB of RSS it never uses (measured by bench/opendata.ts).
 */
function embeddedPackages() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  // dist/index.cjs; the package does not export its package.json.
  const postgisDist = path.dirname(require.resolve('@electric-sql/pglite-postgis'));
  const postgisVersion = (
    JSON.parse(fs.readFileSync(path.join(postgisDist, '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  return {
    PGlite: (require('@electric-sql/pglite') as typeof import('@electric-sql/pglite')).PGlite,
    postgis: releasingLinkedLibraries(
      slimPostgis(
        (require('@electric-sql/pglite-postgis') as typeof import('@electric-sql/pglite-postgis')).postgis,
        path.join(postgisDist, 'postgis.tar.gz'),
        postgisVersion,
        fromRoot('node_modules', '.cache', 'open311'),
      ),
    ),
    // The package ships a CommonJS build of its contrib extensions but declares their types as ESM only.
    pg_trgm: (require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: Extension }).pg_trgm,
    // (location, requested_at) GiST indexes for radius and bbox pages (migration 20261203130001).
    btree_gist: (require('@electric-sql/pglite/contrib/btree_gist') as { btree_gist: Extension }).btree_gist,
    ClientPgLite: fastPgliteClient(require('knex-pglite') as new (config: unknown) => object),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

export type DatabaseKind = 'embedded' | 'postgres';

export interface Database {
  knex: Knex;
  kind: DatabaseKind;
  /** Human-readable target without credentials, for logs. */
  describe: string;
  /** PostgreSQL only: a new client outside the pool, for a connection that must stay its own (LISTEN). */
  newClient?: () => pg.Client;
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolMax?: number }
  | { kind: 'embedded'; dataDir?: string; loadDataDir?: Blob };

// int8 (counts, ids) and numeric come back as strings from pg; parse the ones that always fit in a double
// so both drivers return the same JS types. Ids are rendered with ::text in SQL anyway. Set when this module
// loads, not when a database is opened: code that makes its own knex on PostgreSQL in the same process
// (tests, benchmarks) counts on it, so node-postgres is loaded by the embedded mode too.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

const QUIET = { warn: () => {}, error: () => {}, deprecate: () => {}, debug: () => {} };

export class DatabaseBusyError extends Error {}

/**
 * The embedded database is a single process's: a second process opening the same data dir would corrupt
 * it. A lock file with the owner's pid guards it, created exclusively ('wx'), so of two processes starting
 * together exactly one gets it; a stale lock (dead pid) is removed and the exclusive create tried again.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, 'server.lock');
  const readPid = () => {
    try {
      return Number(fs.readFileSync(lockFile, 'utf8'));
    } catch {
      return NaN;
    }
  };
  const busy = (pid: number) =>
    new DatabaseBusyError(
      `The embedded database in ${dataDir} is in use by another process (pid ${pid}); stop it first, or use the HTTP admin API.`,
    );
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = readPid();
    if (pid === process.pid) break; // this process already holds it
    if (pid && isAlive(pid)) throw busy(pid);
    if (attempt > 0) throw busy(pid);
    // Stale: remove it only if it still names the dead owner, then race for it once more.
    if (readPid() === pid || Number.isNaN(pid)) fs.rmSync(lockFile, { force: true });
  }
  return () => {
    try {
      if (Number(fs.readFileSync(lockFile, 'utf8')) === process.pid) fs.unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded backend's memory settings (docs/decisions/0002-performance.md, target 5). Its buffers live
 * in the WebAssembly heap, which never shrinks, and the data files are on the same disk and in the OS page
 * cache anyway: PostgreSQL's default 128 MB of shared buffers cost 70 MB of resident memory at rest for
 * no measurable gain at the demo's size; 16 MB keeps the hot pages of the request tables.
 */
const EMBEDDED_SETTINGS = ['shared_buffers=16MB', 'maintenance_work_mem=16MB'];

/**
 * PGlite keeps every extension's unpacked bundle (34 MB for PostGIS: the buffer bundleFromFile gives it)
 * referenced from its Emscripten module after it has copied the files out of it into its own file
 * system: drop it.
 */
function releaseBundles(pglite: PGlite): void {
  const mod = (pglite as unknown as { mod?: { pg_extensions?: unknown } }).mod;
  if (mod && 'pg_extensions' in mod) mod.pg_extensions = {};
}

/**
 * V8 compiles WebAssembly twice: at once with its baseline compiler (Liftoff), then again with its
 * optimising one (TurboFan) for each function that runs hot, on background threads. For PGlite (27 MB of
 * WebAssembly with PostGIS) the second pass held 40–50 MB more and, on a busy 2-core machine, took the
 * CPU the first requests needed: bench/run-embedded.ts measured the same POST throughput with the
 * baseline code alone, a first POST twice as fast and less memory. Set before PGlite compiles anything;
 * the process has no other WebAssembly.
 */
function baselineWasmOnly(): void {
  v8.setFlagsFromString('--liftoff-only');
}

/**
 * Each PostgreSQL connection of the pool turns JIT compilation off for its session. PostgreSQL compiles a
 * query whose estimated cost passes jit_above_cost (100,000 by default): a radius or bbox page of 1,000 rows
 * at 1M requests is estimated at ~120,000–175,000 (PostGIS cannot tell how many rows a circle holds) and
 * paid 27–37 ms of LLVM code generation for a query that runs in ~25 ms without it (EXPLAIN ANALYZE's JIT
 * timing, docs/decisions/0002-performance.md). This server's queries are pages, counts and streamed
 * exports, never long enough for compiled expressions to repay the compilation. One statement when a
 * connection opens, not per query; a DBA's setting for other roles and tools is untouched.
 */
function sessionSettings(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void): void {
  conn.query('SET jit = off', (err) => done(err ?? null, conn));
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: target.url, application_name: 'open311-server' },
      pool: { min: 0, max: target.poolMax ?? 10, afterCreate: sessionSettings },
      acquireConnectionTimeout: 10_000,
      // knex would print pool errors itself; every failure already reaches the caller as an error.
      log: QUIET,
    });
    return {
      knex,
      kind: 'postgres',
      describe: redactUrl(target.url),
      // The LISTEN connection (cache sync): a connect that hangs (a primary gone without a reset) fails
      // after 10 s and is retried, and TCP keep-alive notices a peer that vanished while it was idle.
      newClient: () =>
        new pg.Client({
          connectionString: target.url,
          application_name: 'open311-server (listen)',
          connectionTimeoutMillis: 10_000,
          keepAlive: true,
          keepAliveInitialDelayMillis: 30_000,
        }),
      close: () => knex.destroy(),
    };
  }
  const { PGlite: PGliteClass, postgis, pg_trgm, btree_gist, ClientPgLite } = embeddedPackages();
  baselineWasmOnly();
  const release = target.dataDir ? lockDataDir(target.dataDir) : () => {};
  let pglite: PGlite;
  try {
    pglite = await PGliteClass.create({
      ...(target.dataDir ? { dataDir: path.join(target.dataDir, 'pgdata') } : {}),
      ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
      extensions: { postgis, pg_trgm, btree_gist },
      startParams: [...PGliteClass.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ['-c', s])],
    });
  } catch (err) {
    release();
    throw err;
  }
  releaseBundles(pglite);
  try {
    await releaseInstallScripts(pglite, ['postgis']);
  } catch (err) {
    await pglite.close().catch(() => {});
    release();
    throw err;
  }
  const knex = knexFactory({ client: ClientPgLite as never, connection: { pglite } as never });
  return {
    knex,
    kind: 'embedded',
    describe: target.dataDir ? `embedded PGlite at ${target.dataDir}` : 'embedded PGlite (in memory)',
    // knex-pglite closes the PGlite instance when the pool is destroyed.
    close: async () => {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
      release();
    },
  };
}

/** Whether an embedded data dir already holds a database (PGlite keeps it in its pgdata folder). */
export function embeddedDataExists(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'));
}

/** Dumps an embedded database's data dir (used to give each test worker a pre-migrated copy). */
export async function dumpEmbedded(db: Database): Promise<Blob> {
  const client = (await db.knex.client.acquireConnection()) as PGlite;
  try {
    return (await client.dumpDataDir('gzip')) as Blob;
  } finally {
    await db.knex.client.releaseConnection(client);
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable url)';
  }
}
