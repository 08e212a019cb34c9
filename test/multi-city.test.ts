/**
 * A server hosting two cities, as an outside probe onboarding Baltimore beside Bloomington found it:
 * - creating the second jurisdiction tells the operator that calls naming no jurisdiction_id now fail;
 * - a GeoReport read that carries an API key is held to it (bad key 403, bound key reads its own city);
 * - a district layer the city does not have is a 400 everywhere, not an empty answer;
 * - the dashboard lists the cities it can show.
 */
import request from 'supertest';
import { createApiKey, type Role } from '../src/auth';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { expectMatchesSpec } from './helpers/openapi';
import { HEREFORD, disableDuplicateDetection, plainService } from './helpers/fixtures';

const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const SPRINGFIELD = { id: 'springfield', name: 'Springfield', time_zone: 'America/Chicago' };
/** The error descriptions of a JSON answer; the text of an XML or CSV one. */
const descriptions = (res: request.Response): string =>
  Array.isArray(res.body)
    ? (res.body as Array<{ description: string }>).map((e) => e.description).join('\n')
    : res.text;

describe('creating a second jurisdiction', () => {
  let t: TestServer;
  afterEach(() => t?.close());

  const create = async (body: object) => {
    const res = await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(body);
    expectMatchesSpec('POST', '/admin/v1/jurisdictions', res.status, res.body);
    return res;
  };

  it('when the operator adds a second city, then the answer warns that calls without jurisdiction_id now fail and names DEFAULT_JURISDICTION', async () => {
    t = await startTestServer();
    expect((await request(t.app).get('/open311/v2/services.json')).status).toBe(200);
    const res = await create(SPRINGFIELD);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject(SPRINGFIELD);
    expect(res.body.warnings).toHaveLength(1);
    expect(res.body.warnings[0]).toMatch(/now hosts 2 jurisdictions \(boston, springfield\)/);
    expect(res.body.warnings[0]).toMatch(/now get 400/);
    expect(res.body.warnings[0]).toMatch(/DEFAULT_JURISDICTION=boston/);
    // The documented rule stays: a call naming none is a 400 listing the ids.
    const after = await request(t.app).get('/open311/v2/services.json');
    expect(after.status).toBe(400);
    expect(descriptions(after)).toMatch(/jurisdiction_id is required: this server hosts boston, springfield/);
    // The third changes nothing more for the apps: no warning.
    const third = await create({ ...SPRINGFIELD, id: 'shelbyville', name: 'Shelbyville' });
    expect(third.body.warnings).toEqual([]);
  });

  it('when DEFAULT_JURISDICTION already names the first city, then no warning and its apps keep working', async () => {
    t = await startTestServer({ DEFAULT_JURISDICTION: 'boston' });
    const res = await create(SPRINGFIELD);
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([]);
    expect((await request(t.app).get('/open311/v2/services.json')).status).toBe(200);
  });

  it('when DEFAULT_JURISDICTION names the new city, then the warning says the first city’s apps now read the new one', async () => {
    t = await startTestServer({ DEFAULT_JURISDICTION: 'springfield' });
    const res = await create(SPRINGFIELD);
    expect(res.body.warnings[0]).toMatch(/now read and write springfield instead of boston/);
    expect(res.body.warnings[0]).toMatch(/DEFAULT_JURISDICTION=boston/);
  });
});

