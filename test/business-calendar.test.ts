/**
 * The business calendar over the admin API: what GET answers can be PUT back as it is (probe L11), and
 * "N business days" counted from the day of arrival, whatever it is (probe L18), seen in expected_datetime.
 */
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService, createRequest } from './helpers/factories';
import { disableDuplicateDetection } from './helpers/fixtures';
import { expectMatchesSpec } from './helpers/openapi';

let t: TestServer;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const URL = '/admin/v1/jurisdictions/boston/calendar';
const MONDAY = [{ start: '08:00', end: '17:00' }];
let original: Record<string, unknown>;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  original = (await request(t.app).get(URL).set(admin)).body as Record<string, unknown>;
});
beforeEach(async () => {
  await resetWrites(t.db);
  await t.db.knex('business_calendars').where('jurisdiction_id', 'boston').delete();
  await t.ctx.invalidate('calendar', 'boston');
});
afterAll(() => t.close());

/** An admin call whose answer is checked against spec/openapi.yaml. */
async function call(method: 'get' | 'put' | 'post', url: string, body?: unknown) {
  let r = request(t.app)[method](url).set(admin);
  if (body !== undefined) r = r.send(body as object);
  const res = await r;
  expectMatchesSpec(method.toUpperCase(), url, res.status, res.body);
  return res;
}
const descriptions = (res: request.Response) =>
  (res.body as Array<{ description: string }>).map((e) => e.description);

describe('GET → edit → PUT', () => {
  it('when the GET document is PUT back as it is, then 200 and the same document', async () => {
    const got = await call('get', URL);
    expect(got.body).toMatchObject({
      timeZone: 'America/New_York',
      time_zone: 'America/New_York',
      holidays: expect.arrayContaining(['2026-11-26']),
    });
    expect(got.body.working_hours).toEqual(got.body.workingHours);
    const put = await call('put', URL, got.body);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(got.body);
    expect((await call('get', URL)).body).toEqual(got.body);
  });

  it.each(['workingHours', 'working_hours'])(
    'when only %s is edited and the other spelling left out, then the edit is stored',
    async (field) => {
      const doc = { ...(await call('get', URL)).body } as Record<string, unknown>;
      delete doc[field === 'workingHours' ? 'working_hours' : 'workingHours'];
      doc[field] = { ...(doc[field] as object), '6': [{ start: '09:00', end: '12:00' }] };
      const put = await call('put', URL, doc);
      expect(put.status).toBe(200);
      const got = (await call('get', URL)).body;
      expect(got.workingHours['6']).toEqual([{ start: '09:00', end: '12:00' }]);
      expect(got.working_hours['6']).toEqual([{ start: '09:00', end: '12:00' }]);
    },
  );

  it('when both spellings are given with different hours, then 400 and nothing is stored', async () => {
    const doc = (await call('get', URL)).body;
    const res = await call('put', URL, { ...doc, working_hours: { '1': MONDAY } });
    expect(res.status).toBe(400);
    expect(descriptions(res)).toEqual([
      'workingHours and working_hours are the same field and differ; send one of them.',
    ]);
    expect((await call('get', URL)).body).toEqual(original);
  });

  it.each([
    ['timeZone', 'America/New_York', 200],
    ['time_zone', 'America/New_York', 200],
    ['timeZone', 'Europe/Paris', 400],
    ['time_zone', 'America/Chicago', 400],
    ['time_zone', 5, 400],
  ])('when %s is %s on PUT, then %s', async (field, zone, status) => {
    const res = await call('put', URL, { workingHours: { '1': MONDAY }, [field]: zone });
    expect(res.status).toBe(status);
    if (status === 400) {
      expect(descriptions(res)).toEqual([
        expect.stringContaining(
          "is not this calendar's: a calendar follows its jurisdiction's time zone (America/New_York), which is changed with PUT /admin/v1/jurisdictions/boston",
        ),
      ]);
      expect((await call('get', URL)).body).toEqual(original);
    }
  });

  it.each([
    [{ '1': MONDAY, '8': MONDAY }, '"8"'],
    [{ '1': MONDAY, x: [] }, '"x"'],
    [{ '1': MONDAY, '0': [] }, '"0"'],
  ])('when working_hours has a key that is not an ISO weekday (%j), then 400', async (hours, key) => {
    const res = await call('put', URL, { working_hours: hours });
    expect(res.status).toBe(400);
    expect(descriptions(res)).toEqual([
      `workingHours: ${key} is not an ISO weekday; use "1" (Monday) to "7" (Sunday).`,
    ]);
    expect((await call('get', URL)).body).toEqual(original);
  });

  it('when working_hours or holidays have the wrong shape, then 400', async () => {
    for (const body of [
      { working_hours: [MONDAY] },
      { working_hours: 'Mon-Fri' },
      { working_hours: { '1': MONDAY }, holidays: '2026-12-25' },
    ]) {
      const res = await call('put', URL, body);
      expect(res.status).toBe(400);
    }
    expect((await call('get', URL)).body).toEqual(original);
  });
});

