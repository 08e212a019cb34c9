/**
 * GET /staff/v1/requests: the staff work queue (probe finding 8). Private services' requests, the
 * staff-only fields, the department's filters, paging and the bounds, through the HTTP API.
 */
import request from 'supertest';
import type { Service } from '../src/catalog';
import { createApiKey } from '../src/auth';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService, createRequest } from './helpers/factories';
import { disableDuplicateDetection } from './helpers/fixtures';
import { expectMatchesSpec } from './helpers/openapi';

let t: TestServer;
let staff: string;
let client: string;
let roads: Service;
let housing: Service;
/** Oldest first: a (roads, assigned to crew 7), b (housing, private, high priority), c (roads, closed). */
let a: string;
let b: string;
let c: string;

const HOUR = 3_600_000;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  roads = await buildService(t, {
    agency: { code: 'ROADS', name: 'Roads Department' },
    sla: { value: 1, unit: 'hours' },
  });
  housing = await buildService(t, {
    agency: { code: 'HOUSING', name: 'Housing' },
    keywords: ['private'],
    sla: { value: 5, unit: 'hours' },
  });
  expect(housing.isPrivate).toBe(true);
});
beforeEach(async () => {
  await resetWrites(t.db);
  t.clock.set('2026-11-23T15:00:00Z');
  staff = await t.key('staff', 'staff');
  client = await t.key('client', 'mobile');
  const make = async (s: Service, fields: Record<string, string>) => {
    t.clock.advance(60_000);
    return (await createRequest(t, s, { apiKey: client, fields })).service_request_id as string;
  };
  a = await make(roads, { email: 'ana@example.test', description: 'Pothole' });
  b = await make(housing, { phone: '617-555-0199', description: 'Squatters, call Maria' });
  c = await make(roads, { description: 'Sign down' });
  expect((await act(a, 'assign', { assigned_to: 'crew 7' })).status).toBe(200);
  expect((await act(b, 'priority', { priority: 'high' })).status).toBe(200);
  expect((await act(c, 'status', { detailed_status: 'fixed' })).status).toBe(200);
  // Two hours on: roads' one-hour level is past for a (open), c is closed; housing's five hours are not.
  t.clock.advance(2 * HOUR);
});
afterAll(() => t.close());

const act = (id: string, action: string, body: object) =>
  request(t.app)
    .post(`/staff/v1/requests/${id}/${action}`)
    .set('Authorization', `Bearer ${staff}`)
    .send(body);
const queue = (query = '', key = staff) =>
  request(t.app).get(`/staff/v1/requests${query}`).set('Authorization', `Bearer ${key}`);
const ids = (res: request.Response) =>
  (res.body as Array<{ service_request_id: string }>).map((r) => r.service_request_id);

