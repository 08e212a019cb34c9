/**
 * Issue #20.1: several API processes behave as one. Two contexts on one database stand for two processes
 * (each with its own caches and clock); on PostgreSQL each listens for the other's cache notifications
 * (what bootstrap starts), and the rate limits count in the database. Nothing here moves a clock to get
 * past a cache's TTL: what the other process shows changes because it was told.
 */
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../src/app';
import { createApiKey } from '../src/auth';
import { parseInvalidation, type CacheSync } from '../src/cluster';
import { createContext, syncCaches, type AppContext } from '../src/context';
import { rateLimitStore } from '../src/http';
import { saveCalendar } from '../src/sla';
import { HEREFORD, plainService } from './helpers/fixtures';
import { ADMIN_KEY, startTestServer, TestClock, type TestServer } from './helpers/app';
import { usePostgres } from './helpers/template';

const onPostgres = usePostgres() ? describe : describe.skip;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

/** Polls `probe` until it returns true, for at most `withinMs` of real time: how long a notification takes. */
async function within(withinMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new Error(`not seen within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cache notifications (parse)', () => {
  it('when a payload is one of ours, then it is read; anything else is ignored', () => {
    const ok = { kind: 'catalog', jurisdictionId: 'boston', origin: 'a' };
    expect(parseInvalidation(JSON.stringify(ok))).toEqual(ok);
    expect(parseInvalidation(JSON.stringify({ ...ok, jurisdictionId: null }))).toMatchObject({
      jurisdictionId: null,
    });
    for (const bad of [
      undefined,
      '',
      'not json',
      '[]',
      JSON.stringify({ ...ok, kind: 'everything' }),
      JSON.stringify({ ...ok, jurisdictionId: 7 }),
      JSON.stringify({ kind: 'keys', jurisdictionId: null }),
    ])
      expect(parseInvalidation(bad)).toBeNull();
  });
});

describe('on the embedded database', () => {
  if (usePostgres()) return;
  let t: TestServer;
  beforeAll(async () => (t = await startTestServer()));
  afterAll(() => t?.close());

  it('when a limiter is built, then it counts in memory, and invalidation stays in this process', async () => {
    expect(rateLimitStore(t.ctx, 'post:')).toBeUndefined();
    expect(syncCaches(t.ctx)).toBeNull();
    await expect(t.ctx.invalidate('catalog')).resolves.toBeUndefined();
  });
});

onPostgres('two processes on one PostgreSQL database', () => {
  let t: TestServer;
  let other: { ctx: AppContext; app: Express; clock: TestClock };
  const syncs: CacheSync[] = [];
  beforeAll(async () => {
    t = await startTestServer({ POST_RATE_LIMIT_PER_MINUTE: '3' });
    const clock = new TestClock(t.clock.now());
    const ctx = createContext({ config: t.ctx.config, db: t.db, logger: t.ctx.logger, clock: clock.now });
    other = { ctx, app: createApp(ctx), clock };
    for (const c of [t.ctx, ctx]) {
      const sync = syncCaches(c)!;
      await sync.ready;
      syncs.push(sync);
    }
  });
  afterAll(async () => {
    for (const s of syncs) await s.stop();
    await t.close();
  });

  const calendarEnd = async (app: Express) => {
    const res = await request(app).get('/admin/v1/jurisdictions/boston/calendar').set(admin);
    expect(res.status).toBe(200);
    return (res.body as { workingHours: Record<string, Array<{ end: string }>> }).workingHours['1']?.[0]?.end;
  };
  const weekdays = (end: string) =>
    Object.fromEntries(['1', '2', '3', '4', '5'].map((d) => [d, [{ start: '08:00', end }]]));

  it('when one process posts, then the other counts it: the per-key limit holds across both, and a new window opens on the clock', async () => {
    const k = await t.key();
    const svc = await plainService(t);
    const body = { api_key: k, service_code: svc.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long };
    const post = (app: Express) => request(app).post('/open311/v2/requests.json').type('form').send(body);
    expect((await post(t.app)).status).toBe(201);
    expect((await post(other.app)).status).toBe(201);
    expect((await post(t.app)).status).toBe(201);
    const fourth = await post(other.app);
    expect(fourth.status).toBe(429);
    expect(fourth.headers['retry-after']).toBe('60');
    expect((await post(t.app)).status).toBe(429);
    t.clock.advance(61_000);
    other.clock.advance(61_000);
    expect((await post(other.app)).status).toBe(201);
  });

  it('when a key is revoked on one process, then the other refuses it within a second', async () => {
    const { key, secret } = await createApiKey(
      t.db.knex,
      { name: 'revoked everywhere', role: 'admin', channel: 'staff' },
      t.clock.now(),
    );
    const list = () => request(t.app).get('/admin/v1/api-keys').set('Authorization', `Bearer ${secret}`);
    expect((await list()).status).toBe(200); // now cached as valid here
    expect((await request(other.app).delete(`/admin/v1/api-keys/${key.id}`).set(admin)).status).toBe(204);
    await within(1000, async () => (await list()).status === 403);
  });

  it('when the calendar is edited on one process, then the other shows it within a second', async () => {
    expect(await calendarEnd(t.app)).not.toBe('16:30');
    const put = await request(other.app)
      .put('/admin/v1/jurisdictions/boston/calendar')
      .set(admin)
      .send({ workingHours: weekdays('16:30'), holidays: [] });
    expect(put.status).toBe(200);
    await within(1000, async () => (await calendarEnd(t.app)) === '16:30');
  });

  it('when the listening connection is cut, then it reconnects and drops every cache (a notification may have been missed)', async () => {
    expect(await calendarEnd(t.app)).toBe('16:30');
    // A change no process was told about: only clearing the caches on reconnect makes it show.
    await saveCalendar(t.db.knex, 'boston', { workingHours: weekdays('17:15'), holidays: [] }, t.clock.now());
    expect(await calendarEnd(t.app)).toBe('16:30');
    const { rows } = (await t.db.knex.raw(
      `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'open311-server (listen)'`,
    )) as { rows: Array<{ done: boolean }> };
    expect(rows.length).toBe(2);
    await within(3000, async () => (await calendarEnd(t.app)) === '17:15');
    await within(3000, async () => syncs.every((s) => s.listening()));
    // And notifications flow again after the reconnect.
    await request(other.app)
      .put('/admin/v1/jurisdictions/boston/calendar')
      .set(admin)
      .send({ workingHours: weekdays('15:45'), holidays: [] });
    await within(1000, async () => (await calendarEnd(t.app)) === '15:45');
  });
});