describe('the default calendar of a new jurisdiction', () => {
  const city = (id: string, zone: string) => ({
    id,
    name: `City ${id}`,
    time_zone: zone,
    email: `sr@${id}`,
    phone: '555-0100',
    website: `https://${id}/`,
    language: 'en',
  });

  it('when the jurisdiction is in a US time zone, then it has the US federal holidays; elsewhere none', async () => {
    expect(
      (await call('post', '/admin/v1/jurisdictions', city('springfield.il.us', 'America/Chicago'))).status,
    ).toBe(201);
    expect(
      (await call('post', '/admin/v1/jurisdictions', city('toronto.ca', 'America/Toronto'))).status,
    ).toBe(201);
    expect((await call('post', '/admin/v1/jurisdictions', city('lyon.fr', 'Europe/Paris'))).status).toBe(201);
    try {
      const us = (await call('get', '/admin/v1/jurisdictions/springfield.il.us/calendar')).body;
      expect(us.holidays).toEqual(expect.arrayContaining(['2026-07-03', '2026-11-26', '2040-12-25']));
      for (const id of ['toronto.ca', 'lyon.fr']) {
        const other = (await call('get', `/admin/v1/jurisdictions/${id}/calendar`)).body;
        expect(other.holidays).toEqual([]);
        expect(other.workingHours['1']).toEqual(MONDAY);
      }
    } finally {
      for (const id of ['springfield.il.us', 'toronto.ca', 'lyon.fr'])
        await request(t.app).delete(`/admin/v1/jurisdictions/${id}`).set(admin);
    }
  });
});

describe('business days in expected_datetime', () => {
  it.each([
    [0.5, '2026-12-07T12:30:00-05:00'],
    [1, '2026-12-07T17:00:00-05:00'], // was Mon 14 Dec: the first Monday was day 0 and did not count
    [1.5, '2026-12-14T12:30:00-05:00'],
  ])(
    'when only Monday 08:00-17:00 works and a request comes on a Friday, then %s business days are due %s',
    async (value, expected) => {
      expect((await call('put', URL, { working_hours: { '1': MONDAY }, holidays: [] })).status).toBe(200);
      const s = await buildService(t, { sla: { value, unit: 'business_days' } });
      t.clock.set('2026-12-04T15:00:00Z'); // Friday 10:00 in Boston
      const id = String((await createRequest(t, s)).service_request_id);
      const read = await request(t.app).get(`/open311/v2/requests/${id}.json`);
      expect(read.body[0].expected_datetime).toBe(expected);
    },
  );

  it('when a request comes on Saturday under the default calendar, then 1 business day is Monday close', async () => {
    const s = await buildService(t, { sla: { value: 1, unit: 'business_days' } });
    t.clock.set('2026-11-21T15:00:00Z'); // Saturday 10:00 in Boston
    const id = String((await createRequest(t, s)).service_request_id);
    const read = await request(t.app).get(`/open311/v2/requests/${id}.json`);
    expect(read.body[0].expected_datetime).toBe('2026-11-23T17:00:00-05:00');
  });
});
