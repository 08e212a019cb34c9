/**
 * Start-up: config → database → migrations → demo city (when empty) → HTTP → worker.
 * Failures an operator can fix (bad configuration, busy port, unreachable database) print one clear line
 * and exit non-zero; SIGTERM/SIGINT drain in-flight requests and exit 0 within 10 s.
 */
import { createServer, type Server } from 'node:http';
import { createApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { createContext } from './context';
import { DatabaseBusyError, openDatabase, type Database } from './db/connect';
import { migrateLatest } from './db/migrate';
import { hasJurisdiction, loadDemoCity } from './demo/load-demo';
import { createLogger } from './http/logging';
import { startWorker } from './worker';
import { startDashboardWarmer } from './dashboard/warm';

function die(message: string, code = 1): never {
  console.error(`open311: ${message}`);
  process.exit(code);
}

async function connect(config: Config): Promise<Database> {
  const db = await openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl, poolMax: config.databasePoolMax }
      : { kind: 'embedded', dataDir: config.dataDir },
  );
  try {
    await db.knex.raw('SELECT 1');
  } catch (err) {
    await db.close().catch(() => {});
    throw new Error(`cannot reach the database at ${db.describe}: ${(err as Error).message}`);
  }
  return db;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) die(err.message, 2);
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const started = Date.now();

  let db: Database;
  try {
    db = await connect(config);
  } catch (err) {
    die(err instanceof DatabaseBusyError ? err.message : (err as Error).message);
  }
  logger.info({ database: db.describe }, 'database open');

  if (config.migrateOnStart) {
    const applied = await migrateLatest(db.knex);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  if (config.demo && !(await hasJurisdiction(db.knex))) {
    logger.info('empty database: loading the Boston demo city (about a minute the first time)');
    await loadDemoCity(db.knex, new Date(), logger);
  }

  const ctx = createContext({ config, db, logger });
  const http = createServer(createApp(ctx));
  http.keepAliveTimeout = 5000;
  try {
    await listen(http, config.port, config.host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await db.close().catch(() => {});
    die(
      code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.host} is already in use (set PORT to another port)`
        : `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`,
    );
  }
  const worker = config.worker === 'inline' ? startWorker(ctx) : null;
  const warmer = startDashboardWarmer(ctx);
  logger.info(
    {
      url: `http://${config.host}:${config.port}`,
      database: db.kind,
      worker: config.worker,
      startupMs: Date.now() - started,
    },
    'open311 server listening',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => die('shutdown took longer than 10 s; exiting'), 10_000).unref();
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    await closed;
    warmer.stop();
    await worker?.stop();
    await db.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => die(`start-up failed: ${(err as Error).message ?? String(err)}`));
