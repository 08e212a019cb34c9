/**
 * The one start-up path of every process (server, worker, CLI): config → database → migrations → context.
 * Errors an operator can fix are thrown as `ConfigError` (bad variables, all named at once),
 * `DatabaseBusyError` (an embedded data dir held by another process) or `StartupError` (the database does
 * not answer); the caller prints their message on one line and exits non-zero.
 */
import pino, { type Logger } from 'pino';
import { sameJurisdictionId } from './catalog';
import { ConfigError, loadConfig, type Config, type LogLevel } from './config';
import { createContext, syncCaches, type AppContext, type Clock } from './context';
import {
  DatabaseBusyError,
  embeddedDataExists,
  openDatabase,
  readReplica,
  type Database,
  type DatabaseTarget,
  type ReadReplica,
} from './db';
import { migrateLatest } from './db';
import { hasJurisdiction, loadDemoCity, loadDemoRequests, prebuiltDemo, prebuiltProblem } from './demo';
import { createLogger } from './http';

export type ProcessRole = 'server' | 'worker' | 'cli';

export interface BootstrapOptions {
  env: Record<string, string | undefined>;
  role: ProcessRole;
  /** Default: pino at LOG_LEVEL on stdout; for the CLI, warnings and errors only, on stderr. */
  logger?: Logger;
  /** Apply pending migrations. Default: MIGRATE_ON_START. `migrate status` and `rollback` pass false. */
  migrate?: boolean;
  /** Load the Boston demo city into an empty database when DEMO is on (the server does). Default: false. */
  loadDemo?: boolean;
  clock?: Clock;
  /** Resolves a relative DATA_DIR; default: the working directory. */
  cwd?: string;
}

export interface Booted {
  config: Readonly<Config>;
  db: Database;
  ctx: AppContext;
  logger: Logger;
  /** Migrations applied by this start, oldest first. */
  applied: string[];
  /** Stops listening for cache notifications; closes the database (and an embedded data dir's lock). */
  close(): Promise<void>;
}

/** The database does not answer; the message names it without credentials. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Pool size per role: the API serves concurrent requests with DATABASE_POOL_MAX connections; a worker
 * runs one tick at a time and an operator command one statement at a time, so they take a few at most.
 */
export function poolMaxFor(role: ProcessRole, config: Pick<Config, 'databasePoolMax'>): number {
  if (role === 'worker') return Math.min(config.databasePoolMax, 4);
  if (role === 'cli') return Math.min(config.databasePoolMax, 2);
  return config.databasePoolMax;
}

export function databaseTarget(role: ProcessRole, config: Readonly<Config>): DatabaseTarget {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, poolMax: poolMaxFor(role, config) }
    : { kind: 'embedded', dataDir: config.dataDir };
}

function defaultLogger(role: ProcessRole, level: LogLevel): Logger {
  if (role !== 'cli') return createLogger(level);
  // A command's output is its stdout (e.g. `api-keys create --json`); only problems go to stderr.
  const severity = (l: LogLevel) => (l === 'silent' ? Infinity : (pino.levels.values[l] ?? 0));
  return createLogger(severity(level) > severity('warn') ? level : 'warn', pino.destination(2));
}

/**
 * An embedded data dir is held by one process, so with WORKER=off no `npm run worker` could open it and
 * escalations, webhooks and batch tokens would silently stop: refused before the database is opened.
 */
export function checkRole(role: ProcessRole, config: Readonly<Config>): void {
  if (role === 'server' && config.worker === 'off' && !config.databaseUrl) {
    throw new ConfigError([
      'WORKER=off needs DATABASE_URL: the embedded database is held by this server alone, so no `npm run worker` could open it (leave WORKER=inline)',
    ]);
  }
}

