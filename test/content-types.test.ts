import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { createAtHereford, disableDuplicateDetection, plainService } from './helpers/fixtures';

/** A body the route cannot read is a 415 saying what to send, on every route that takes one. */
let t: TestServer;
let client: string;
let staff: string;
let id: string;
beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
  id = await createAtHereford(t, client, (await plainService(t)).serviceCode);
});
afterAll(() => t.close());

it('when a GeoReport POST has a body but no Content-Type, then 415 naming the types, not 403 about its key', async () => {
  const res = await request(t.app)
    .post('/open311/v2/requests.json')
    .send(Buffer.from(`api_key=${client}&service_code=X&lat=42.35&long=-71.08`)); // a Buffer: no type set
  expect(res.status).toBe(415);
  expect(res.body[0].description).toBe(
    'The request has a body but no Content-Type: send it as application/x-www-form-urlencoded, application/json, multipart/form-data.',
  );
  const xml = await request(t.app)
    .post('/open311/v2/requests.xml')
    .send(Buffer.from(`api_key=${client}`));
  expect([xml.status, xml.text]).toEqual([415, expect.stringContaining('<errors><error><code>415</code>')]);
});

it('when a staff or admin route gets XML, text or no Content-Type, then 415; JSON and forms still work', async () => {
  const staffStatus = (type: string | null, body: string) => {
    const r = request(t.app).post(`/staff/v1/requests/${id}/notes`).set('Authorization', `Bearer ${staff}`);
    return type === null ? r.send(Buffer.from(body)) : r.set('Content-Type', type).send(body);
  };
  for (const type of ['application/xml', 'text/plain', null])
    expect((await staffStatus(type, '<note><text>x</text></note>')).status).toBe(415);
  expect((await staffStatus('application/json', '{"text":"json"}')).status).toBe(201);
  expect((await staffStatus('application/x-www-form-urlencoded', 'text=form')).status).toBe(201);

  const admin = (type: string, body: string) =>
    request(t.app)
      .post('/admin/v1/api-keys')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', type)
      .send(body);
  const refused = await admin('application/xml', '<key><name>x</name></key>');
  expect([refused.status, refused.body[0].description]).toEqual([
    415,
    'Content-Type application/xml is not accepted: use application/json.',
  ]);
  expect((await admin('application/json', '{"name":"ok","role":"client"}')).status).toBe(201);
});
