/**
 * The POST limiter's counter without a database round trip (and a lock on the key's one row) per request
 * (issue #21): the process reserves a block of hits in the shared counter at once and spends them here.
 * The shared count then includes the hits reserved and not yet spent, so what this process reports is the
 * shared count minus its unspent reservation: exact when one process posts, and with several processes
 * each may see the others' unspent reservations as hits, that is count early, never late. A block is at
 * most an eighth of what the window still allows (and at most `maxBlock`), so near the limit blocks are one
 * hit and the count is exact again; a reservation dies with its window.
 */
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

/** What the leased store needs of the shared counter: count `by` hits at once. */
export interface BlockStore extends Store {
  increment(key: string, by?: number): Promise<ClientRateLimitInfo>;
}

export interface Lease {
  /** The shared count after this process's last reservation. */
  shared: number;
  /** Reserved hits not spent yet. */
  unspent: number;
  resetTime: Date;
}

/** Where the leases are kept: a cache (src/cache.ts) keyed by the limiter's key. */
export interface LeaseTable {
  get(key: string): Lease | undefined;
  set(key: string, lease: Lease): unknown;
  delete(key: string): unknown;
}

export class LeasedRateLimitStore implements Store {
  readonly localKeys = false;
  readonly prefix: string | undefined;
  private limit = 1;

  constructor(
    private readonly shared: BlockStore,
    private readonly clock: () => Date,
    /** Per key (a cache on the injected clock, src/cache.ts); an evicted lease only forgets unspent hits. */
    private readonly leases: LeaseTable,
    private readonly maxBlock = 50,
  ) {
    this.prefix = shared.prefix;
  }

  init(options: Options): void {
    this.shared.init?.(options);
    this.limit = typeof options.limit === 'number' ? options.limit : 1;
  }

  /** Reservations under way, per key: one at a time, the requests meanwhile wait for it (no herd). */
  private readonly reserving = new Map<string, Promise<unknown>>();

  async increment(key: string): Promise<ClientRateLimitInfo> {
    for (;;) {
      const now = this.clock().getTime();
      const lease = this.leases.get(key);
      if (lease && lease.unspent > 0 && lease.resetTime.getTime() > now) {
        lease.unspent -= 1;
        return { totalHits: lease.shared - lease.unspent, resetTime: lease.resetTime };
      }
      // Every request arriving while a block is being reserved used to reserve its own: at 64 connections
      // (and at each new window) 64 upserts queued on the key's one row, holding pool connections, and POSTs
      // stalled for seconds (issue #21). They now wait for the reservation under way and spend from it.
      const underWay = this.reserving.get(key);
      if (underWay) {
        await underWay.catch(() => undefined);
        continue;
      }
      const reservation = this.reserve(key, lease, now);
      this.reserving.set(key, reservation);
      try {
        return await reservation;
      } finally {
        this.reserving.delete(key);
      }
    }
  }

  private async reserve(key: string, lease: Lease | undefined, now: number): Promise<ClientRateLimitInfo> {
    const known = lease && lease.resetTime.getTime() > now ? lease.shared : 0;
    const block = Math.max(1, Math.min(this.maxBlock, Math.floor((this.limit - known) / 8)));
    const info = await this.shared.increment(key, block);
    const resetTime = info.resetTime ?? new Date(now + 60_000);
    // Another process's reservation is counted in the shared total; this process's own are one at a time.
    const current = this.leases.get(key);
    const unspent =
      (current && current !== lease && current.resetTime.getTime() === resetTime.getTime()
        ? current.unspent
        : 0) +
      block -
      1;
    this.leases.set(key, { shared: info.totalHits, unspent, resetTime });
    return { totalHits: info.totalHits - unspent, resetTime };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const info = await this.shared.get?.(key);
    const lease = this.leases.get(key);
    if (!info || !lease || lease.resetTime.getTime() !== info.resetTime?.getTime()) return info;
    return { ...info, totalHits: info.totalHits - lease.unspent };
  }

  async decrement(key: string): Promise<void> {
    await this.shared.decrement(key);
  }

  async resetKey(key: string): Promise<void> {
    this.leases.delete(key);
    await this.shared.resetKey(key);
  }
}
