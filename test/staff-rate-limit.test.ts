import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { createAtHereford, disableDuplicateDetection, plainService } from './helpers/fixtures';

/** Staff and admin writes are limited per key (STAFF_RATE_LIMIT_PER_MINUTE), apart from GeoReport POSTs. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ STAFF_RATE_LIMIT_PER_MINUTE: '3', POST_RATE_LIMIT_PER_MINUTE: '100' });
  await disableDuplicateDetection(t);
});
afterAll(() => t.close());

it('when a staff key writes more than the limit in a minute, then 429 with Retry-After; reads, other keys and GeoReport POSTs are not counted', async () => {
  const client = await t.key('client', 'mobile');
  const staff = await t.key('staff', 'staff');
  const other = await t.key('staff', 'staff');
  const { serviceCode } = await plainService(t);
  const id = await createAtHereford(t, client, serviceCode);
  const note = (key: string, n: number) =>
    request(t.app)
      .post(`/staff/v1/requests/${id}/notes`)
      .set('Authorization', `Bearer ${key}`)
      .send({ text: `note ${n}` });
  for (let n = 1; n <= 3; n++) {
    expect((await note(staff, n)).status).toBe(201);
    // Reads are never counted.
    expect(
      (await request(t.app).get(`/staff/v1/requests/${id}`).set('Authorization', `Bearer ${staff}`)).status,
    ).toBe(200);
  }
  const refused = await note(staff, 4);
  expect(refused.status).toBe(429);
  expect(refused.headers['retry-after']).toBe('60');
  expect(refused.body[0].code).toBe(429);
  // Nothing was written by the refused call.
  expect(
    await t.db.knex('request_history').where({ request_id: id, description: 'note 4' }).first(),
  ).toBeUndefined();
  // Another staff key has its own count; the client key's GeoReport POSTs their own limit.
  expect((await note(other, 1)).status).toBe(201);
  await createAtHereford(t, client, serviceCode);
});

it('when the admin key writes more than the limit, then 429, and its reads still answer', async () => {
  const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
  const put = () =>
    request(t.app).put('/admin/v1/services/_default/duplicate-rule').set(admin).send({ enabled: false });
  const statuses: number[] = [];
  for (let n = 0; n < 4; n++) statuses.push((await put()).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  expect((await request(t.app).get('/admin/v1/services/_default/duplicate-rule').set(admin)).status).toBe(
    200,
  );
});
