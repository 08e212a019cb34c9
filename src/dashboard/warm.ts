/**
 * Keeps the dashboard's opening view computed (issue #9: a refresh answers in under 300 ms at 1M
 * requests). Each city's page opens on the last 90 days and the ward layer (else the first layer, or none), with dates
 * as the browser writes them (UTC days: dashboard.js); the first computation of such a period takes
 * seconds at 1M requests, so the server makes it at start and again every few minutes, inside the
 * cache's fresh-or-stale window (figures-cache.ts), and a resident never waits for it. Other periods are
 * computed on their first request and cached the same way.
 */
import type { AppContext } from '../context';
import { parseDateTime } from '../core';
import type { Jurisdiction } from '../catalog';
import { districtLayers } from '../geo';
import { points, summary } from './data';

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** The period and layer the page opens on at `now` for jurisdiction `j`, as the server parses them. */
export async function openingView(ctx: AppContext, now: Date, j: Jurisdiction) {
  const available = await districtLayers(ctx.read, j.id);
  const start = parseDateTime(isoDay(new Date(now.getTime() - 90 * DAY_MS)), j.timeZone);
  const end = parseDateTime(isoDay(new Date(now.getTime() + DAY_MS)), j.timeZone);
  if (!start || !end) throw new Error('could not work out the dashboard period');
  // No layer at all (none imported yet): the page asks for none, and the summary has no area breakdown.
  const layer = available.includes('ward') ? 'ward' : (available[0] ?? null);
  return { start, end, layer };
}

/** Every city's opening view: each has its own page (`/dashboard/?jurisdiction_id=…`). */
export async function warmOpeningView(ctx: AppContext): Promise<void> {
  const now = ctx.clock();
  for (const j of await ctx.catalog.listJurisdictions()) {
    const { start, end, layer } = await openingView(ctx, now, j);
    await summary(ctx.read, ctx.figures, {
      jurisdictionId: j.id,
      timeZone: j.timeZone,
      start,
      end,
      now,
      layer,
    });
    await points(ctx.read, ctx.figures, j.id, start, end);
  }
}

/**
 * Warms `firstAfterMs` after it is started (0: at once) and then every `everyMs`; failures are logged
 * and retried at the next turn.
 */
export function startDashboardWarmer(
  ctx: AppContext,
  everyMs = 4 * 60_000,
  firstAfterMs = 0,
): { stop(): void } {
  const run = () =>
    warmOpeningView(ctx).catch((err: unknown) =>
      ctx.logger.warn({ err: (err as Error).message }, 'dashboard warm-up failed'),
    );
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    void run();
    timer = setInterval(() => void run(), everyMs).unref();
  };
  if (firstAfterMs > 0) timer = setTimeout(start, firstAfterMs).unref();
  else start();
  return { stop: () => clearTimeout(timer) };
}
