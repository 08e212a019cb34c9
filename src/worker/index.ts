import type { AppContext } from '../context';
import { dispatchOutbox, deliverDue } from '../notify';
import { sweepEscalations } from '../escalation';
import { processBatchTokens } from '../requests';
import { sweepMedia } from '../media';
import { refreshRollups } from '../rollup';

/**
 * One pass of background work; exported so tests run ticks with their own clock instead of waiting.
 * Counted in the context's metrics: the tick's duration (ok or error), escalations fired, deliveries.
 */
export async function tick(
  ctx: AppContext,
  opts: { fetch?: typeof fetch; stopping?: () => boolean } = {},
): Promise<TickResult> {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const result = await tickOnce(ctx, opts);
    const { metrics } = ctx;
    metrics.workerTickDuration.observe({ outcome: 'ok' }, seconds());
    metrics.escalationsFired.inc(result.escalations);
    metrics.deliveries.inc({ channel: 'webhook', outcome: 'delivered' }, result.delivered);
    metrics.deliveries.inc({ channel: 'webhook', outcome: 'failed' }, result.failed);
    return result;
  } catch (err) {
    ctx.metrics.workerTickDuration.observe({ outcome: 'error' }, seconds());
    throw err;
  }
}

async function tickOnce(
  ctx: AppContext,
  opts: { fetch?: typeof fetch; stopping?: () => boolean },
): Promise<TickResult> {
  const now = ctx.clock();
  const batchTokens = await processBatchTokens(ctx.knex, now);
  const escalations = await sweepEscalations(ctx.knex, now, ctx.calendars);
  const events = await dispatchOutbox(ctx.knex, now);
  // Deliveries read the clock as they go: a lease and a signature are timed when they happen.
  const deliveries = await deliverDue(ctx.knex, ctx.clock, {
    maxAttempts: ctx.config.webhookMaxAttempts,
    fetch: opts.fetch ?? ctx.outbound,
    stopping: opts.stopping,
  });
  // Files of uploads whose request was never written (a crash between storing and committing).
  const mediaSwept = await sweepMedia(ctx, now);
  // The dashboard's daily rollups: days changed since the last tick, then more of the backlog.
  const rolled = await refreshRollups(ctx.knex, now);
  return { batchTokens, escalations, events, ...deliveries, mediaSwept, rolledDays: rolled.days };
}

export interface TickResult {
  batchTokens: number;
  escalations: number;
  events: number;
  delivered: number;
  failed: number;
  mediaSwept: number;
  rolledDays: number;
}

/** Runs `tick` every `intervalMs` until stopped; a failing tick is logged and the loop goes on. */
export function startWorker(
  ctx: AppContext,
  intervalMs = ctx.config.workerIntervalMs,
): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const result = await tick(ctx, { stopping: () => stopped });
        if (Object.values(result).some((n) => n > 0)) ctx.logger.info(result, 'worker tick');
      } catch (err) {
        ctx.logger.error({ err }, 'worker tick failed');
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
