import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { createAtHereford, disableDuplicateDetection, plainService } from './helpers/fixtures';

/**
 * What is not public stays so: a status change's internal note is not published as status_notes, and a
 * request of a private service cannot be found or changed through servicerequestupdates by a client key.
 */
let t: TestServer;
let client: string;
let staff: string;
let id: string;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
});
beforeEach(async () => {
  await resetWrites(t.db);
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
  id = await createAtHereford(t, client, (await plainService(t)).serviceCode);
});
afterAll(() => t.close());

const status = (body: object) =>
  request(t.app).post(`/staff/v1/requests/${id}/status`).set('Authorization', `Bearer ${staff}`).send(body);

const SECRET = 'Caller Jane Roe at 617-555-0100';

async function publicOutputs(): Promise<string> {
  const outs = await Promise.all([
    request(t.app).get(`/open311/v2/requests/${id}.json?jurisdiction_id=boston&extensions=true`),
    request(t.app).get(`/open311/v2/requests/${id}.xml?jurisdiction_id=boston`),
    request(t.app).get(`/open311/v2/requests.json?jurisdiction_id=boston&service_request_id=${id}`),
    request(t.app).get(
      `/open311/v2/servicerequestupdates.json?jurisdiction_id=boston&service_request_id=${id}`,
    ),
    request(t.app).get('/open311/v2/bulk/requests.csv?jurisdiction_id=boston'),
  ]);
  for (const o of outs) expect(o.status).toBe(200);
  return outs.map((o) => o.text).join('\n');
}

it('when staff change the status with an internal note, then no public output carries the note', async () => {
  t.clock.advance(60_000);
  expect(
    (await status({ detailed_status: 'in_progress', note: 'Crew on the way', public: true })).status,
  ).toBe(200);
  expect(await publicOutputs()).toContain('Crew on the way');
  t.clock.advance(60_000);
  expect((await status({ detailed_status: 'investigating', note: SECRET, public: false })).status).toBe(200);
  const out = await publicOutputs();
  expect(out).not.toContain('Jane Roe');
  // The notes of the previous status no longer stand beside the new one.
  const single = await request(t.app).get(`/open311/v2/requests/${id}.json?jurisdiction_id=boston`);
  expect(single.body[0].status_notes).toBeNull();
  // Staff still see the note, marked internal.
  const history = await request(t.app)
    .get(`/staff/v1/requests/${id}/history`)
    .set('Authorization', `Bearer ${staff}`);
  expect(history.body.at(-1)).toMatchObject({ public: false, description: SECRET });
});

it('when a client key posts an update to a request of a private service, then 404 as for an unknown id, and nothing changes', async () => {
  const row = (await t.db.knex('service_requests').where('id', id).first('service_id')) as {
    service_id: number;
  };
  await t.db
    .knex('services')
    .where('id', row.service_id)
    .update({ keywords: t.db.knex.raw("array_append(keywords, 'private')") });
  try {
    const update = (key: string, n: number, requestId = id) =>
      request(t.app)
        .post('/open311/v2/servicerequestupdates.json')
        .type('form')
        .send({
          api_key: key,
          service_request_id: requestId,
          update_id: `u-${n}`,
          status: 'FIXED',
          description: 'closing it',
          updated_datetime: t.clock.now().toISOString(),
        });
    const privateOne = await update(client, 1);
    const unknown = await update(client, 2, '999999999');
    expect(privateOne.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(privateOne.body[0].description).toBe(`service_request_id "${id}" was not found.`);
    expect((await t.db.knex('service_requests').where('id', id).first('status')).status).toBe('open');
    // Staff keys keep working on it.
    expect((await update(staff, 3)).status).toBe(200);
    expect((await t.db.knex('service_requests').where('id', id).first('status')).status).toBe('closed');
  } finally {
    await t.db
      .knex('services')
      .where('id', row.service_id)
      .update({ keywords: t.db.knex.raw("array_remove(keywords, 'private')") });
  }
});
