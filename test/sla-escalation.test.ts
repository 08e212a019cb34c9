import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { tick } from '../src/worker';
import { sweepEscalations } from '../src/escalation';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import type { Service } from '../src/catalog';
import { buildService, createRequest } from './helpers/factories';
import { HEREFORD, disableDuplicateDetection } from './helpers/fixtures';

let t: TestServer;
let client: string;
let staff: string;

beforeAll(async () => {
  // The webhook receivers below listen on 127.0.0.1.
  t = await startTestServer({ OUTBOUND_ALLOW_PRIVATE: 'true' });
  await disableDuplicateDetection(t);
});
beforeEach(async () => {
  await resetWrites(t.db);
  await t.db.knex('webhook_deliveries').delete();
  await t.db.knex('webhook_subscriptions').delete();
  await t.db.knex('outbox').delete();
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
  t.clock.set('2026-11-23T14:00:00Z'); // Monday 09:00 in Boston
});
afterAll(() => t.close());

/** A service due in 48 hours around the clock; a new one per test, so no test sees another's changes. */
const hoursService = () =>
  buildService(t, {
    sla: { value: 48, unit: 'hours' },
    agency: { code: 'public-works', name: 'Public Works (test)' },
  });

const create = async (s: Service) =>
  String((await createRequest(t, s, { apiKey: client })).service_request_id);

const history = async (id: string) =>
  (await request(t.app).get(`/staff/v1/requests/${id}/history`).set('Authorization', `Bearer ${staff}`))
    .body as Array<{ kind: string; summary: string }>;

describe('response levels and escalation', () => {
  it('when a request is created, then expected_datetime follows the service response level', async () => {
    const s = await hoursService();
    const id = await create(s);
    const r = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0];
    const expected = new Date(Date.parse('2026-11-23T14:00:00Z') + (s.sla?.value ?? 0) * 3_600_000);
    expect(new Date(r.expected_datetime).getTime()).toBe(expected.getTime());
  });

  it('when time passes the ladder, then each step fires exactly once even with three sweeps at the same time', async () => {
    const s = await hoursService();
    const id = await create(s);
    const level = (s.sla?.value ?? 1) * 3_600_000;
    t.clock.advance(level * 0.8);
    await Promise.all([
      sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars),
      sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars),
      sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars),
    ]);
    expect((await history(id)).filter((h) => h.kind === 'escalation')).toHaveLength(1);
    t.clock.advance(level * 0.8); // 160%: overdue, escalate, raise priority
    await Promise.all([
      sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars),
      sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars),
      sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars),
    ]);
    await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars);
    const steps = (await history(id)).filter((h) => h.kind === 'escalation');
    expect(steps).toHaveLength(4);
    const row = await t.db
      .knex('service_requests')
      .where('id', id)
      .first('overdue', 'priority', 'next_escalation_at');
    expect(row).toEqual({ overdue: true, priority: 'high', next_escalation_at: null });
    expect(await t.db.knex('request_escalations').where('request_id', id).count({ n: '*' })).toEqual([
      { n: 4 },
    ]);
  });

  it('when many requests are due at once, then one sweep fires every step of each, with one event per step', async () => {
    const s = await hoursService();
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) ids.push(await create(s));
    await t.db.knex('outbox').delete();
    t.clock.advance((s.sla?.value ?? 1) * 3_600_000 * 1.6); // past 150%: all four steps of the ladder
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(48);
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(0);
    const rows = (await t.db
      .knex('service_requests')
      .whereIn('id', ids)
      .select('overdue', 'priority', 'next_escalation_at')) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(12);
    for (const row of rows)
      expect(row).toEqual({ overdue: true, priority: 'high', next_escalation_at: null });
    const events = (await t.db
      .knex('outbox')
      .orderBy('id')
      .select('event_type', 'request_id', 'payload')) as Array<{
      event_type: string;
      request_id: string | number;
      payload: Record<string, unknown> | string;
    }>;
    expect(events).toHaveLength(48);
    expect(events.filter((e) => e.event_type === 'request.overdue')).toHaveLength(12);
    const last = events[events.length - 1] as (typeof events)[number];
    const payload = typeof last.payload === 'string' ? JSON.parse(last.payload) : last.payload;
    expect(payload).toMatchObject({
      event: 'request.escalated',
      service_request_id: String(last.request_id),
      service_code: s.serviceCode,
      status: 'open',
      priority: 'high',
      change: 'escalation',
      public: false,
      occurred_at: t.clock.now().toISOString(),
    });
    for (const id of ids.slice(0, 2)) {
      const steps = (await history(id)).filter((h) => h.kind === 'escalation').map((h) => h.summary);
      expect(steps).toHaveLength(4);
      expect(steps[0]).toMatch(/at 75% of the response level/);
    }
  });

  it('when nothing is due, then a sweep touches nothing', async () => {
    const s = await hoursService();
    await create(s);
    await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars); // schedules the first step
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(0);
  });

  it('when a request waits on the resident, then its clock pauses and the due time moves by the pause', async () => {
    const s = await hoursService();
    const id = await create(s);
    const before = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0]
      .expected_datetime as string;
    const post = (detailed: string) =>
      request(t.app)
        .post(`/staff/v1/requests/${id}/status`)
        .set('Authorization', `Bearer ${staff}`)
        .send({ detailed_status: detailed });
    t.clock.advance(600_000);
    expect((await post('waiting_on_resident')).status).toBe(200);
    t.clock.advance(2 * 3_600_000);
    expect((await post('in_progress')).status).toBe(200);
    const after = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0]
      .expected_datetime as string;
    expect(new Date(after).getTime() - new Date(before).getTime()).toBe(2 * 3_600_000);
  });
});

