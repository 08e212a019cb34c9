/**
 * `npm run worker`: the background worker as its own process (run API nodes with WORKER=off). Any number
 * may run against one PostgreSQL database: every job is claimed with FOR UPDATE SKIP LOCKED or a unique key.
 */
import { loadConfig, ConfigError } from './config';
import { createContext } from './context';
import { openDatabase } from './db/connect';
import { migrateLatest } from './db/migrate';
import { createLogger } from './http/logging';
import { startWorker } from './worker';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    console.error(`open311 worker: ${(err as Error).message}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl, poolMax: 4 }
      : { kind: 'embedded', dataDir: config.dataDir },
  );
  if (config.migrateOnStart) await migrateLatest(db.knex);
  const worker = startWorker(createContext({ config, db, logger }));
  logger.info({ database: db.describe, intervalMs: config.workerIntervalMs }, 'worker running');
  const stop = async () => {
    await worker.stop();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`open311 worker: ${(err as Error).message}`);
  process.exit(1);
});
