import request from 'supertest';
import type { Service } from '../src/catalog';
import { sweepEscalations } from '../src/escalation';
import { recomputeOpenRequests } from '../src/requests';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, createAtHereford, disableDuplicateDetection, findService } from './helpers/fixtures';
import { expectMatchesSpec } from './helpers/openapi';

let t: TestServer;
let client: string;
let staff: string;
let s: Service;
let ladder: Array<Record<string, unknown>>;
let serviceLevel: { sla_value: number | null; sla_unit: string | null };

const HOUR = 3_600_000;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  s = await findService(
    t,
    (x) =>
      x.sla?.unit === 'hours' &&
      x.type === 'realtime' &&
      !x.isPrivate &&
      x.attributes.every((a) => !a.required),
    'service with an hours response level',
  );
  ladder = await t.db.knex('escalation_rules').select('*').orderBy('id');
  serviceLevel = await t.db.knex('services').where('id', s.id).first('sla_value', 'sla_unit');
});
beforeEach(async () => {
  await resetWrites(t.db);
  // Each test starts from the demo ladder and the service's seeded response level.
  await t.db.knex('escalation_rules').delete();
  await t.db.knex('escalation_rules').insert(ladder);
  await t.db.knex('service_response_levels').delete();
  await t.db.knex('services').where('id', s.id).update(serviceLevel);
  t.ctx.invalidate('catalog');
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
  t.clock.set('2026-11-23T14:00:00Z'); // Monday 09:00 in Boston
});
afterAll(() => t.close());

/** An admin call whose response is checked against spec/openapi.yaml. */
async function call(method: 'get' | 'post' | 'put' | 'delete', url: string, body?: unknown) {
  let r = request(t.app)[method](url).set(admin);
  if (body !== undefined) r = r.send(body as object);
  const res = await r;
  expectMatchesSpec(method.toUpperCase(), url, res.status, res.status === 204 ? undefined : res.body);
  return res;
}

const create = (serviceCode: string) => createAtHereford(t, client, serviceCode);

const expectedOf = async (id: string): Promise<number> =>
  Date.parse((await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0].expected_datetime);

/** The public service_notice states the level in force and the same time as expected_datetime. */
const noticeAgrees = async (id: string, level: string) => {
  const r = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0];
  expect(r.service_notice).toBe(`Response level: ${level} (expected by ${r.expected_datetime}).`);
};

const history = async (id: string) =>
  (await request(t.app).get(`/staff/v1/requests/${id}/history`).set('Authorization', `Bearer ${staff}`))
    .body as Array<{ kind: string; summary: string }>;

const ruleCount = async () => Number((await t.db.knex('escalation_rules').count({ n: '*' }))[0]?.n);

