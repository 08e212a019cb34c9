/**
 * Issue #14, "Set up your city": the README's path from nothing to a working city, run for Bloomington
 * (test/fixtures/bloomington) over the admin API on a server that already hosts the Boston demo, then a
 * request posted there and read back, with Boston untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';

const DIR = path.resolve(__dirname, 'fixtures/bloomington');
const file = (name: string) => fs.readFileSync(path.join(DIR, name), 'utf8');
const CITY = JSON.parse(file('jurisdiction.json')) as { id: string };
const GRAFFITI = '37';

let t: TestServer;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const adminCall = (method: 'get' | 'post' | 'put', url: string) =>
  request(t.app)[method](`/admin/v1${url}`).set(admin);

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

it('when a second city is set up from its own files, then it serves its services and requests and Boston is untouched', async () => {
  const bostonCatalog = (await adminCall('get', '/jurisdictions/boston/catalog')).body;
  const bostonServices = (await request(t.app).get('/open311/v2/services.json')).body;
  const bostonRequests = Number(
    (await t.db.knex('service_requests').where('jurisdiction_id', 'boston').count({ n: '*' }))[0]?.n,
  );

  // 1. The jurisdiction.
  await adminCall('post', '/jurisdictions').send(CITY).expect(201);

  // 2. Boundary, address points and districts (the `geo import` command over HTTP).
  const geo = (layer: string, type: string, body: string) =>
    adminCall('post', `/jurisdictions/${CITY.id}/geography/${layer}`).set('Content-Type', type).send(body);
  expect((await geo('boundary', 'application/geo+json', file('boundary.geojson'))).status).toBe(201);
  const addresses = await geo('addresses', 'text/csv', file('addresses.csv'));
  expect([addresses.status, addresses.body]).toEqual([201, expect.objectContaining({ accepted: 3 })]);
  expect((await geo('districts:area', 'application/geo+json', file('districts-area.geojson'))).status).toBe(
    201,
  );

  // 3. The catalog, from the city's spreadsheet: a dry run first, then for real.
  const csv = (dry: boolean) =>
    adminCall('post', `/jurisdictions/${CITY.id}/catalog${dry ? '?dry_run=true' : ''}`)
      .type('text/csv')
      .send(file('services.csv'));
  const dry = await csv(true);
  expect(dry.body.services.added).toHaveLength(53);
  expect(dry.body.applied).toBe(false);
  expect((await csv(false)).body.applied).toBe(true);

  // 4. A department and a definition for one service, edited live, then its response level and the calendar.
  await adminCall('post', `/jurisdictions/${CITY.id}/agencies`)
    .send({ code: 'PW', name: 'Public Works' })
    .expect(201);
  const graffiti = (await adminCall('get', `/jurisdictions/${CITY.id}/services/${GRAFFITI}`)).body;
  await adminCall('put', `/jurisdictions/${CITY.id}/services/${GRAFFITI}`)
    .send({
      ...graffiti,
      agency_code: 'PW',
      attributes: [
        {
          variable: true,
          code: 'surface',
          datatype: 'singlevaluelist',
          required: true,
          datatype_description: null,
          order: 1,
          description: 'What is painted?',
          values: [
            { key: 'wall', name: 'A wall' },
            { key: 'sign', name: 'A sign' },
          ],
        },
      ],
    })
    .expect(200);
  await adminCall('put', `/services/${GRAFFITI}/response-levels?jurisdiction_id=${CITY.id}`)
    .send({
      default: { value: 2, unit: 'business_days' },
      priorities: { urgent: { value: 4, unit: 'hours' } },
    })
    .expect(200);
  const weekday = [{ start: '08:00', end: '17:00' }];
  await adminCall('put', `/jurisdictions/${CITY.id}/calendar`)
    .send({
      working_hours: { 1: weekday, 2: weekday, 3: weekday, 4: weekday, 5: weekday },
      holidays: ['2026-11-26'],
    })
    .expect(200);

  // 5. A key for the city's app.
  const key = await adminCall('post', '/api-keys').send({
    name: 'uReport app',
    role: 'client',
    channel: 'mobile',
    jurisdiction_id: CITY.id,
  });
  expect(key.status).toBe(201);

  // The city serves its own codes over GeoReport.
  const services = await request(t.app).get(`/open311/v2/services.xml?jurisdiction_id=${CITY.id}`);
  expect(services.text).toContain(`<service_code>${GRAFFITI}</service_code>`);
  const def = await request(t.app).get(`/open311/v2/services/${GRAFFITI}.json?jurisdiction_id=${CITY.id}`);
  expect(def.body.attributes[0].code).toBe('surface');

  // A resident reports graffiti at City Hall by address; it is read back with its answers and district.
  const posted = await request(t.app).post('/open311/v2/requests.json').type('form').send({
    api_key: key.body.api_key,
    jurisdiction_id: CITY.id,
    service_code: GRAFFITI,
    address_string: '401 North Morton Street',
    description: 'Tag on the east wall',
    'attribute[surface]': 'wall',
  });
  expect(posted.status).toBe(201);
  const id = posted.body[0].service_request_id as string;
  const read = await request(t.app).get(
    `/open311/v2/requests/${id}.json?jurisdiction_id=${CITY.id}&extensions=true`,
  );
  expect(read.body[0]).toMatchObject({
    service_code: GRAFFITI,
    service_name: 'Graffiti',
    agency_responsible: 'Public Works',
    address: '401 N Morton St',
    zipcode: '47404',
  });
  expect(read.body[0].requested_datetime).toBe('2026-11-23T10:00:00-05:00');
  expect(read.body[0].expected_datetime).toBe('2026-11-25T17:00:00-05:00'); // end of the second business day;
  expect(read.body[0].extended_attributes).toMatchObject({
    area: 'West of Walnut',
    attributes: { surface: 'wall' },
  });

  // Boston is untouched and never sees the new city's data.
  expect((await adminCall('get', '/jurisdictions/boston/catalog')).body).toEqual(bostonCatalog);
  expect((await request(t.app).get('/open311/v2/services.json?jurisdiction_id=boston')).body).toEqual(
    bostonServices,
  );
  expect((await request(t.app).get(`/open311/v2/requests/${id}.json?jurisdiction_id=boston`)).status).toBe(
    404,
  );
  const bostonList = await request(t.app).get('/open311/v2/requests.json?jurisdiction_id=boston');
  expect(bostonList.body.some((r: { service_request_id: string }) => r.service_request_id === id)).toBe(
    false,
  );
  expect(
    Number((await t.db.knex('service_requests').where('jurisdiction_id', 'boston').count({ n: '*' }))[0]?.n),
  ).toBe(bostonRequests);
  expect(
    (await request(t.app).get(`/open311/v2/services/${GRAFFITI}.json?jurisdiction_id=boston`)).status,
  ).toBe(404);
});
