import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../src/app';
import { createApiKey } from '../src/auth';
import { createContext, type AppContext } from '../src/context';
import { ADMIN_KEY, startTestServer, TestClock, type TestServer } from './helpers/app';

/**
 * The process caches live in the context (ARCHITECTURE.md): two contexts on one database behave as two
 * processes. An edit through one shows there at once; the other sees it when its own clock passes the
 * cache's TTL, moved by hand.
 */
describe('caches held in the context', () => {
  let t: TestServer;
  let other: { ctx: AppContext; app: Express; clock: TestClock };
  beforeAll(async () => {
    t = await startTestServer();
    const clock = new TestClock(t.clock.now());
    const ctx = createContext({ config: t.ctx.config, db: t.db, logger: t.ctx.logger, clock: clock.now });
    other = { ctx, app: createApp(ctx), clock };
  });
  afterAll(() => t.close());

  const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
  const weekdays = (end: string) =>
    Object.fromEntries(['1', '2', '3', '4', '5'].map((d) => [d, [{ start: '08:00', end }]]));
  const calendarEnd = async (app: Express) => {
    const res = await request(app).get('/admin/v1/jurisdictions/boston/calendar').set(admin);
    expect(res.status).toBe(200);
    return (res.body as { workingHours: Record<string, Array<{ end: string }>> }).workingHours['1']?.[0]?.end;
  };

  it('when another process edits the calendar, then this one shows it once its clock passes a minute, and its own edit at once', async () => {
    const before = await calendarEnd(t.app);
    const put = await request(other.app)
      .put('/admin/v1/jurisdictions/boston/calendar')
      .set(admin)
      .send({ workingHours: weekdays('16:00'), holidays: [] });
    expect(put.status).toBe(200);
    expect(await calendarEnd(other.app)).toBe('16:00');
    expect(await calendarEnd(t.app)).toBe(before);
    t.clock.advance(61_000);
    expect(await calendarEnd(t.app)).toBe('16:00');

    await request(t.app)
      .put('/admin/v1/jurisdictions/boston/calendar')
      .set(admin)
      .send({ workingHours: weekdays('15:00'), holidays: [] });
    expect(await calendarEnd(t.app)).toBe('15:00');
  });

  it('when a key is revoked in another process, then it still works here until the clock passes ten seconds; revoked here, it stops at once', async () => {
    const { key, secret } = await createApiKey(
      t.db.knex,
      { name: 'cache test', role: 'admin', channel: 'staff' },
      t.clock.now(),
    );
    const list = (app: Express) =>
      request(app).get('/admin/v1/api-keys').set('Authorization', `Bearer ${secret}`);
    expect((await list(t.app)).status).toBe(200);
    expect((await request(other.app).delete(`/admin/v1/api-keys/${key.id}`).set(admin)).status).toBe(204);
    expect((await list(t.app)).status).toBe(200);
    t.clock.advance(10_001);
    expect((await list(t.app)).status).toBe(403);

    const second = await createApiKey(
      t.db.knex,
      { name: 'cache test 2', role: 'admin', channel: 'staff' },
      t.clock.now(),
    );
    const list2 = () =>
      request(t.app).get('/admin/v1/api-keys').set('Authorization', `Bearer ${second.secret}`);
    expect((await list2()).status).toBe(200);
    expect((await request(t.app).delete(`/admin/v1/api-keys/${second.key.id}`).set(admin)).status).toBe(204);
    expect((await list2()).status).toBe(403);
  });

  it('when two contexts are built, then no cache is shared', () => {
    for (const name of ['catalog', 'keys', 'calendars', 'validators', 'figures'] as const)
      expect(other.ctx[name]).not.toBe(t.ctx[name]);
  });
});
