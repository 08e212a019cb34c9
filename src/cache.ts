/**
 * The one eviction policy for process caches (ARCHITECTURE.md: all process state in the context): an
 * lru-cache bounded by entry count, whose TTL runs on the injected clock, so tests move time by hand and
 * two contexts never share an entry. Only `createContext` calls this.
 */
import { LRUCache } from 'lru-cache';

export type Cache<K extends NonNullable<unknown>, V extends NonNullable<unknown>, FC = unknown> = LRUCache<
  K,
  V,
  FC
>;

export type CacheOptions<K extends NonNullable<unknown>, V extends NonNullable<unknown>, FC = unknown> = {
  max: number;
  ttlMs: number;
} & Omit<LRUCache.Options<K, V, FC>, 'max' | 'ttl' | 'perf' | 'ttlResolution' | 'ttlAutopurge'>;

export function createCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>, FC = unknown>(
  clock: () => Date,
  { max, ttlMs, ...rest }: CacheOptions<K, V, FC>,
): Cache<K, V, FC> {
  return new LRUCache<K, V, FC>({
    ...rest,
    max,
    ttl: ttlMs,
    perf: { now: () => clock().getTime() },
    // lru-cache memoises "now" for ttlResolution ms of real time; a clock moved by hand must be read every
    // time. Stale entries are dropped on access or by the LRU bound, never by timers.
    ttlResolution: 0,
    ttlAutopurge: false,
  } as LRUCache.Options<K, V, FC>);
}

/**
 * Computes a value for a key on a miss (or when stale), given the stale value if one is held. Passed per
 * call, so one loading cache serves callers that compute differently; the key must hold every input.
 */
export type Loader<V> = (stale: V | undefined) => Promise<V>;
export type LoadingCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> = Cache<
  K,
  V,
  Loader<V>
>;

/** A cache whose `fetch` runs the caller's loader: concurrent misses of one key share one computation. */
export function createLoadingCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  clock: () => Date,
  options: Omit<CacheOptions<K, V, Loader<V>>, 'fetchMethod'>,
): LoadingCache<K, V> {
  return createCache<K, V, Loader<V>>(clock, {
    // An entry dropped while it loads (invalidated, evicted) still answers the callers already waiting:
    // the value is not kept, and they get no "aborted" error.
    ignoreFetchAbort: true,
    ...options,
    fetchMethod: (_key, stale, { context }) => context(stale),
  });
}

/** The value for `key`, loaded by `load` when missing or stale (see lru-cache's `fetch` for `options`). */
export async function load<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  cache: LoadingCache<K, V>,
  key: K,
  loader: Loader<V>,
  options: Omit<LRUCache.FetchOptions<K, V, Loader<V>>, 'context'> = {},
): Promise<V> {
  const value = await cache.fetch(key, { ...options, context: loader } as LRUCache.FetchOptionsWithContext<
    K,
    V,
    Loader<V>
  >);
  if (value === undefined) throw new Error('a cache loader returned nothing');
  return value;
}