describe('escalation rules admin API', () => {
  it('when the rules are listed, then the demo ladder comes in order of at_fraction', async () => {
    const res = await call('get', '/admin/v1/escalation-rules');
    expect(res.status).toBe(200);
    expect(res.body.map((r: { at_fraction: number; action: string }) => [r.at_fraction, r.action])).toEqual([
      [0.75, 'warn'],
      [1, 'mark_overdue'],
      [1.5, 'escalate'],
      [1.5, 'raise_priority'],
    ]);
    expect(res.body[0]).toMatchObject({ jurisdiction_id: 'boston', service_code: null, agency: null });
  });

  it('when a rule is created, read, replaced and deleted, then each step shows and filters find it', async () => {
    const created = await call('post', '/admin/v1/escalation-rules', {
      service_code: s.serviceCode,
      at_fraction: 0.5,
      action: 'warn',
      notify: 'crew lead',
      description: 'Half-way check',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      jurisdiction_id: 'boston',
      service_code: s.serviceCode,
      agency: null,
      at_fraction: 0.5,
      action: 'warn',
      notify: 'crew lead',
      description: 'Half-way check',
    });
    const url = `/admin/v1/escalation-rules/${created.body.id}`;
    expect((await call('get', url)).body).toEqual(created.body);
    const byService = await call('get', `/admin/v1/escalation-rules?service_code=${s.serviceCode}`);
    expect(byService.body).toEqual([created.body]);

    const agency = s.agency?.code as string;
    const replaced = await call('put', url, { agency, at_fraction: 2, action: 'escalate' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({
      ...created.body,
      service_code: null,
      agency,
      at_fraction: 2,
      action: 'escalate',
      notify: null,
      description: '',
    });
    expect((await call('get', `/admin/v1/escalation-rules?service_code=${s.serviceCode}`)).body).toEqual([]);
    expect(
      (await call('get', `/admin/v1/escalation-rules?agency=${agency}&jurisdiction_id=boston`)).body,
    ).toEqual([replaced.body]);

    expect((await call('delete', url)).status).toBe(204);
    expect((await call('get', url)).status).toBe(404);
    expect((await call('delete', url)).status).toBe(404);
    expect(await ruleCount()).toBe(ladder.length);
  });

  it('when the input is wrong, then 400 names every problem and nothing is written', async () => {
    const bad = await call('post', '/admin/v1/escalation-rules', {
      at_fraction: 0,
      action: 'shout',
      service_code: s.serviceCode,
      agency: s.agency?.code,
      colour: 'red',
    });
    expect(bad.status).toBe(400);
    const descriptions = bad.body.map((e: { code: number; description: string }) => {
      expect(e.code).toBe(400);
      return e.description;
    });
    expect(descriptions).toEqual([
      expect.stringContaining('Unknown field "colour"'),
      expect.stringContaining('at_fraction must be a number greater than 0 and at most 10'),
      expect.stringContaining('action must be one of warn, mark_overdue, escalate, raise_priority'),
      expect.stringContaining('not both'),
    ]);
    const more = await call('post', '/admin/v1/escalation-rules', {
      at_fraction: '0.5',
      action: 'warn',
      service_code: 'NO-SUCH-SERVICE',
    });
    expect(more.body.map((e: { description: string }) => e.description)).toEqual([
      expect.stringContaining('at_fraction must be a number'),
      'service_code "NO-SUCH-SERVICE" is not a service of boston.',
    ]);
    const agency = await call('post', '/admin/v1/escalation-rules', {
      at_fraction: 10.5,
      action: 'warn',
      agency: 'NO-SUCH-AGENCY',
    });
    expect(agency.body).toHaveLength(2);
    expect(agency.body[1].description).toBe('agency "NO-SUCH-AGENCY" is not an agency code of boston.');
    expect((await call('post', '/admin/v1/escalation-rules', [1, 2])).status).toBe(400);
    expect(await ruleCount()).toBe(ladder.length);

    const first = (await call('get', '/admin/v1/escalation-rules')).body[0];
    const put = await call('put', `/admin/v1/escalation-rules/${first.id}`, {
      at_fraction: -1,
      action: 'warn',
    });
    expect(put.status).toBe(400);
    const moved = await call('put', `/admin/v1/escalation-rules/${first.id}`, {
      jurisdiction_id: 'elsewhere',
      at_fraction: 1,
      action: 'warn',
    });
    expect(moved.status).toBe(400);
    expect((await call('get', `/admin/v1/escalation-rules/${first.id}`)).body).toEqual(first);
  });

  it('when a rule id is unknown or malformed, then 404', async () => {
    for (const id of ['999999', 'abc', '1.5']) {
      expect((await call('get', `/admin/v1/escalation-rules/${id}`)).status).toBe(404);
      expect(
        (await call('put', `/admin/v1/escalation-rules/${id}`, { at_fraction: 1, action: 'warn' })).status,
      ).toBe(404);
      expect((await call('delete', `/admin/v1/escalation-rules/${id}`)).status).toBe(404);
    }
  });

  it('when the admin key is missing or another role is used, then 403 and nothing is written', async () => {
    const body = { at_fraction: 0.5, action: 'warn' };
    for (const auth of [{}, { Authorization: `Bearer ${staff}` }, { Authorization: `Bearer ${client}` }]) {
      const list = await request(t.app).get('/admin/v1/escalation-rules').set(auth);
      expect(list.status).toBe(403);
      expectMatchesSpec('GET', '/admin/v1/escalation-rules', 403, list.body);
      expect((await request(t.app).post('/admin/v1/escalation-rules').set(auth).send(body)).status).toBe(403);
      expect((await request(t.app).delete('/admin/v1/escalation-rules/1').set(auth)).status).toBe(403);
      expect(
        (await request(t.app).get(`/admin/v1/services/${s.serviceCode}/response-levels`).set(auth)).status,
      ).toBe(403);
      expect(
        (
          await request(t.app)
            .put(`/admin/v1/services/${s.serviceCode}/response-levels`)
            .set(auth)
            .send({ default: null, priorities: {} })
        ).status,
      ).toBe(403);
    }
    expect(await ruleCount()).toBe(ladder.length);
    expect(await t.db.knex('services').where('id', s.id).first('sla_value', 'sla_unit')).toEqual(
      serviceLevel,
    );
  });

  it('when a rule is added, then the next sweep fires it; edited it does not fire twice; deleted the ladder falls back', async () => {
    const id = await create(s.serviceCode);
    const level = (s.sla?.value as number) * HOUR;
    await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars); // schedules the demo ladder's first step, at 75%
    t.clock.advance(level * 0.2);
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(0); // not due yet: nothing scheduled before 75%

    const rule = await call('post', '/admin/v1/escalation-rules', {
      service_code: s.serviceCode,
      at_fraction: 0.1,
      action: 'warn',
      description: 'Early check',
    });
    const row = await t.db.knex('service_requests').where('id', id).first('next_escalation_at');
    expect(row?.next_escalation_at.getTime()).toBe(t.clock.now().getTime());
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(1);
    const fired = (await history(id)).filter((h) => h.kind === 'escalation');
    expect(fired.map((h) => h.summary)).toEqual(['Early check at 10% of the response level']);

    const url = `/admin/v1/escalation-rules/${rule.body.id}`;
    await call('put', url, { service_code: s.serviceCode, at_fraction: 0.15, action: 'warn' });
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(0);
    expect((await history(id)).filter((h) => h.kind === 'escalation')).toHaveLength(1);

    // Deleting the service's only rule: its firing records go (cascade), the audit trail stays, and the
    // request falls back to the jurisdiction's ladder, whose 75% step is rescheduled.
    await call('delete', url);
    expect(await t.db.knex('request_escalations').where('request_id', id)).toEqual([]);
    expect((await history(id)).filter((h) => h.kind === 'escalation')).toHaveLength(1);
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(0);
    const next = await t.db.knex('service_requests').where('id', id).first('next_escalation_at');
    expect(next?.next_escalation_at.getTime()).toBe(Date.parse('2026-11-23T14:00:00Z') + level * 0.75);
  });

  it('when a rule changes, then closed requests are not rescheduled', async () => {
    const id = await create(s.serviceCode);
    const closed = await request(t.app)
      .post(`/staff/v1/requests/${id}/status`)
      .set('Authorization', `Bearer ${staff}`)
      .send({ detailed_status: 'fixed' });
    expect(closed.status).toBe(200);
    await call('post', '/admin/v1/escalation-rules', { at_fraction: 0.2, action: 'warn' });
    expect(await t.db.knex('service_requests').where('id', id).first('next_escalation_at')).toEqual({
      next_escalation_at: null,
    });
  });
});

describe('response levels admin API', () => {
  const url = () => `/admin/v1/services/${s.serviceCode}/response-levels`;

  it('when a service is read, then its default level and no overrides come back', async () => {
    const res = await call('get', url());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ default: s.sla, priorities: {} });
    expect((await call('get', '/admin/v1/services/NO-SUCH-SERVICE/response-levels')).status).toBe(404);
  });

  it('when the input is wrong, then 400 names every problem and nothing is written', async () => {
    const bad = await call('put', url(), {
      default: { value: 0, unit: 'weeks' },
      priorities: { critical: { value: 1, unit: 'hours' }, high: { value: 2 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.map((e: { description: string }) => e.description)).toEqual([
      'default.value must be a number greater than 0 and at most 3650.',
      'default.unit must be one of hours, business_hours, business_days, calendar_days.',
      'priorities: "critical" is not a priority; use low, normal, high, urgent.',
      'priorities.high.unit must be one of hours, business_hours, business_days, calendar_days.',
    ]);
    const missing = await call('put', url(), { default: s.sla });
    expect(missing.body.map((e: { description: string }) => e.description)).toEqual([
      expect.stringContaining('priorities is required'),
    ]);
    expect((await call('put', `${url()}?recompute=yes`, { default: null, priorities: {} })).status).toBe(400);
    expect((await call('put', '/admin/v1/services/NO-SUCH-SERVICE/response-levels', {})).status).toBe(404);
    expect((await call('get', url())).body).toEqual({ default: s.sla, priorities: {} });
  });

  it('when a per-priority level is set, then open requests keep their time until staff change the priority', async () => {
    const id = await create(s.serviceCode);
    const created = Date.parse('2026-11-23T14:00:00Z');
    const before = await expectedOf(id);
    expect(before).toBe(created + (s.sla?.value as number) * HOUR);

    const put = await call('put', url(), {
      default: s.sla,
      priorities: { high: { value: 1, unit: 'hours' } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ default: s.sla, priorities: { high: { value: 1, unit: 'hours' } } });
    expect((await call('get', url())).body).toEqual(put.body);
    expect(await expectedOf(id)).toBe(before); // no ?recompute: the open request keeps its time

    t.clock.advance(600_000);
    const res = await request(t.app)
      .post(`/staff/v1/requests/${id}/priority`)
      .set('Authorization', `Bearer ${staff}`)
      .send({ priority: 'high' });
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.expected_datetime)).toBe(created + HOUR);
    expect(await expectedOf(id)).toBe(created + HOUR);
    await noticeAgrees(id, '1 hour');
  });

  it('when recompute=true, then open requests move with an sla history row, closed ones do not, and new requests use the new default', async () => {
    const open = await create(s.serviceCode);
    const closed = await create(s.serviceCode);
    await request(t.app)
      .post(`/staff/v1/requests/${closed}/status`)
      .set('Authorization', `Bearer ${staff}`)
      .send({ detailed_status: 'fixed' });
    const closedBefore = await expectedOf(closed);
    const created = Date.parse('2026-11-23T14:00:00Z');
    const doubled = { value: (s.sla?.value as number) * 2, unit: 'hours' };

    const put = await call('put', `${url()}?recompute=true`, { default: doubled, priorities: {} });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ default: doubled, priorities: {}, recomputed: 1 });
    expect(await expectedOf(open)).toBe(created + doubled.value * HOUR);
    await noticeAgrees(open, `${doubled.value} hours`);
    expect(await expectedOf(closed)).toBe(closedBefore);
    const sla = (await history(open)).filter((h) => h.kind === 'sla');
    expect(sla).toHaveLength(1);
    expect(sla[0]?.summary).toContain('Response level changed');
    expect((await history(closed)).filter((h) => h.kind === 'sla')).toEqual([]);

    // The catalog cache was invalidated: a new request gets the new default at once.
    const fresh = await create(s.serviceCode);
    expect(await expectedOf(fresh)).toBe(created + doubled.value * HOUR);

    // Asking again changes nothing and writes no history.
    const again = await call('put', `${url()}?recompute=true`, { default: doubled, priorities: {} });
    expect(again.body.recomputed).toBe(0);
    expect((await history(open)).filter((h) => h.kind === 'sla')).toHaveLength(1);
  });

  it('when the normal priority has an override, then new requests (all normal) use it and say so', async () => {
    await call('put', url(), { default: s.sla, priorities: { normal: { value: 3, unit: 'hours' } } });
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: client, service_code: s.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long });
    expect(res.status).toBe(201);
    expect(res.body[0].service_notice).toContain('Response level: 3 hours');
    expect(await expectedOf(res.body[0].service_request_id)).toBe(
      Date.parse('2026-11-23T14:00:00Z') + 3 * HOUR,
    );
  });

  it('when open requests span several batches, then every one of them is recomputed once', async () => {
    const ids = [await create(s.serviceCode), await create(s.serviceCode), await create(s.serviceCode)];
    await call('put', url(), { default: { value: 7, unit: 'hours' }, priorities: {} });
    const actor = { type: 'system' as const, id: null, label: 'test', channel: null };
    expect(await recomputeOpenRequests(t.db.knex, s.id, t.clock.now(), actor, 2)).toBe(3);
    for (const id of ids) {
      expect(await expectedOf(id)).toBe(Date.parse('2026-11-23T14:00:00Z') + 7 * HOUR);
      expect((await history(id)).filter((h) => h.kind === 'sla')).toHaveLength(1);
    }
  });
});