describe('webhooks', () => {
  it('when a subscribed event happens, then a signed delivery arrives, is retried after a failure, and is logged', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    let fail = true;
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = fail ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const sub = await request(t.app)
        .post('/admin/v1/webhooks')
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
        .send({ url, event_types: ['request.created'], secret: 'a-very-long-shared-secret' });
      expect(sub.status).toBe(201);
      const s = await hoursService();
      const id = await create(s);

      expect((await tick(t.ctx)).failed).toBe(1);
      fail = false;
      expect((await tick(t.ctx)).delivered).toBe(0); // back-off: not yet
      t.clock.advance(31_000);
      expect((await tick(t.ctx)).delivered).toBe(1);

      const last = received[received.length - 1]!;
      const payload = JSON.parse(last.body);
      expect(payload).toMatchObject({
        event: 'request.created',
        service_request_id: id,
        service_code: s.serviceCode,
      });
      const ts = String(last.headers['x-open311-timestamp']);
      const expected = `sha256=${crypto.createHmac('sha256', 'a-very-long-shared-secret').update(`${ts}.${last.body}`).digest('hex')}`;
      expect(last.headers['x-open311-signature']).toBe(expected);
      expect(last.body).not.toMatch(/@/);

      const log = await request(t.app)
        .get(`/admin/v1/webhooks/${sub.body.id}/deliveries`)
        .set('Authorization', `Bearer ${ADMIN_KEY}`);
      expect(log.body[0]).toMatchObject({ event_type: 'request.created', status: 'delivered', attempts: 2 });
    } finally {
      receiver.close();
    }
  });

  it('when a receiver keeps failing, then the delivery is dead-lettered after the configured attempts', async () => {
    const s2 = await startTestServer({ WEBHOOK_MAX_ATTEMPTS: '2' });
    try {
      await s2.db.knex('webhook_subscriptions').insert({
        jurisdiction_id: 'boston',
        url: 'http://127.0.0.1:9/none',
        secret: 'x'.repeat(20),
        event_types: ['request.created'],
        created_at: s2.clock.now(),
      });
      const k = await s2.key();
      const s = await buildService(s2);
      await request(s2.app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({ api_key: k, service_code: s.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long });
      const fetchFails = (async () => {
        throw new Error('connection refused');
      }) as unknown as typeof fetch;
      await tick(s2.ctx, { fetch: fetchFails });
      s2.clock.advance(3_600_000);
      await tick(s2.ctx, { fetch: fetchFails });
      const d = await s2.db.knex('webhook_deliveries').first('status', 'attempts', 'last_error');
      expect(d).toEqual({ status: 'dead', attempts: 2, last_error: 'connection refused' });
    } finally {
      await s2.close();
    }
  });
});

describe('SLA report', () => {
  it('when requests are closed on time and late, then the on-time share by agency adds up, in JSON and CSV', async () => {
    const s = await hoursService();
    const level = (s.sla?.value ?? 1) * 3_600_000;
    const onTime = await create(s);
    const late = await create(s);
    await create(s); // stays open
    const close = (id: string) =>
      request(t.app)
        .post(`/staff/v1/requests/${id}/status`)
        .set('Authorization', `Bearer ${staff}`)
        .send({ detailed_status: 'fixed' });
    t.clock.advance(level / 2);
    await close(onTime);
    t.clock.advance(level * 2);
    await close(late);
    const range = 'start_date=2026-11-23T00:00:00Z&end_date=2026-11-30T00:00:00Z';
    const res = await request(t.app)
      .get(`/admin/v1/reports/sla?${range}&group_by=agency`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    expect(res.status).toBe(200);
    const row = res.body.rows.find((r: { group: string }) => r.group === s.agency?.name);
    expect(row).toMatchObject({
      received: 3,
      closed: 2,
      closed_with_level: 2,
      closed_on_time: 1,
      on_time_share: 0.5,
      open_backlog: 1,
      overdue: 1,
    });
    const csv = await request(t.app)
      .get(`/admin/v1/reports/sla?${range}&group_by=agency&format=csv`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')[0]).toBe(
      'group,received,closed,closed_with_level,closed_on_time,on_time_share,median_days_to_close,p90_days_to_close,open_backlog,overdue',
    );
    const bad = await request(t.app)
      .get('/admin/v1/reports/sla?group_by=planet')
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    expect(bad.status).toBe(400);
  });
});

describe('business calendar set through the admin API', () => {
  it('when a city works weekends too, then a new request is due on its calendar, not the default one', async () => {
    const s = await buildService(t, { sla: { value: 3, unit: 'business_days' } });
    const everyDay = Object.fromEntries(
      ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '08:00', end: '17:00' }]]),
    );
    const put = await request(t.app)
      .put('/admin/v1/jurisdictions/boston/calendar')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ workingHours: everyDay, holidays: [] });
    expect(put.status).toBe(200);
    t.clock.set('2026-11-20T14:00:00Z'); // Friday 09:00 in Boston
    const id = await create(s);
    const expected = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0]
      .expected_datetime as string;
    // With Saturday and Sunday as working days, N business days after Friday ends N calendar days later.
    const days = s.sla?.value ?? 1;
    const due = new Date(Date.parse('2026-11-20T22:00:00Z') + days * 86_400_000);
    expect(new Date(expected).getTime()).toBe(due.getTime());
  });
});
