/**
 * The dashboard's figures per (jurisdiction, period, layer), in the context (`ctx.figures`): fresh for the
 * cache's TTL (a minute); for ten more minutes the last figures are served while one refresh runs behind
 * them, and a failed refresh keeps them; concurrent requests for a period not yet computed share one
 * computation (a year at 1M requests takes seconds, and seven queries a request would exhaust the pool).
 * The key holds every input of the figures, so no jurisdiction, period or layer is served another's.
 */
import { load, type LoadingCache } from '../cache';

export type FiguresCache = LoadingCache<string, object | string>;

export const FIGURES_FRESH_MS = 60_000;
export const FIGURES_STALE_MS = 10 * 60_000;

export function cachedFigures<T extends object | string>(
  cache: FiguresCache,
  key: string,
  compute: () => Promise<T>,
): Promise<T> {
  const held = cache.peek(key, { allowStale: true }) !== undefined;
  // Negative once stale; above the TTL for an entry from "the future" (a clock moved back, in tests).
  const left = cache.getRemainingTTL(key);
  const servable = held && left >= -FIGURES_STALE_MS && left <= cache.ttl;
  return load(
    cache,
    key,
    compute,
    servable
      ? { allowStale: true, allowStaleOnFetchRejection: true }
      : { allowStale: false, forceRefresh: held },
  ) as Promise<T>;
}
