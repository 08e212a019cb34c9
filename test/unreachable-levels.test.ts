/**
 * A business calendar with almost no working time and a long response level (outside probe H1): the admin
 * API refuses what would leave a level unreachable (response levels, the calendar, a service document, a
 * catalog import) with a 400 that names it; a calendar stored before that check never makes intake, a
 * staff change, a recomputation or the escalation sweep answer 500: the request has no due time.
 * And a time zone is stored in its IANA spelling (probe M3): "america/indiana/indianapolis" keeps the US
 * federal holidays.
 */
import request from 'supertest';
import type { Service } from '../src/catalog';
import { sweepEscalations } from '../src/escalation';
import { recomputeOpenRequests } from '../src/requests';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService, createRequest } from './helpers/factories';
import { disableDuplicateDetection } from './helpers/fixtures';
import { expectMatchesSpec } from './helpers/openapi';

let t: TestServer;
let s: Service;
let staff: string;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const CALENDAR = '/admin/v1/jurisdictions/boston/calendar';
const MINUTE_A_WEEK = { working_hours: { '1': [{ start: '08:00', end: '08:01' }] }, holidays: [] };
const LONG = { value: 3650, unit: 'business_hours' };
const levelsUrl = () => `/admin/v1/services/${s.serviceCode}/response-levels`;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  s = await buildService(t, { sla: { value: 8, unit: 'business_hours' } });
});
beforeEach(async () => {
  await resetWrites(t.db);
  await t.db.knex('business_calendars').where('jurisdiction_id', 'boston').delete();
  await t.db.knex('service_response_levels').where('service_id', s.id).delete();
  await t.db.knex('services').where('id', s.id).update({ sla_value: 8, sla_unit: 'business_hours' });
  await t.ctx.invalidate('calendar', 'boston');
  await t.ctx.invalidate('catalog');
  staff = await t.key('staff', 'staff');
  t.clock.set('2026-12-07T15:00:00Z'); // Monday 10:00 in Boston
});
afterAll(() => t.close());

async function call(method: 'get' | 'put' | 'post', url: string, body?: unknown) {
  let r = request(t.app)[method](url).set(admin);
  if (body !== undefined) r = r.send(body as object);
  const res = await r;
  expectMatchesSpec(method.toUpperCase(), url, res.status, res.body);
  return res;
}
const descriptions = (res: request.Response) =>
  (res.body as Array<{ description: string }>).map((e) => e.description);

/** A calendar stored as it was before the check (or by another version): one minute on Mondays. */
async function storeMinuteAWeek() {
  await t.db.knex('business_calendars').insert({
    jurisdiction_id: 'boston',
    working_hours: JSON.stringify(MINUTE_A_WEEK.working_hours),
    holidays: JSON.stringify([]),
    updated_at: new Date('2026-12-01T00:00:00Z'),
  });
  await t.ctx.invalidate('calendar', 'boston');
}

describe('levels the calendar cannot reach are refused', () => {
  it('when the calendar would leave a level unreachable, then 400 names the service and level, and nothing is stored', async () => {
    expect((await call('put', levelsUrl(), { default: LONG, priorities: {} })).status).toBe(200);
    const before = (await call('get', CALENDAR)).body;
    const res = await call('put', CALENDAR, MINUTE_A_WEEK);
    expect(res.status).toBe(400);
    expect(descriptions(res)[0]).toMatch(
      /1 minute of working time a week\) leaves \d+ response levels? of boston/,
    );
    expect(descriptions(res)).toContainEqual(
      expect.stringContaining(`service ${s.serviceCode} (default): 3650 business_hours cannot be reached`),
    );
    expect((await call('get', CALENDAR)).body).toEqual(before);
  });

  it('when a level is set that the stored calendar cannot reach, then 400 names it; a reachable one is stored', async () => {
    await storeMinuteAWeek();
    const res = await call('put', levelsUrl(), {
      default: { value: 2, unit: 'hours' },
      priorities: { high: LONG },
    });
    expect(res.status).toBe(400);
    expect(descriptions(res)[0]).toMatch(
      /^priorities\.high: 3650 business_hours cannot be reached on the business calendar: .* 1 minute of working time a week/,
    );
    expect((await call('get', levelsUrl())).body).toEqual({
      default: { value: 8, unit: 'business_hours' },
      priorities: {},
    });
    const ok = await call('put', levelsUrl(), {
      default: { value: 10, unit: 'business_hours' },
      priorities: {},
    });
    expect(ok.status).toBe(200); // 600 Mondays: about 11.5 years
  });

  it('when a service document or a catalog import sets an unreachable level, then 400 names the service', async () => {
    await storeMinuteAWeek();
    const url = `/admin/v1/jurisdictions/boston/services/${s.serviceCode}`;
    const doc = (await call('get', url)).body;
    const put = await call('put', url, { ...doc, response_level: LONG });
    expect(put.status).toBe(400);
    expect(descriptions(put)[0]).toContain(`service ${s.serviceCode}: response_level: 3650 business_hours`);
    const catalog = (await call('get', '/admin/v1/jurisdictions/boston/catalog')).body;
    const services = catalog.services.map((x: { service_code: string }) =>
      x.service_code === s.serviceCode ? { ...x, response_level: LONG } : x,
    );
    for (const dry of ['?dry_run=true', '']) {
      const res = await call('post', `/admin/v1/jurisdictions/boston/catalog${dry}`, {
        ...catalog,
        services,
      });
      expect(res.status).toBe(400);
      expect(descriptions(res)[0]).toContain(`service ${s.serviceCode}: response_level: 3650 business_hours`);
    }
    expect((await call('get', url)).body.response_level).toEqual({ value: 8, unit: 'business_hours' });
  });
});

