/**
 * Issue #14: a city's jurisdiction, departments and service definitions through /admin/v1, beside the
 * Boston demo on the same server.
 */
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { expectMatchesSpec } from './helpers/openapi';

let t: TestServer;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

const CITY = {
  id: 'bloomington.in.gov',
  name: 'City of Bloomington',
  time_zone: 'America/Indiana/Indianapolis',
  email: 'ureport@bloomington.in.gov',
  phone: '812-349-3400',
  website: 'https://bloomington.in.gov/ureport',
  language: 'en',
};

const GRAFFITI = {
  service_code: '4e090d24992b941e78000027',
  service_name: 'Graffiti',
  description: 'Report graffiti on public or private structures',
  type: 'realtime',
  metadata: true,
  keywords: ['graffiti', 'paint'],
  groups: ['Most Popular', 'Cleanup & Sanitation'],
  agency_code: 'PW',
  response_level: { value: 3, unit: 'business_days' },
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
    {
      variable: true,
      code: 'size',
      datatype: 'number',
      required: false,
      datatype_description: 'square feet',
      order: 2,
      description: 'How large is it?',
      values: [],
    },
  ],
  active: true,
  residents_can_reopen: true,
};

/** An admin call whose response is checked against spec/openapi.yaml. */
const api = async (method: 'get' | 'post' | 'put' | 'delete', url: string, body?: unknown) => {
  let r = request(t.app)[method](`/admin/v1${url}`).set(admin);
  if (body !== undefined) r = r.send(body as object);
  const res = await r;
  expectMatchesSpec(
    method.toUpperCase(),
    `/admin/v1${url}`,
    res.status,
    res.status === 204 ? undefined : res.body,
  );
  return res;
};
const descriptions = (res: request.Response): string =>
  (res.body as Array<{ description: string }>).map((e) => e.description).join('\n');