describe('GeoReport reads that carry an API key, on a two-city server', () => {
  let t: TestServer;
  let bostonRequest: string;
  const keys: Record<string, string> = {};
  const bind = async (name: string, role: Role, jurisdictionId: string | null) => {
    keys[name] = (
      await createApiKey(t.db.knex, { name, role, channel: 'mobile', jurisdictionId }, t.clock.now())
    ).secret;
  };

  beforeAll(async () => {
    t = await startTestServer();
    await disableDuplicateDetection(t);
    await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(SPRINGFIELD).expect(201);
    await request(t.app)
      .post('/admin/v1/jurisdictions/springfield/services')
      .set(admin)
      .send({ service_code: 'SPR-POTHOLE', service_name: 'Springfield pothole' })
      .expect(201);
    await bind('boston', 'client', 'boston');
    await bind('spring', 'client', 'springfield');
    await bind('springStaff', 'staff', 'springfield');
    await bind('unbound', 'client', null);
    await bind('revoked', 'client', 'springfield');
    await t.db.knex('api_keys').where('name', 'revoked').update({ revoked_at: t.clock.now() });
    const s = await plainService(t);
    const res = await request(t.app).post('/open311/v2/requests.json').type('form').send({
      api_key: keys.boston,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
    expect(res.status).toBe(201);
    bostonRequest = res.body[0].service_request_id;
  });
  afterAll(() => t.close());

  /** Every public read of the GeoReport surface (and the export), naming no jurisdiction. */
  const READS = () => [
    '/open311/discovery.json',
    '/open311/v2/discovery.xml',
    '/open311/v2/services.json',
    '/open311/v2/services/SPR-POTHOLE.json',
    '/open311/v2/requests.json',
    '/open311/v2/requests.geojson',
    `/open311/v2/requests/${bostonRequest}.json`,
    '/open311/v2/tokens/none.json',
    '/open311/v2/servicerequestupdates.json',
    '/open311/v2/addresses.json?q=29%20hereford',
    '/open311/v2/bulk/requests.csv',
  ];
  const withParam = (url: string, param: string) => `${url}${url.includes('?') ? '&' : '?'}${param}`;

  it('when a read carries an unknown or revoked key (query, X-API-Key or Bearer), then 403 on every route', async () => {
    for (const url of READS()) {
      const named = withParam(url, 'jurisdiction_id=boston');
      const garbage = await request(t.app).get(withParam(named, 'api_key=o311_garbage_key_123'));
      expect([url, garbage.status]).toEqual([url, 403]);
      expect(descriptions(garbage)).toMatch(/not valid or has been revoked/);
      const header = await request(t.app).get(named).set('X-API-Key', 'o311_garbage_key_123');
      expect([url, header.status]).toEqual([url, 403]);
      const bearer = await request(t.app).get(named).set('Authorization', `Bearer ${keys.revoked}`);
      expect([url, bearer.status]).toEqual([url, 403]);
      if (url.endsWith('.json'))
        expectMatchesSpec('GET', url.replace(/\?.*/, ''), garbage.status, garbage.body);
    }
  });

  it('when a key bound to Springfield names Boston, then 403 on every route', async () => {
    for (const url of READS()) {
      const res = await request(t.app)
        .get(withParam(url, 'jurisdiction_id=boston'))
        .set('X-API-Key', keys.spring as string);
      expect([url, res.status]).toEqual([url, 403]);
      expect(descriptions(res)).toMatch(/bound to jurisdiction_id (&quot;|")springfield/);
    }
  });

  it('when a bound key names no jurisdiction, then each route answers for its own city', async () => {
    const as = (key: string, url: string) =>
      request(t.app).get(withParam(url, `api_key=${encodeURIComponent(key)}`));
    const services = await as(keys.spring as string, '/open311/v2/services.json');
    expect(services.status).toBe(200);
    expect(services.body.map((s: { service_code: string }) => s.service_code)).toEqual(['SPR-POTHOLE']);
    const boston = await request(t.app)
      .get('/open311/v2/services.json')
      .set('Authorization', `Bearer ${keys.boston}`);
    expect(boston.body.length).toBeGreaterThan(10);
    expect((await as(keys.spring as string, '/open311/v2/services/SPR-POTHOLE.json')).status).toBe(200);
    expect((await as(keys.boston as string, '/open311/v2/services/SPR-POTHOLE.json')).status).toBe(404);
    expect((await as(keys.springStaff as string, '/open311/discovery.json')).body.contact).toBe(
      'Springfield',
    );
    const list = await as(keys.boston as string, '/open311/v2/requests.json');
    expect(list.status).toBe(200);
    expect(list.body.map((r: { service_request_id: string }) => r.service_request_id)).toContain(
      bostonRequest,
    );
    expect((await as(keys.spring as string, '/open311/v2/requests.json')).body).toEqual([]);
    expect((await as(keys.boston as string, `/open311/v2/requests/${bostonRequest}.json`)).status).toBe(200);
    expect((await as(keys.spring as string, `/open311/v2/requests/${bostonRequest}.json`)).status).toBe(404);
    expect((await as(keys.boston as string, '/open311/v2/servicerequestupdates.json')).status).toBe(200);
    expect((await as(keys.spring as string, '/open311/v2/addresses.json?q=29 hereford')).body).toEqual([]);
    expect(
      (await as(keys.boston as string, '/open311/v2/addresses.json?q=29 hereford')).body.length,
    ).toBeGreaterThan(0);
    const csv = await as(keys.boston as string, '/open311/v2/bulk/requests.csv');
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(bostonRequest);
    expect((await as(keys.spring as string, '/open311/v2/bulk/requests.csv')).text).not.toContain(
      bostonRequest,
    );
    // Naming its own city is fine; an unbound key names any.
    expect(
      (await as(keys.spring as string, '/open311/v2/services.json?jurisdiction_id=springfield')).status,
    ).toBe(200);
    expect(
      (await as(keys.unbound as string, '/open311/v2/services.json?jurisdiction_id=springfield')).status,
    ).toBe(200);
    // An unbound key naming none is as anonymous: the documented 400 of a two-city server.
    expect((await as(keys.unbound as string, '/open311/v2/services.json')).status).toBe(400);
  });

  it('when a read carries no key, then it stays public, unchanged, and never looks a key up', async () => {
    await bind('fresh', 'client', 'boston');
    const seen: string[] = [];
    const listen = (q: { sql: string }) => seen.push(q.sql);
    t.db.knex.on('query', listen);
    try {
      for (const url of READS()) {
        const res = await request(t.app).get(withParam(url, 'jurisdiction_id=boston'));
        // A token nobody holds, and Springfield's service asked of Boston, are 404s as before.
        expect([url, res.status]).toEqual([url, /tokens|SPR-POTHOLE/.test(url) ? 404 : 200]);
      }
      expect(seen.filter((sql) => sql.includes('api_keys'))).toEqual([]);
      // A key sent with reads is looked up once, then served from the key cache.
      for (let i = 0; i < 3; i += 1)
        await request(t.app)
          .get('/open311/v2/services.json')
          .set('X-API-Key', keys.fresh as string);
      expect(seen.filter((sql) => sql.includes('api_keys'))).toHaveLength(1);
    } finally {
      t.db.knex.off('query', listen);
    }
    // An empty api_key (FixMyStreet's always_send_api_key without one) is no key.
    expect(
      (await request(t.app).get('/open311/v2/services.json?jurisdiction_id=boston&api_key=')).status,
    ).toBe(200);
  });
});

describe('a district layer the city does not have', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());
  const LAYERS = 'council_district, neighborhood, police_district, ward';

  it('when a request list, the export or a report names an unknown layer, then a 400 names the layers', async () => {
    for (const url of [
      '/open311/v2/requests.json?district_layer=wards&district=Ward%205',
      '/open311/v2/requests.xml?district_layer=wards&district=Ward%205',
      '/open311/v2/requests.geojson?district_layer=wards&district=Ward%205',
      '/open311/v2/bulk/requests.csv?district_layer=wards&district=x',
      '/open311/v2/bulk/requests.ndjson?district_layer=wards&district=x',
    ]) {
      const res = await request(t.app).get(url);
      expect([url, res.status]).toEqual([url, 400]);
      expect(res.text).toContain(`district_layer must be one of ${LAYERS}.`);
    }
    const json = await request(t.app).get('/open311/v2/requests.json?district_layer=wards&district=x');
    expectMatchesSpec('GET', '/open311/v2/requests.json', 400, json.body);

    for (const report of ['sla', 'satisfaction']) {
      const res = await request(t.app).get(`/admin/v1/reports/${report}?group_by=district:wards`).set(admin);
      expect(res.status).toBe(400);
      expect(descriptions(res)).toBe(`the LAYER of group_by=district:LAYER must be one of ${LAYERS}.`);
    }
    const dashboard = await request(t.app).get('/dashboard/api/summary?layer=wards');
    expect(dashboard.status).toBe(400);
    expect(descriptions(dashboard)).toBe(`layer must be one of ${LAYERS}.`);
  });

  it('when the layer exists, then the same calls answer 200', async () => {
    for (const url of [
      '/open311/v2/requests.json?district_layer=ward&district=Ward%205',
      '/open311/v2/bulk/requests.csv?district_layer=ward&district=Ward%205',
      '/admin/v1/reports/sla?group_by=district:ward',
    ]) {
      const res = await request(t.app).get(url).set(admin);
      expect([url, res.status]).toEqual([url, 200]);
    }
  });

  it('when the city has no district layers at all, then the 400 says so', async () => {
    await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(SPRINGFIELD).expect(201);
    const res = await request(t.app).get(
      '/open311/v2/requests.json?jurisdiction_id=springfield&district_layer=ward&district=Ward%205',
    );
    expect(res.status).toBe(400);
    expect(descriptions(res)).toBe(
      'district_layer "ward" is not known: this jurisdiction has no district layers.',
    );
  });
});

describe('the dashboard’s list of cities', () => {
  let t: TestServer;
  afterEach(() => t?.close());
  const list = async () => {
    const res = await request(t.app).get('/dashboard/api/jurisdictions');
    expect(res.status).toBe(200);
    expectMatchesSpec('GET', '/dashboard/api/jurisdictions', 200, res.body);
    return res.body;
  };

  it('when the server hosts one city, then it is the default; with two and no DEFAULT_JURISDICTION, none is', async () => {
    t = await startTestServer();
    expect(await list()).toEqual({
      default: 'boston',
      jurisdictions: [{ id: 'boston', name: 'City of Boston (demo data)' }],
    });
    await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(SPRINGFIELD).expect(201);
    expect(await list()).toEqual({
      default: null,
      jurisdictions: [
        { id: 'boston', name: 'City of Boston (demo data)' },
        { id: 'springfield', name: 'Springfield' },
      ],
    });
    // Each city's dashboard data answers when named.
    const config = await request(t.app).get('/dashboard/api/config?jurisdiction_id=springfield');
    expect(config.status).toBe(200);
    expect(config.body.jurisdiction.name).toBe('Springfield');
  });

  it('when DEFAULT_JURISDICTION names one of two, then it is the default', async () => {
    t = await startTestServer({ DEFAULT_JURISDICTION: 'boston' });
    await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(SPRINGFIELD).expect(201);
    expect((await list()).default).toBe('boston');
  });
});