describe('a calendar stored before the check never makes a 500', () => {
  it('when the level cannot be reached, then intake, priority, recompute and the sweep give no due time', async () => {
    await t.db.knex('services').where('id', s.id).update({ sla_value: 3650, sla_unit: 'business_hours' });
    await t.ctx.invalidate('catalog');
    await storeMinuteAWeek();

    const created = await createRequest(t, s); // 201, not 500
    const id = String(created.service_request_id);
    const read = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0];
    expect(read.expected_datetime ?? null).toBeNull();
    expect(read.service_notice ?? null).toBeNull();

    const priority = await request(t.app)
      .post(`/staff/v1/requests/${id}/priority`)
      .set('Authorization', `Bearer ${staff}`)
      .send({ priority: 'high' });
    expect(priority.status).toBe(200);
    expect(priority.body.expected_datetime ?? null).toBeNull();

    // The sweep looks at the request (scheduled as if it had a time) and fires nothing.
    await t.db.knex('service_requests').where('id', id).update({ next_escalation_at: t.clock.now() });
    expect(await sweepEscalations(t.db.knex, t.clock.now(), t.ctx.calendars)).toBe(0);

    // A recomputation that moves a request off a time says why there is none.
    await t.db
      .knex('service_requests')
      .where('id', id)
      .update({ expected_at: new Date('2027-01-01T00:00:00Z') });
    await t.db.knex('services').where('id', s.id).update({ sla_value: 3649 });
    await t.ctx.invalidate('catalog');
    const recompute = await request(t.app)
      .put(`${levelsUrl()}?recompute=true`)
      .set(admin)
      .send({
        default: { value: 10, unit: 'business_hours' },
        priorities: { high: { value: 1, unit: 'hours' } },
      });
    expect(recompute.status).toBe(200);
    await t.db.knex('service_response_levels').where('service_id', s.id).delete();
    await t.db.knex('services').where('id', s.id).update({ sla_value: 3650 });
    await t.db
      .knex('service_requests')
      .where('id', id)
      .update({ expected_at: new Date('2027-01-01T00:00:00Z') });
    expect(
      await recomputeOpenRequests(t.db.knex, s.id, t.clock.now(), {
        type: 'system',
        id: null,
        label: 'test',
      } as never),
    ).toBe(1);
    const history = (
      await request(t.app).get(`/staff/v1/requests/${id}/history`).set('Authorization', `Bearer ${staff}`)
    ).body as Array<{ kind: string; summary: string }>;
    expect(history.map((h) => h.summary)).toContain(
      'Response level not reached on the business calendar within 20 years: no expected time',
    );
  });
});

describe('time zones are stored in their IANA spelling', () => {
  it('when a jurisdiction is given its zone in lower case, then it is stored as IANA spells it and keeps the US holidays', async () => {
    const url = '/admin/v1/jurisdictions/boston';
    const doc = (await call('get', url)).body;
    try {
      const put = await call('put', url, { ...doc, time_zone: 'america/indiana/indianapolis' });
      expect(put.status).toBe(200);
      expect(put.body.time_zone).toBe('America/Indiana/Indianapolis');
      const cal = (await call('get', CALENDAR)).body;
      expect(cal.time_zone).toBe('America/Indiana/Indianapolis');
      expect(cal.holidays.length).toBe(231);
      // A calendar document may name the zone in any case.
      expect(
        (
          await call('put', CALENDAR, {
            working_hours: cal.working_hours,
            holidays: cal.holidays,
            time_zone: 'AMERICA/INDIANA/INDIANAPOLIS',
          })
        ).status,
      ).toBe(200);
      const created = await call('post', '/admin/v1/jurisdictions', {
        id: 'gary.in.gov',
        name: 'Gary',
        time_zone: 'america/chicago',
      });
      expect(created.status).toBe(201);
      expect(created.body.time_zone).toBe('America/Chicago');
      expect((await call('put', url, { ...doc, time_zone: 'Not/A_Zone' })).status).toBe(400);
    } finally {
      await request(t.app).delete('/admin/v1/jurisdictions/gary.in.gov').set(admin);
      await request(t.app).put(url).set(admin).send(doc);
      await t.db.knex('business_calendars').where('jurisdiction_id', 'boston').delete();
      await t.ctx.invalidate('calendar', 'boston');
    }
  });

  it('when a zone was stored in another case before, then the default calendar still has the US holidays', async () => {
    await t.db.knex('jurisdictions').where('id', 'boston').update({ time_zone: 'america/new_york' });
    await t.ctx.invalidate('catalog');
    try {
      expect((await call('get', CALENDAR)).body.holidays).toContain('2026-11-26');
    } finally {
      await t.db.knex('jurisdictions').where('id', 'boston').update({ time_zone: 'America/New_York' });
      await t.ctx.invalidate('catalog');
    }
  });
});