/** The address to print at start-up: one a person can open (0.0.0.0 and :: listen everywhere, so localhost). */
export function listenUrl(config: Pick<Config, 'host' | 'port'>, port = config.port): string {
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? 'localhost' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/**
 * The read replica of a server (DATABASE_READ_URL), checked once before the server answers and then
 * about every second. One that does not answer at start-up does not stop the server: reads go to the
 * primary until it does.
 */
async function openReplica(config: Readonly<Config>, logger: Logger): Promise<ReadReplica | null> {
  if (!config.databaseReadUrl) return null;
  const db = await openDatabase({
    kind: 'postgres',
    url: config.databaseReadUrl,
    poolMax: config.databasePoolMax,
  });
  const replica = readReplica(db, {
    maxLagSeconds: config.readMaxLagSeconds,
    onChange: (s) =>
      s.inUse
        ? logger.info({ replica: db.describe, lagSeconds: s.lagSeconds }, 'reading from the replica')
        : logger.warn(
            { replica: db.describe, reason: s.reason },
            'replica not used: reading from the primary',
          ),
  });
  await replica.check();
  replica.start();
  return replica;
}

/**
 * A new embedded data dir with the demo on starts from the pre-built demo database (src/demo/prebuilt.ts)
 * when it is current; null otherwise (the demo city is then loaded the long way, after the migrations).
 */
function prebuiltFor(target: DatabaseTarget, logger: Logger): Blob | null {
  if (target.kind !== 'embedded' || !target.dataDir || embeddedDataExists(target.dataDir)) return null;
  const problem = prebuiltProblem();
  if (problem) {
    logger.info({ reason: problem }, 'not using the pre-built demo database');
    return null;
  }
  return prebuiltDemo();
}

/**
 * On PostgreSQL, one process at a time looks for the demo city and loads it: several servers started
 * together on an empty database would otherwise all load it, or one would report ready and serve the
 * catalog while another was still importing the addresses and requests (probe: a half-loaded city for
 * 10 s). The lock is a session lock held on a connection of its own, outside the pool the load uses, and
 * released when that connection ends. The embedded database is one process's alone: nothing to wait for.
 */
async function oneDemoLoader(db: Database, logger: Logger, load: () => Promise<void>): Promise<void> {
  if (!db.newClient) return load();
  const client = db.newClient();
  await client.connect();
  try {
    const key = "hashtext('open311:demo-load')";
    const got = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${key}) AS ok`);
    if (!got.rows[0]?.ok) {
      logger.info('another process is loading the demo city: waiting for it');
      await client.query(`SELECT pg_advisory_lock(${key})`);
    }
    await load();
  } finally {
    await client.end().catch(() => {});
  }
}

export async function bootstrap(opts: BootstrapOptions): Promise<Booted> {
  const config = loadConfig(opts.env, opts.cwd);
  checkRole(opts.role, config);
  const logger = opts.logger ?? defaultLogger(opts.role, config.logLevel);

  let db: Database;
  const target = databaseTarget(opts.role, config);
  const prebuilt = opts.loadDemo && config.demo ? prebuiltFor(target, logger) : null;
  try {
    db = await openDatabase(
      prebuilt && target.kind === 'embedded' ? { ...target, loadDataDir: prebuilt } : target,
    );
  } catch (err) {
    if (err instanceof DatabaseBusyError) throw err;
    throw new StartupError(`cannot open the database: ${(err as Error).message}`);
  }
  try {
    await db.knex.raw('SELECT 1');
  } catch (err) {
    await db.close().catch(() => {});
    throw new StartupError(`cannot reach the database at ${db.describe}: ${(err as Error).message}`);
  }
  logger.info({ database: db.describe, role: opts.role }, 'database open');

  try {
    let applied: string[] = [];
    if (opts.migrate ?? config.migrateOnStart) {
      applied = await migrateLatest(db.knex).catch((err: unknown) => {
        throw extensionHint(err);
      });
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }
    if (prebuilt) {
      const requests = await loadDemoRequests(db.knex, new Date());
      logger.info({ requests }, 'demo city loaded from the pre-built database');
    } else if (opts.loadDemo && config.demo) {
      await oneDemoLoader(db, logger, async () => {
        if (await hasJurisdiction(db.knex)) return;
        logger.info('empty database: loading the Boston demo city (about a minute the first time)');
        await loadDemoCity(db.knex, new Date(), logger);
      });
    }
    if (config.defaultJurisdiction) await checkDefaultJurisdiction(db, config.defaultJurisdiction, logger);
    const replica = opts.role === 'server' ? await openReplica(config, logger) : null;
    const ctx = createContext({ config, db, logger, clock: opts.clock, replica });
    if (opts.role !== 'cli') ctx.metrics.collectProcessMetrics();
    const cacheSync = syncCaches(ctx);
    await cacheSync?.ready;
    return {
      config,
      db,
      ctx,
      logger,
      applied,
      close: async () => {
        await cacheSync?.stop();
        await replica?.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

/**
 * DEFAULT_JURISDICTION naming no jurisdiction is a typo that shows only once a second city is added (every
 * call naming none then goes to a city that does not exist): said at start-up, as a warning, since a new
 * city's jurisdiction may be created after the first start.
 */
export async function checkDefaultJurisdiction(db: Database, id: string, logger: Logger): Promise<void> {
  const known = (await db.knex('jurisdictions').orderBy('id').pluck('id')) as string[];
  if (known.length > 0 && !known.some((k) => sameJurisdictionId(k, id)))
    logger.warn(
      { defaultJurisdiction: id, known: known.slice(0, 20) },
      `DEFAULT_JURISDICTION "${id}" is not a jurisdiction of this database (known: ${known.slice(0, 20).join(', ')})`,
    );
}

/** The extensions the migrations create (migrations 20261124000001 and 20261203130001). */
const EXTENSIONS = ['postgis', 'pg_trgm', 'btree_gist'];

/**
 * A database user that may not create extensions (the usual managed-PostgreSQL setup) fails the first
 * migration with PostgreSQL's bare "permission denied to create extension": say what to ask for.
 */
function extensionHint(err: unknown): unknown {
  const message = (err as Error | null)?.message ?? '';
  const m = /permission denied to create extension "([\w-]+)"/.exec(message);
  if (!m) return err;
  return new StartupError(
    `the database user may not create the extension "${m[1]}". Ask a superuser (or your provider's admin ` +
      `role) to run, once in this database: ${EXTENSIONS.map((e) => `CREATE EXTENSION IF NOT EXISTS ${e};`).join(' ')} ` +
      'Then start again.',
  );
}