const base = `/jurisdictions/${CITY.id}`;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('jurisdictions', () => {
  beforeAll(async () => {
    await resetWrites(t.db);
    // resetWrites empties requests: give Boston one, so it is a city with requests.
    const client = await t.key('client', 'mobile');
    const s = (await t.ctx.catalog.services('boston')).find(
      (x) => x.active && x.type === 'realtime' && !x.isPrivate && x.attributes.every((a) => !a.required),
    );
    await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: client, service_code: s?.serviceCode, lat: 42.3504, long: -71.0867 })
      .expect(201);
  });

  it('when a city is created, then it is listed beside Boston and read back with the contract fields', async () => {
    const created = await api('post', '/jurisdictions', CITY);
    expect(created.status).toBe(201);
    // Beside Boston, with no DEFAULT_JURISDICTION: the operator is told what the second city changes.
    expect(created.body).toEqual({
      ...CITY,
      warnings: [expect.stringContaining('set DEFAULT_JURISDICTION=boston')],
    });
    const list = await api('get', '/jurisdictions');
    expect(list.body.map((j: { id: string }) => j.id)).toEqual(['bloomington.in.gov', 'boston']);
    expect((await api('get', base)).body).toEqual(CITY);
  });

  it('when the time zone is not IANA or fields are wrong, then a 400 names every problem', async () => {
    const res = await api('post', '/jurisdictions', {
      id: 'nowhere',
      name: '',
      time_zone: 'Mars/Olympus',
      email: 'not-an-address',
      colour: 'blue',
    });
    expect(res.status).toBe(400);
    const text = descriptions(res);
    expect(text).toMatch(/time_zone "Mars\/Olympus" is not an IANA time zone/);
    expect(text).toMatch(/name must not be empty/);
    expect(text).toMatch(/email "not-an-address"/);
    expect(text).toMatch(/unknown field "colour"/);
  });

  it('when the id exists already, then 409', async () => {
    expect((await api('post', '/jurisdictions', CITY)).status).toBe(409);
  });

  it('when an id differs from an existing one only in case, then 409 names the existing id, and nothing is created', async () => {
    for (const id of ['Bloomington.IN.gov', 'BOSTON']) {
      const res = await api('post', '/jurisdictions', { ...CITY, id });
      expect(res.status).toBe(409);
      expect(descriptions(res)).toContain(
        `jurisdiction "${id}" differs only in case from "${id.toLowerCase()}"`,
      );
    }
    const list = await api('get', '/jurisdictions');
    expect(list.body.map((j: { id: string }) => j.id)).toEqual(['bloomington.in.gov', 'boston']);
    // The unique index on lower(id) holds it below the API too (two admins at once).
    await expect(t.db.knex('jurisdictions').insert({ ...CITY, id: 'Boston' })).rejects.toThrow();
  });

  it('when a GeoReport call names a jurisdiction in another case, then it resolves to the one served', async () => {
    const boston = await request(t.app).get('/open311/v2/services.json?jurisdiction_id=boston');
    for (const id of ['Boston', 'BOSTON']) {
      const res = await request(t.app).get(`/open311/v2/services.json?jurisdiction_id=${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(boston.body);
    }
    const list = await request(t.app).get('/open311/v2/requests.json?jurisdiction_id=Boston');
    expect(list.status).toBe(200);
    expect(list.body.length).toBeGreaterThan(0);
    const discovery = await request(t.app).get('/open311/discovery.json?jurisdiction_id=Bloomington.IN.gov');
    expect(discovery.status).toBe(200);
    expect(discovery.body.contact).toContain('City of Bloomington');
    expect((await request(t.app).get('/open311/v2/services.json?jurisdiction_id=Bostonx')).status).toBe(404);
  });

  it('when a city is updated, then its id stays and the new fields show', async () => {
    const res = await api('put', base, {
      ...CITY,
      id: undefined,
      name: 'Bloomington, Indiana',
      language: 'es',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: CITY.id, name: 'Bloomington, Indiana', language: 'es' });
    const moved = await api('put', base, { ...CITY, id: 'elsewhere' });
    expect(moved.status).toBe(400);
    await api('put', base, CITY);
  });

  it('when several cities are served, then a GeoReport call without jurisdiction_id is a 400 listing them', async () => {
    const res = await request(t.app).get('/open311/v2/services.json');
    expect(res.status).toBe(400);
    expect(res.body[0].description).toMatch(/bloomington\.in\.gov, boston/);
    const boston = await request(t.app).get('/open311/v2/services.json?jurisdiction_id=boston');
    expect(boston.status).toBe(200);
    expect(boston.body.length).toBeGreaterThan(10);
  });

  it('when discovery names a jurisdiction, then it describes that one', async () => {
    const res = await request(t.app).get(`/open311/discovery.json?jurisdiction_id=${CITY.id}`);
    expect(res.status).toBe(200);
    expect(res.body.contact).toContain('City of Bloomington');
    const boston = await request(t.app).get('/open311/discovery.json?jurisdiction_id=boston');
    expect(boston.body.contact).toContain('Boston');
  });

  it('when a city without requests is deleted, then it is gone, and Boston (with requests) cannot be', async () => {
    expect((await api('post', '/jurisdictions', { ...CITY, id: 'scratch' })).status).toBe(201);
    const deleted = await api('delete', '/jurisdictions/scratch');
    expect(deleted.body).toEqual({});
    expect(deleted.status).toBe(204);
    expect((await api('get', '/jurisdictions/scratch')).status).toBe(404);
    const boston = await api('delete', '/jurisdictions/boston');
    expect(boston.status).toBe(409);
    expect(descriptions(boston)).toMatch(/has requests/);
  });
});

describe('DEFAULT_JURISDICTION', () => {
  it('when it names one of several cities, then calls without jurisdiction_id go there', async () => {
    const other = await startTestServer({ DEFAULT_JURISDICTION: 'boston' });
    try {
      await request(other.app).post('/admin/v1/jurisdictions').set(admin).send(CITY).expect(201);
      const res = await request(other.app).get('/open311/v2/services.json');
      expect(res.status).toBe(200);
      expect(res.body.length).toBeGreaterThan(10);
    } finally {
      await other.close();
    }
  });
});

describe('departments', () => {
  beforeAll(async () => {
    await resetWrites(t.db);
  });

  it('when departments are created, listed, read and renamed, then the contract fields come back', async () => {
    expect((await api('post', `${base}/agencies`, { code: 'PW', name: 'Public Works' })).status).toBe(201);
    const res = await api('post', `${base}/agencies`, {
      code: 'CFRD',
      name: 'Community and Family Resources',
      email: 'cfrd@bloomington.in.gov',
      phone: '812-349-3430',
    });
    expect(res.body).toEqual({
      code: 'CFRD',
      name: 'Community and Family Resources',
      email: 'cfrd@bloomington.in.gov',
      phone: '812-349-3430',
    });
    expect((await api('get', `${base}/agencies`)).body.map((a: { code: string }) => a.code)).toEqual([
      'CFRD',
      'PW',
    ]);
    const renamed = await api('put', `${base}/agencies/PW`, {
      name: 'Public Works Department',
      email: null,
      phone: null,
    });
    expect(renamed.body).toEqual({ code: 'PW', name: 'Public Works Department', email: null, phone: null });
    expect((await api('post', `${base}/agencies`, { code: 'PW', name: 'Again' })).status).toBe(409);
    expect(
      (await api('get', '/jurisdictions/boston/agencies')).body.some(
        (a: { code: string }) => a.code === 'PW',
      ),
    ).toBe(false);
  });

  it('when a department has services, then deleting it is refused with 409 and merging moves them', async () => {
    expect((await api('post', `${base}/services`, GRAFFITI)).status).toBe(201);
    const refused = await api('delete', `${base}/agencies/PW`);
    expect(refused.status).toBe(409);
    expect(descriptions(refused)).toMatch(/1 service\(s\).*merge it into another/);
    const merged = await api('post', `${base}/agencies/PW/merge`, { into: 'CFRD' });
    expect(merged.status).toBe(200);
    expect(merged.body).toEqual({
      merged: 'PW',
      into: 'CFRD',
      services: [GRAFFITI.service_code],
      requests_moved: 0,
    });
    expect((await api('get', `${base}/services/${GRAFFITI.service_code}`)).body.agency_code).toBe('CFRD');
    expect((await api('get', `${base}/agencies/PW`)).status).toBe(404);
    await api('post', `${base}/agencies`, { code: 'PW', name: 'Public Works' });
    await api('put', `${base}/services/${GRAFFITI.service_code}`, GRAFFITI);
  });

  it('when a Boston department with requests is merged, then its requests move with a history entry each', async () => {
    const client = await t.key('client', 'mobile');
    const plain = (await t.ctx.catalog.services('boston')).filter(
      (s) =>
        s.agency &&
        s.active &&
        s.type === 'realtime' &&
        !s.isPrivate &&
        s.attributes.every((a) => !a.required),
    );
    for (const s of plain.slice(0, 3))
      await request(t.app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({
          api_key: client,
          jurisdiction_id: 'boston',
          service_code: s.serviceCode,
          lat: 42.3504,
          long: -71.0867,
        })
        .expect(201);
    const from = (await t.db
      .knex('service_requests as r')
      .join('agencies as a', 'a.id', 'r.agency_id')
      .where('r.jurisdiction_id', 'boston')
      .groupBy('a.code')
      .select('a.code')
      .count({ n: '*' })
      .orderBy('n', 'desc')
      .first()) as { code: string; n: string };
    const into = (await t.db
      .knex('agencies')
      .where('jurisdiction_id', 'boston')
      .whereNot('code', from.code)
      .first('code')) as { code: string };
    const empty = await api('delete', `/jurisdictions/boston/agencies/${from.code}`);
    expect(empty.status).toBe(409);
    const res = await api('post', `/jurisdictions/boston/agencies/${from.code}/merge`, { into: into.code });
    expect(res.status).toBe(200);
    expect(res.body.requests_moved).toBe(Number(from.n));
    const history = await t.db
      .knex('request_history')
      .where({ kind: 'transfer', jurisdiction_id: 'boston' })
      .count({ n: '*' });
    expect(Number(history[0]?.n)).toBe(Number(from.n));
    const left = await t.db
      .knex('agencies')
      .where({ jurisdiction_id: 'boston', code: from.code })
      .first('id');
    expect(left).toBeUndefined();
  });

  it('when a department without services is deleted, then it is gone', async () => {
    await api('post', `${base}/agencies`, { code: 'TEMP', name: 'Temporary' });
    expect((await api('delete', `${base}/agencies/TEMP`)).status).toBe(204);
  });
});

describe('services', () => {
  const code = GRAFFITI.service_code;
  const url = `${base}/services/${code}`;
  let client: string;

  beforeAll(async () => {
    await resetWrites(t.db);
    client = await t.key('client', 'mobile');
  });

  it('when a service is read, then it is exactly the document that was written', async () => {
    const res = await api('get', url);
    expect(res.body).toEqual(GRAFFITI);
    const list = await api('get', `${base}/services`);
    expect(list.body).toEqual([GRAFFITI]);
  });

  it('when it is published over GeoReport, then the city serves it with its own code; Boston does not', async () => {
    const list = await request(t.app).get(`/open311/v2/services.json?jurisdiction_id=${CITY.id}`);
    expect(list.body).toEqual([
      {
        service_code: code,
        service_name: 'Graffiti',
        description: GRAFFITI.description,
        metadata: true,
        type: 'realtime',
        keywords: 'graffiti, paint',
        group: 'Most Popular',
        groups: ['Most Popular', 'Cleanup & Sanitation'],
      },
    ]);
    const def = await request(t.app).get(`/open311/v2/services/${code}.xml?jurisdiction_id=${CITY.id}`);
    expect(def.status).toBe(200);
    expect(def.text).toContain('<code>surface</code>');
    const boston = await request(t.app).get(`/open311/v2/services/${code}.json?jurisdiction_id=boston`);
    expect(boston.status).toBe(404);
  });

  it('when a document has problems, then one 400 names every one of them', async () => {
    const res = await api('post', `${base}/services`, {
      ...GRAFFITI,
      service_code: 'bad',
      type: 'sometimes',
      agency_code: 'NOPE',
      response_level: { value: -1, unit: 'weeks' },
      attributes: [
        { ...GRAFFITI.attributes[0], values: [] },
        { ...GRAFFITI.attributes[1], code: '1st', datatype: 'colour' },
        { ...GRAFFITI.attributes[1], values: [{ key: 'x', name: 'X' }] },
        GRAFFITI.attributes[0],
      ],
    });
    expect(res.status).toBe(400);
    const text = descriptions(res);
    expect(text).toMatch(/type must be one of realtime, batch, blackbox/);
    expect(text).toMatch(/response_level: value must be a number above 0/);
    expect(text).toMatch(/response_level: unit must be one of/);
    expect(text).toMatch(/attributes\[0\] \(surface\): a singlevaluelist needs values/);
    expect(text).toMatch(/attributes\[1\] \(1st\): code "1st" must start with a letter/);
    expect(text).toMatch(/datatype must be one of/);
    expect(text).toMatch(/attributes\[2\] \(size\): values are only for/);
    expect(text).toMatch(/attribute code "surface" appears twice/);
    expect(text).toMatch(/agency_code "NOPE" is not a department/);
  });

  it('when a service code is taken, then POST is a 409', async () => {
    expect((await api('post', `${base}/services`, GRAFFITI)).status).toBe(409);
  });

  it('when an attribute is edited through PUT, then GeoReport and validation change at once, and it is versioned', async () => {
    const post = (attrs: Record<string, string>) =>
      request(t.app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({
          api_key: client,
          jurisdiction_id: CITY.id,
          service_code: code,
          lat: 39.1653,
          long: -86.5264,
          ...attrs,
        });
    const first = await post({ 'attribute[surface]': 'wall', 'attribute[size]': '12' });
    expect(first.status).toBe(201);
    const oldId = first.body[0].service_request_id as string;
    expect((await post({ 'attribute[surface]': 'bridge' })).status).toBe(400);

    const edited = {
      ...GRAFFITI,
      service_name: 'Graffiti removal',
      attributes: [
        {
          ...GRAFFITI.attributes[0],
          values: [...GRAFFITI.attributes[0]!.values, { key: 'bridge', name: 'A bridge' }],
        },
      ],
    };
    const put = await api('put', url, edited);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(edited);
    expect((await post({ 'attribute[surface]': 'bridge' })).status).toBe(201);
    const def = await request(t.app).get(`/open311/v2/services/${code}.json?jurisdiction_id=${CITY.id}`);
    expect(def.body.attributes.map((a: { code: string }) => a.code)).toEqual(['surface']);

    // The old request keeps its answer to the attribute that no longer exists.
    const old = await request(t.app).get(
      `/open311/v2/requests/${oldId}.json?jurisdiction_id=${CITY.id}&extensions=true`,
    );
    expect(old.body[0].extended_attributes.attributes).toEqual({ surface: 'wall', size: 12 });
    expect(old.body[0].service_name).toBe('Graffiti removal');

    const versions = await api('get', `${url}/versions`);
    expect(versions.status).toBe(200);
    const numbers = versions.body.map((v: { version: number }) => v.version);
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    expect(numbers[0]).toBe(numbers.length);
    const latest = versions.body[0];
    expect(latest.actor).toBe('admin (ADMIN_API_KEY)');
    expect(latest.changes).toEqual([
      'service_name: "Graffiti" → "Graffiti removal"',
      'attribute surface: value "bridge" ("A bridge") added',
      'attribute size removed',
    ]);
    expect(latest.document).toEqual(edited);
    expect(versions.body[numbers.length - 1].changes).toEqual(['created']);
    expect(new Date(latest.changed_at).toISOString()).toBe(t.clock.now().toISOString());
  });

  it('when the same document is PUT again, then nothing changes and no version is added', async () => {
    const before = (await api('get', `${url}/versions`)).body.length;
    const current = (await api('get', url)).body;
    await api('put', url, current);
    expect((await api('get', `${url}/versions`)).body.length).toBe(before);
  });

  it('when a service with requests is deleted, then it is deactivated: off the public list, its requests keep it', async () => {
    const res = await api('delete', url);
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    const list = await request(t.app).get(`/open311/v2/services.json?jurisdiction_id=${CITY.id}`);
    expect(list.body).toEqual([]);
    const requests = await request(t.app).get(`/open311/v2/requests.json?jurisdiction_id=${CITY.id}`);
    expect(requests.body.every((r: { service_code: string }) => r.service_code === code)).toBe(true);
    expect(requests.body.length).toBe(2);
    const revived = await api('put', url, { ...res.body, deactivated_because: undefined, active: true });
    expect(revived.status).toBe(200);
    expect(
      (await request(t.app).get(`/open311/v2/services.json?jurisdiction_id=${CITY.id}`)).body,
    ).toHaveLength(1);
  });

  it('when a service without requests is deleted, then it is gone', async () => {
    await api('post', `${base}/services`, { ...GRAFFITI, service_code: 'tmp', attributes: [] });
    expect((await api('delete', `${base}/services/tmp`)).status).toBe(204);
    expect((await api('get', `${base}/services/tmp`)).status).toBe(404);
  });

  it('when a Boston service is edited by the admin API, then its first version keeps what it was', async () => {
    const bostonList = (await api('get', '/jurisdictions/boston/services')).body as Array<{
      service_code: string;
      service_name: string;
    }>;
    const s = bostonList[0]!;
    const res = await api('put', `/jurisdictions/boston/services/${encodeURIComponent(s.service_code)}`, {
      ...s,
      service_name: `${s.service_name} (renamed)`,
    });
    expect(res.status).toBe(200);
    const versions = (
      await api('get', `/jurisdictions/boston/services/${encodeURIComponent(s.service_code)}/versions`)
    ).body;
    expect(versions).toHaveLength(2);
    expect(versions[1].document.service_name).toBe(s.service_name);
    const georeport = await request(t.app).get(`/open311/v2/services.json?jurisdiction_id=boston`);
    expect(
      georeport.body.find((x: { service_code: string }) => x.service_code === s.service_code).service_name,
    ).toBe(`${s.service_name} (renamed)`);
  });
});