describe('staff work queue', () => {
  it('when a client key or no key asks, then 403', async () => {
    expect((await queue('', client)).status).toBe(403);
    expect((await request(t.app).get('/staff/v1/requests')).status).toBe(403);
  });

  it('when staff list requests, then private services are included, newest first, with the staff-only fields', async () => {
    const res = await queue();
    expect(res.status).toBe(200);
    expectMatchesSpec('GET', '/staff/v1/requests', 200, res.body);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(ids(res)).toEqual([c, b, a]);
    const [rc, rb, ra] = res.body;
    expect(ra).toMatchObject({
      service_code: roads.serviceCode,
      agency_code: 'ROADS',
      agency_responsible: 'Roads Department',
      assigned_to: 'crew 7',
      overdue: true,
      contact: { email: 'ana@example.test' },
      closed_datetime: null,
    });
    expect(ra.location).toHaveProperty('match');
    expect(rb).toMatchObject({ agency_code: 'HOUSING', overdue: false, contact: { phone: '617-555-0199' } });
    expect(rb.extended_attributes.priority).toBe('high');
    expect(rc).toMatchObject({ status: 'closed', overdue: false, contact: null });
    expect(rc.closed_datetime).not.toBeNull();
    // The same as GET of one request (besides its media list).
    const one = await request(t.app).get(`/staff/v1/requests/${a}`).set('Authorization', `Bearer ${staff}`);
    const { media: _media, ...single } = one.body;
    expect(ra).toMatchObject(single);
    expect((await queue('.json')).body).toEqual(res.body);

    // The public list never shows the private request or any contact.
    const pub = await request(t.app).get('/open311/v2/requests.json?extensions=true');
    expect(pub.body.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([c, a]);
    expect(JSON.stringify(pub.body)).not.toMatch(/ana@example|617-555|crew 7|Maria/);
  });

  it('when a department filters its queue, then each filter keeps only its requests', async () => {
    expect(ids(await queue('?agency_code=HOUSING'))).toEqual([b]);
    expect(ids(await queue('?agency_code=ROADS&status=open'))).toEqual([a]);
    expect(ids(await queue('?assigned_to=crew%207'))).toEqual([a]);
    expect(ids(await queue('?assigned_to=crew%208'))).toEqual([]);
    expect(ids(await queue('?assigned=false'))).toEqual([c, b]);
    expect(ids(await queue('?overdue=true'))).toEqual([a]);
    expect(ids(await queue('?overdue=false'))).toEqual([c, b]);
    expect(ids(await queue('?priority=high,urgent'))).toEqual([b]);
    expect(ids(await queue(`?service_code=${encodeURIComponent(housing.serviceCode)}`))).toEqual([b]);
    expect(ids(await queue('?status=closed'))).toEqual([c]);
    expect(ids(await queue('?detailed_status=fixed'))).toEqual([c]);
    // requested_datetime of a is 15:01Z, of b 15:02Z, of c 15:03Z.
    expect(ids(await queue('?start_date=2026-11-23T15:01:30Z&end_date=2026-11-23T15:02:30Z'))).toEqual([b]);
    // A private service's overdue request shows once its level is past.
    t.clock.advance(4 * HOUR);
    expect(ids(await queue('?overdue=true&agency_code=HOUSING'))).toEqual([b]);
  });

  it('when staff page through the queue, then pages are stable and bounded', async () => {
    expect(ids(await queue('?page_size=2'))).toEqual([c, b]);
    expect(ids(await queue('?page_size=2&page=2'))).toEqual([a]);
    expect(ids(await queue('?page_size=2&page=3'))).toEqual([]);
    const tooBig = await queue('?page_size=201');
    expect(tooBig.status).toBe(400);
    expectMatchesSpec('GET', '/staff/v1/requests', 400, tooBig.body);
    expect(tooBig.body[0].description).toMatch(/page_size must be at most 200/);
  });

  it('when a parameter is unknown or wrong, then 400 names each one and nothing is listed', async () => {
    const res = await queue('?asigned_to=crew%207&priority=critical&overdue=maybe');
    expect(res.status).toBe(400);
    const text = res.body.map((e: { description: string }) => e.description).join(' | ');
    expect(text).toMatch(/asigned_to is not a parameter/);
    expect(text).toMatch(/priority must be among low, normal, high, urgent/);
    expect(text).toMatch(/overdue/);
    expect((await queue('?status=pending')).status).toBe(400);
  });

  it("when a staff key is bound to another jurisdiction, then it never lists this one's requests", async () => {
    const created = await request(t.app)
      .post('/admin/v1/jurisdictions')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ id: 'other.example', name: 'Other City', time_zone: 'America/Chicago' });
    expect(created.status).toBe(201);
    const other = (
      await createApiKey(
        t.db.knex,
        { name: 'other staff', role: 'staff', channel: 'staff', jurisdictionId: 'other.example' },
        t.clock.now(),
      )
    ).secret;
    const own = await queue('', other);
    expect(own.status).toBe(200);
    expect(own.body).toEqual([]);
    expect((await queue('?jurisdiction_id=boston', other)).status).toBe(403);
  });
});
