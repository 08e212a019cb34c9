import type { AppContext } from '../context';
import { processBatchTokens } from './batch-tokens';

/** One pass of background work; exported so tests run ticks with their own clock instead of waiting. */
export async function tick(ctx: AppContext): Promise<{ batchTokens: number }> {
  const batchTokens = await processBatchTokens(ctx.knex, ctx.clock());
  return { batchTokens };
}

/** Runs `tick` every `intervalMs` until stopped; a failing tick is logged and the loop goes on. */
export function startWorker(ctx: AppContext, intervalMs = 2000): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const result = await tick(ctx);
        if (result.batchTokens > 0) ctx.logger.info(result, 'worker tick');
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
