import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, disableDuplicateDetection, plainService } from './helpers/fixtures';

let t: TestServer;
let key: string;
let staff: string;
let code: string;
const HARBOUR = { lat: 42.34, long: -71.02 };
const CAMBRIDGE = { lat: 42.3736, long: -71.1097 };

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  code = (await plainService(t)).serviceCode;
});
beforeEach(async () => {
  await resetWrites(t.db);
  key = await t.key();
  staff = await t.key('staff', 'staff');
});
afterAll(() => t.close());

const post = (body: Record<string, unknown>) =>
  request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({ api_key: key, service_code: code, ...body });
const read = async (id: string) =>
  (await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`)).body[0];
const count = async () => Number((await t.db.knex('service_requests').count({ n: '*' }))[0]?.n);

describe('geocoding on POST', () => {
  it('when only a misspelt, abbreviated address is sent, then the request gets the right point, address, zip and ward', async () => {
    const res = await post({ address_string: '29 herford street, boston ma' });
    expect(res.status).toBe(201);
    const r = await read(res.body[0].service_request_id);
    expect(r.address).toBe('29 Hereford St');
    expect(r.zipcode).toBe('02115');
    expect(r.address_id).toMatch(/^\d+$/);
    expect(r.lat).toBeCloseTo(HEREFORD.lat, 3);
    expect(r.long).toBeCloseTo(HEREFORD.long, 3);
    expect(r.extended_attributes.ward).toMatch(/^Ward \d+$/);
  });

  it('when the address is unknown, then 400 says so and offers suggestions, and nothing is written', async () => {
    const res = await post({ address_string: '29 Herefordshire Boulevard' });
    expect(res.status).toBe(400);
    expect(res.body[0].description).toMatch(/was not found/);
    expect(await count()).toBe(0);
    const near = await post({ address_string: '31 Hereford Rd' });
    expect(near.status).toBe(400);
    expect(near.body[0].description).toMatch(/Did you mean: .*Hereford St/);
  });

  it('when a point is sent alone, then it is kept and the nearest address within 75 m fills address and zip', async () => {
    const p = { lat: HEREFORD.lat + 0.0001, long: HEREFORD.long };
    const r = await read((await post(p)).body[0].service_request_id);
    expect(r.lat).toBeCloseTo(p.lat, 6);
    expect(r.address).toMatch(/Hereford St/);
    expect(r.zipcode).toBe('02115');
  });

  it('when an address_id is sent, then it must exist in this jurisdiction', async () => {
    const a = await t.db.knex('address_points').where('jurisdiction_id', 'boston').first('id', 'address');
    const ok = await post({ address_id: String(a?.id) });
    expect(ok.status).toBe(201);
    expect((await read(ok.body[0].service_request_id)).address).toBe(a?.address);
    const bad = await post({ address_id: '999999999' });
    expect(bad.status).toBe(400);
    expect(bad.body[0].description).toMatch(/address_id/);
  });

  it('when a point in the harbour or in another town is sent, then 400 "outside the service area"', async () => {
    for (const p of [HARBOUR, CAMBRIDGE]) {
      const res = await post(p);
      expect(res.status).toBe(400);
      expect(res.body[0].description).toMatch(/outside the service area/);
    }
    expect(await count()).toBe(0);
  });

  it('when a point and an address lie far apart, then the point is kept and staff see a conflict note', async () => {
    const far = await t.db
      .knex('address_points')
      .orderByRaw('ST_Distance(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography) DESC', [
        HEREFORD.long,
        HEREFORD.lat,
      ])
      .first('address');
    const res = await post({ lat: HEREFORD.lat, long: HEREFORD.long, address_string: far?.address });
    expect(res.status).toBe(201);
    const id = res.body[0].service_request_id;
    expect((await read(id)).lat).toBeCloseTo(HEREFORD.lat, 4);
    const history = await request(t.app)
      .get(`/staff/v1/requests/${id}/history`)
      .set('Authorization', `Bearer ${staff}`);
    expect(history.body.map((h: { description: string | null }) => h.description).join(' ')).toMatch(
      /Location conflict/,
    );
  });
});

describe('address search for clients', () => {
  it('when a partial address is typed, then up to 10 ranked suggestions come back in both formats', async () => {
    const res = await request(t.app).get('/open311/v2/addresses.json?q=29 herefor');
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(0);
    expect(res.body.length).toBeLessThanOrEqual(10);
    expect(res.body[0]).toEqual({
      address_id: expect.stringMatching(/^\d+$/),
      address: '29 Hereford St',
      zipcode: '02115',
      location_match: 'address_point',
      location_accuracy_m: 10,
      lat: expect.any(Number),
      long: expect.any(Number),
    });
    const xml = await request(t.app).get('/open311/v2/addresses.xml?q=29 hereford st');
    expect(xml.text).toContain('<addresses><address><address_id>');
  });

  it('when a point is given, then the nearest addresses come back with their distance; bad input is 400', async () => {
    const res = await request(t.app).get(
      `/open311/v2/addresses.json?lat=${HEREFORD.lat}&long=${HEREFORD.long}&limit=3`,
    );
    expect(res.body.length).toBe(3);
    expect(res.body[0].distance).toBeLessThan(30);
    expect((await request(t.app).get('/open311/v2/addresses.json')).status).toBe(400);
  });
});

describe('importing a city layer through the admin API', () => {
  const square = (name: string, d: number) => ({
    type: 'Feature',
    properties: { name },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [HEREFORD.long - d, HEREFORD.lat - d],
          [HEREFORD.long + d, HEREFORD.lat - d],
          [HEREFORD.long + d, HEREFORD.lat + d],
          [HEREFORD.long - d, HEREFORD.lat + d],
          [HEREFORD.long - d, HEREFORD.lat - d],
        ],
      ],
    },
  });

  it('when a district layer is imported, then new requests are attributed to it and can be filtered by it', async () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        square('Zone A', 0.002),
        { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [0, 0] } },
      ],
    };
    const res = await request(t.app)
      .post('/admin/v1/jurisdictions/boston/geography/districts:snow_zone?replace=true&allow_rejects=true')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', 'application/geo+json')
      .send(JSON.stringify(fc));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      layer: 'districts:snow_zone',
      accepted: 1,
      rejected: [{ line: 2, reason: expect.any(String) }],
    });
    const id = (await post(HEREFORD)).body[0].service_request_id;
    expect((await read(id)).extended_attributes.snow_zone).toBe('Zone A');
    const list = await request(t.app).get(
      '/open311/v2/requests.json?district_layer=snow_zone&district=Zone%20A',
    );
    expect(list.body.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([id]);
  });

  it('when an import fails, then nothing changes', async () => {
    const before = await t.db.knex('districts').where('layer', 'ward').count({ n: '*' });
    const broken =
      '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"X"},"geometry":{"type":"Polygon","coordinates":[[[1,2]]]}}]}';
    const res = await request(t.app)
      .post('/admin/v1/jurisdictions/boston/geography/districts:ward?replace=true')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', 'application/json')
      .send(broken);
    expect(res.status).toBe(400);
    expect(res.body[0].description).toMatch(/nothing was changed/);
    expect(await t.db.knex('districts').where('layer', 'ward').count({ n: '*' })).toEqual(before);
  });

  it('when address points are imported from CSV, then they can be geocoded', async () => {
    const csv =
      'external_id,house_number,street,zip,lat,long\nT1,7,Imaginary Ln,02115,42.3505,-71.0866\nT2,,,,,\n';
    const res = await request(t.app)
      .post('/admin/v1/jurisdictions/boston/geography/addresses?allow_rejects=true')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', 'text/csv')
      .send(csv);
    expect(res.status).toBe(201);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([{ line: 3, reason: 'no street' }]);
    const r = await post({ address_string: '7 imaginary lane' });
    expect(r.status).toBe(201);
  });
});
