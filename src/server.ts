/**
 * Start-up: config → database → migrations → demo city (when empty) → HTTP → worker.
 * Failures an operator can fix (bad configuration, busy port, unreachable database) print one clear line
 * and exit non-zero; SIGTERM/SIGINT drain in-flight requests and exit 0 within 10 s.
 */
import { createServer, type Server } from 'node:http';
import { createApp } from './app';
import { bootstrap, listenUrl, StartupError, type Booted } from './bootstrap';
import { ConfigError } from './config';
import { DatabaseBusyError } from './db';
import { withEnvFile } from './env-file';
import { startWorker } from './worker';
import { startDashboardWarmer } from './dashboard';

function die(message: string, code = 1): never {
  console.error(`open311: ${message}`);
  process.exit(code);
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
  const started = Date.now();
  let booted: Booted;
  try {
    booted = await bootstrap({ env: withEnvFile(process.env), role: 'server', loadDemo: true });
  } catch (err) {
    if (err instanceof ConfigError) die(err.message, 2);
    if (err instanceof StartupError || err instanceof DatabaseBusyError) die(err.message);
    throw err;
  }
  const { config, db, ctx, logger } = booted;

  const http = createServer(createApp(ctx));
  http.keepAliveTimeout = 5000;
  try {
    await listen(http, config.port, config.host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await booted.close().catch(() => {});
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
      url: listenUrl(config),
      database: db.kind,
      worker: config.worker,
      startupMs: Date.now() - started,
    },
    `open311 server listening: open ${listenUrl(config)}`,
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
    await booted.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => die(`start-up failed: ${(err as Error).message ?? String(err)}`));
