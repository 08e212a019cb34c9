import request from 'supertest';
import { cached } from '../src/dashboard/data';
import { warmOpeningView } from '../src/dashboard/warm';
import { startTestServer, type TestServer } from './helpers/app';

describe('dashboard figures cache', () => {
  it('when the same period is asked while it is computed, then one computation serves both', async () => {
    let runs = 0;
    const compute = () => new Promise<number>((r) => setTimeout(() => r((runs += 1)), 20));
    const [a, b] = await Promise.all([cached('k1', 1000, compute), cached('k1', 1000, compute)]);
    expect([a, b, runs]).toEqual([1, 1, 1]);
  });

  it('when the figures are older than a minute, then the last ones are served once while one refresh runs, then the new ones', async () => {
    let value = 1;
    const compute = async () => value;
    expect(await cached('k2', 0, compute)).toBe(1);
    value = 2;
    expect(await cached('k2', 30_000, compute)).toBe(1); // fresh
    expect(await cached('k2', 61_000, compute)).toBe(1); // stale, refresh started
    await new Promise((r) => setImmediate(r));
    expect(await cached('k2', 62_000, compute)).toBe(2);
    value = 3;
    expect(await cached('k2', 62_000 + 12 * 60_000, compute)).toBe(3); // too old to serve: recomputed
  });

  it('when another key (jurisdiction, period or layer) is asked, then it never gets these figures, and a clock moved back recomputes', async () => {
    expect(await cached('k3', 0, async () => 'a')).toBe('a');
    expect(await cached('k4', 0, async () => 'b')).toBe('b');
    expect(await cached('k3', -5, async () => 'c')).toBe('c');
  });

  it('when a computation fails, then the error reaches the caller and nothing is cached', async () => {
    await expect(cached('k5', 0, () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cached('k5', 0, async () => 'ok')).toBe('ok');
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
    return seen.filter((sql) => sql.includes('percentile_cont')).length;
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
