/**
 * `npm run worker`: the background worker as its own process (run API nodes with WORKER=off). Any number
 * may run against one PostgreSQL database: every job is claimed with FOR UPDATE SKIP LOCKED or a unique key.
 */
import { bootstrap } from './bootstrap';
import { ConfigError } from './config';
import { withEnvFile } from './env-file';
import { startWorker } from './worker';

function die(message: string, code = 1): never {
  console.error(`open311 worker: ${message}`);
  process.exit(code);
}

async function main(): Promise<void> {
  const booted = await bootstrap({ env: withEnvFile(process.env), role: 'worker' }).catch((err: unknown) =>
    die((err as Error).message, err instanceof ConfigError ? 2 : 1),
  );
  const { config, db, ctx, logger } = booted;
  const worker = startWorker(ctx);
  logger.info({ database: db.describe, intervalMs: config.workerIntervalMs }, 'worker running');
  const stop = async () => {
    await worker.stop();
    await booted.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => die((err as Error).message));
