/**
 * Start-up: config → database → migrations → demo city (when empty) → HTTP → worker.
 * Failures an operator can fix (bad configuration, busy port, unreachable database) print one clear line
 * and exit non-zero; SIGTERM/SIGINT: /readyz turns 503, requests in flight and those arriving on open
 * connections are answered (with `Connection: close`), and the process exits 0 within 10 s (plus
 * SHUTDOWN_DRAIN_SECONDS).
 */
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { createApp } from './app';
import { answerClientError, gracefulServer } from './http';
import { bootstrap, listenUrl, StartupError, type Booted } from './bootstrap';
import { ConfigError } from './config';
import { DatabaseBusyError } from './db';
import { withEnvFile } from './env-file';
import { startWorker } from './worker';
import { startDashboardWarmer } from './dashboard';

/**
 * One full garbage collection this long after the server listens, when node runs with --expose-gc (as
 * scripts/launch.sh starts it). Start-up leaves ~80 MB of buffers no longer referenced (the embedded
 * database's extension bundles as unpacked, the pre-built demo data dir) that V8 frees only at its next
 * full collection, which an idle server may not run for minutes: its RSS at rest was 300–410 MB or 260–300 MB
 * depending on whether one had happened (docs/decisions/0002-performance.md). Late enough that the first
 * worker tick (WORKER_INTERVAL_MS, 5 s by default) and the dashboard's first warm-up are done; ~0.1 s of
 * CPU once.
 */
const STARTUP_GC_DELAY_MS = 6_000;

/**
 * On the embedded database the dashboard's first warm-up waits this long after the server listens. Its
 * queries run on the server's own thread there (PGlite: one backend in WebAssembly, each query blocking
 * until done: ~150 ms for the demo city), so at once it held up the first requests of a just-started
 * server, /readyz among them (docs/decisions/0002-performance.md, sixth pass). On PostgreSQL the queries
 * run in the database and the warm-up starts at once.
 */
const EMBEDDED_FIRST_WARM_MS = 2_000;

/** In-flight requests get this long to finish after SIGTERM; what is still running then is cut off. */
const DRAIN_MS = 7_000;
/** The whole shutdown, after which the process exits 1 whatever is left. */
const SHUTDOWN_BUDGET_MS = 10_000;

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

  const app = createApp(ctx);
  // The server and its graceful stop (src/http/graceful.ts); the stopping state is the context's.
  const web = gracefulServer(app, { lifecycle: ctx.lifecycle });
  const http = web.server;
  http.on('clientError', answerClientError);
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
  const warmer = startDashboardWarmer(ctx, undefined, db.kind === 'embedded' ? EMBEDDED_FIRST_WARM_MS : 0);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) setTimeout(gc, STARTUP_GC_DELAY_MS).unref();
  logger.info(
    {
      url: listenUrl(config),
      database: db.kind,
      worker: config.worker,
      startupMs: Date.now() - started,
    },
    `open311 server listening: open ${listenUrl(config)}`,
  );

  /**
   * /readyz 503 at once; SHUTDOWN_DRAIN_SECONDS still serving (answers say `Connection: close`); stop
   * accepting; answer what is in flight and what arrives on open connections, close idle keep-alive
   * connections; give it DRAIN_MS, then cut off what is still streaming; stop the worker (it claims
   * nothing more; a delivery cut off mid-send is retried after its lease); exit 0.
   */
  const shutdown = async (signal: string) => {
    if (!ctx.lifecycle.stop(ctx.clock())) return;
    const drainDelayMs = config.shutdownDrainSeconds * 1000;
    const budgetMs = SHUTDOWN_BUDGET_MS + drainDelayMs;
    const deadline = Date.now() + budgetMs;
    logger.info(
      { signal, inFlight: web.inFlight(), drainSeconds: config.shutdownDrainSeconds },
      'shutting down',
    );
    setTimeout(() => die(`shutdown took longer than ${budgetMs / 1000} s; exiting`), budgetMs).unref();
    const workerStopped = worker?.stop() ?? Promise.resolve();
    warmer.stop();
    const { drained, cutOff } = await web.shutdown({ now: ctx.clock(), drainDelayMs, drainMs: DRAIN_MS });
    if (!drained)
      logger.warn({ inFlight: cutOff }, 'requests still running after the drain period: closed them');
    await Promise.race([
      workerStopped,
      delay(Math.max(0, deadline - Date.now() - 1_000), null, { ref: false }),
    ]);
    await booted.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => die(`start-up failed: ${(err as Error).message ?? String(err)}`));
