import fc from 'fast-check';
import type { ClientRateLimitInfo, Options } from 'express-rate-limit';
import { LeasedRateLimitStore, type BlockStore, type Lease } from './rate-limit-lease';

/** The shared counter as the database keeps it: a fixed window per key; counts its round trips. */
function sharedCounter(clock: () => Date, windowMs = 60_000) {
  const rows = new Map<string, { hits: number; resetAt: number }>();
  const store: BlockStore & { calls: number } = {
    calls: 0,
    prefix: 'post:',
    async increment(key: string, by = 1): Promise<ClientRateLimitInfo> {
      store.calls += 1;
      const now = clock().getTime();
      const row = rows.get(key);
      const next =
        !row || row.resetAt <= now ? { hits: by, resetAt: now + windowMs } : { ...row, hits: row.hits + by };
      rows.set(key, next);
      return { totalHits: next.hits, resetTime: new Date(next.resetAt) };
    },
    async get(key: string) {
      const row = rows.get(key);
      return row && { totalHits: row.hits, resetTime: new Date(row.resetAt) };
    },
    async decrement(key: string) {
      const row = rows.get(key);
      if (row) row.hits = Math.max(0, row.hits - 1);
    },
    async resetKey(key: string) {
      rows.delete(key);
    },
  };
  return store;
}

const leased = (shared: BlockStore, clock: () => Date, limit: number) => {
  const s = new LeasedRateLimitStore(shared, clock, new Map<string, Lease>());
  s.init({ limit, windowMs: 60_000 } as Options);
  return s;
};

describe('LeasedRateLimitStore', () => {
  it('when one process posts, then every hit is counted exactly, with far fewer round trips', async () => {
    let now = 1_000_000;
    const clock = () => new Date(now);
    const shared = sharedCounter(clock);
    const store = leased(shared, clock, 1000);
    for (let i = 1; i <= 300; i += 1) {
      expect((await store.increment('k')).totalHits).toBe(i);
      now += 10;
    }
    expect(shared.calls).toBeLessThan(30);
  });

  it('when a limit is small, then each hit is one round trip and the count is exact', async () => {
    const clock = () => new Date(0);
    const shared = sharedCounter(clock);
    const store = leased(shared, clock, 3);
    const totals = [];
    for (let i = 0; i < 5; i += 1) totals.push((await store.increment('k')).totalHits);
    expect(totals).toEqual([1, 2, 3, 4, 5]);
    expect(shared.calls).toBe(5);
  });

  it('when the window ends, then unspent hits are dropped and counting starts again', async () => {
    let now = 0;
    const clock = () => new Date(now);
    const store = leased(sharedCounter(clock), clock, 1000);
    for (let i = 0; i < 5; i += 1) await store.increment('k');
    now += 60_001;
    expect((await store.increment('k')).totalHits).toBe(1);
  });

  it('when several processes share one counter, then no more hits than the limit are ever allowed, and each counts at least its own', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 600 }),
        async (limit, order) => {
          const clock = () => new Date(0);
          const shared = sharedCounter(clock);
          const stores = [0, 1, 2].map(() => leased(shared, clock, limit));
          const own = [0, 0, 0];
          let allowed = 0;
          for (const p of order) {
            const info = await stores[p]!.increment('k');
            own[p]! += 1;
            expect(info.totalHits).toBeGreaterThanOrEqual(own[p]!);
            if (info.totalHits <= limit) allowed += 1;
          }
          expect(allowed).toBeLessThanOrEqual(limit);
          // Only early refusals, bounded: each process holds at most an eighth of what was left.
          if (order.length <= limit)
            expect(allowed).toBeGreaterThanOrEqual(
              Math.min(order.length, limit) - 2 * Math.ceil(limit / 8) - 2,
            );
        },
      ),
      { numRuns: 200 },
    );
  });
  it('when 64 requests arrive together with no block held, then one block is reserved at a time and each hit is counted once', async () => {
    const clock = () => new Date(0);
    const shared = sharedCounter(clock);
    // A round trip that takes a while, as the database's does under load: all 64 arrive before it ends.
    const slow: BlockStore = {
      ...shared,
      increment: async (key: string, by?: number) => {
        await new Promise((r) => setImmediate(r));
        return shared.increment(key, by);
      },
    };
    const store = leased(slow, clock, 1_000_000);
    const totals = (await Promise.all(Array.from({ length: 64 }, () => store.increment('k')))).map(
      (i) => i.totalHits,
    );
    // 50 hits a block: two reservations, not one per request (64 upserts queued on one row).
    expect(shared.calls).toBe(2);
    expect([...totals].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
  });
});
