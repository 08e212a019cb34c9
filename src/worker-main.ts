/**
 * `npm run worker`: the background worker as its own process (run API nodes with WORKER=off). Any number
 * may run against one PostgreSQL database: every job is claimed with FOR UPDATE SKIP LOCKED or a unique key.
 */
import type { Server } from 'node:http';
import express from 'express';
import { bootstrap } from './bootstrap';
import { ConfigError } from './config';
import { withEnvFile } from './env-file';
import { metricsHandler } from './http';
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
  // Its tick, escalation and delivery series for Prometheus (METRICS_PORT), behind METRICS_TOKEN too.
  let metrics: Server | null = null;
  if (config.metricsPort !== null) {
    const app = express().disable('x-powered-by');
    app.get('/metrics', metricsHandler(ctx.metrics, config.metricsToken));
    metrics = app.listen(config.metricsPort, config.host);
    metrics.on('error', (err) => die(`cannot serve metrics on port ${config.metricsPort}: ${err.message}`));
  }
  logger.info(
    { database: db.describe, intervalMs: config.workerIntervalMs, metricsPort: config.metricsPort },
    'worker running',
  );
  // The same two lines as the server's, so a graceful stop is told apart from a crash or an OOM kill.
  const stop = async (signal: string) => {
    if (!ctx.lifecycle.stop(ctx.clock())) return;
    logger.info({ signal }, 'shutting down');
    metrics?.close();
    await worker.stop();
    await booted.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => die((err as Error).message));
