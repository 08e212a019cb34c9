import request from 'supertest';
import { createLoadingCache } from '../src/cache';
import { createContext } from '../src/context';
import { cachedFigures, type FiguresCache } from '../src/dashboard/figures-cache';
import { startDashboardWarmer, warmOpeningView } from '../src/dashboard/warm';
import { startTestServer, type TestServer } from './helpers/app';

describe('dashboard figures cache', () => {
  // A clock moved by hand, as the context's; it starts away from 0 (lru-cache reads a start of 0 as "no TTL").
  let nowMs = 1_000_000;
  const at = (ms: number) => (nowMs = 1_000_000 + ms);
  const newCache = (): FiguresCache => createLoadingCache(() => new Date(nowMs), { max: 10, ttlMs: 60_000 });

  it('when the same period is asked while it is computed, then one computation serves both', async () => {
    const cache = newCache();
    at(0);
    let runs = 0;
    const compute = () => new Promise<string>((r) => setTimeout(() => r(String((runs += 1))), 20));
    const both = await Promise.all([cachedFigures(cache, 'k', compute), cachedFigures(cache, 'k', compute)]);
    expect([...both, runs]).toEqual(['1', '1', 1]);
  });

  it('when the figures are older than a minute, then the last ones are served once while one refresh runs, then the new ones', async () => {
    const cache = newCache();
    let value = '1';
    const compute = async () => value;
    at(0);
    expect(await cachedFigures(cache, 'k', compute)).toBe('1');
    value = '2';
    at(30_000);
    expect(await cachedFigures(cache, 'k', compute)).toBe('1'); // fresh
    at(61_000);
    expect(await cachedFigures(cache, 'k', compute)).toBe('1'); // stale, refresh started
    await new Promise((r) => setImmediate(r));
    at(62_000);
    expect(await cachedFigures(cache, 'k', compute)).toBe('2');
    value = '3';
    at(62_000 + 12 * 60_000);
    expect(await cachedFigures(cache, 'k', compute)).toBe('3'); // too old to serve: recomputed
  });

  it('when a refresh behind stale figures fails, then the last figures are kept', async () => {
    const cache = newCache();
    at(0);
    expect(await cachedFigures(cache, 'k', async () => 'old')).toBe('old');
    at(61_000);
    expect(await cachedFigures(cache, 'k', () => Promise.reject(new Error('db down')))).toBe('old');
    await new Promise((r) => setImmediate(r));
    expect(await cachedFigures(cache, 'k', async () => 'new')).toBe('old'); // stale again, refreshing
    await new Promise((r) => setImmediate(r));
    expect(await cachedFigures(cache, 'k', async () => 'newer')).toBe('new');
  });

  it('when another key (jurisdiction, period or layer) is asked, then it never gets these figures, and a clock moved back recomputes', async () => {
    const cache = newCache();
    at(0);
    expect(await cachedFigures(cache, 'k3', async () => 'a')).toBe('a');
    expect(await cachedFigures(cache, 'k4', async () => 'b')).toBe('b');
    at(-5);
    expect(await cachedFigures(cache, 'k3', async () => 'c')).toBe('c');
  });

  it('when a computation fails, then the error reaches the caller and nothing is cached', async () => {
    const cache = newCache();
    at(0);
    await expect(cachedFigures(cache, 'k', () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    expect(await cachedFigures(cache, 'k', async () => 'ok')).toBe('ok');
  });

  it('when two contexts are created, then they share no figures', async () => {
    const a = await startTestServer();
    try {
      const b = createContext({ config: a.ctx.config, db: a.db, logger: a.ctx.logger, clock: a.clock.now });
      expect(a.ctx.figures).not.toBe(b.figures);
      await cachedFigures(a.ctx.figures, 'k', async () => 'a');
      expect(await cachedFigures(b.figures, 'k', async () => 'b')).toBe('b');
    } finally {
      await a.close();
    }
  });
});

describe('dashboard opening view', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  const reportQueries = async (path: string): Promise<number> => {
    const seen: string[] = [];
    const listen = (q: { sql: string }) => seen.push(q.sql);
    t.db.knex.on('query', listen);
    try {
      const res = await request(t.app).get(path);
      expect(res.status).toBe(200);
    } finally {
      t.db.knex.off('query', listen);
    }
    // The figures' statement (src/rollup/figures.ts): rolled days and the direct rest.
    return seen.filter((sql) => sql.includes('direct AS MATERIALIZED')).length;
  };

  it('when the server has warmed it, then the page opening on the last 90 days computes nothing, and another period does', async () => {
    await warmOpeningView(t.ctx);
    const now = t.clock.now();
    const day = (ms: number) => new Date(now.getTime() + ms).toISOString().slice(0, 10);
    const opening = `start_date=${day(-90 * 86_400_000)}&end_date=${day(86_400_000)}&layer=ward`;
    expect(await reportQueries(`/dashboard/api/summary?${opening}`)).toBe(0);
    const other = `start_date=${day(-30 * 86_400_000)}&end_date=${day(86_400_000)}&layer=ward`;
    expect(await reportQueries(`/dashboard/api/summary?${other}`)).toBeGreaterThan(0);
  });
});

describe('dashboard warm-up at start', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());
  afterEach(() => jest.useRealTimers());

  it('when it is started with a first delay, then it sends no query before that delay and warms the opening view after it', async () => {
    const seen: string[] = [];
    let warmed!: () => void;
    const done = new Promise<void>((resolve) => (warmed = resolve));
    const listen = (q: { sql: string }) => {
      seen.push(q.sql);
      if (q.sql.includes('direct AS MATERIALIZED')) warmed();
    };
    // Only the warm-up's own timers are the test's to move; the database's promises and I/O run as usual.
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date', 'hrtime', 'performance'],
    });
    t.db.knex.on('query', listen);
    const warmer = startDashboardWarmer(t.ctx, 4 * 60_000, 2_000);
    try {
      for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
      jest.advanceTimersByTime(1_999);
      for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
      expect(seen).toEqual([]);
      jest.advanceTimersByTime(1);
      await done;
      expect(seen.length).toBeGreaterThan(0);
    } finally {
      warmer.stop();
      t.db.knex.off('query', listen);
    }
  });
});
