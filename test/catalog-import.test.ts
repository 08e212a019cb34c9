/**
 * Issue #14: importing and exporting a whole catalog over the admin API, from the server's JSON format,
 * a CSV and live Open311 servers (real cities' responses served from 127.0.0.1), all-or-nothing.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { startFixtureServer, type FixtureServer } from './helpers/open311-fixture-server';

let t: TestServer;
let remote: FixtureServer;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

const api = (method: 'get' | 'post' | 'put', url: string, body?: unknown) => {
  let r = request(t.app)[method](`/admin/v1${url}`).set(admin);
  if (body !== undefined) r = r.send(body as object);
  return r;
};
const createCity = (id: string, timeZone = 'America/New_York') =>
  api('post', '/jurisdictions', { id, name: `City ${id}`, time_zone: timeZone }).expect(201);
const importFrom = (id: string, query: string) => api('post', `/jurisdictions/${id}/catalog?${query}`);
const exportOf = async (id: string) => (await api('get', `/jurisdictions/${id}/catalog`).expect(200)).body;
const descriptions = (res: request.Response): string =>
  (res.body as Array<{ description: string }>).map((e) => e.description).join('\n');

beforeAll(async () => {
  // The fixture servers listen on 127.0.0.1, which the admin API refuses by default (see below).
  t = await startTestServer({ OUTBOUND_ALLOW_PRIVATE: 'true' });
  remote = await startFixtureServer();
});
afterAll(async () => {
  await remote.close();
  await t.close();
});

describe('import from a live Open311 server', () => {
  it('when DC (XML) is imported, then a dry run writes nothing and the import keeps its codes and definition', async () => {
    await createCity('dc.gov');
    const url = encodeURIComponent(`${remote.url}/dc`);
    const dry = await importFrom('dc.gov', `from_open311=${url}&dry_run=true`);
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({
      agencies: { added: [], changed: [] },
      services: { added: ['S0301'], changed: [], deactivated: [], unchanged: 0 },
      made_public: [],
      warnings: [],
      applied: false,
    });
    expect((await exportOf('dc.gov')).services).toEqual([]);

    const res = await importFrom('dc.gov', `from_open311=${url}`);
    expect(res.body.applied).toBe(true);
    const def = await request(t.app).get('/open311/v2/services/S0301.json?jurisdiction_id=dc.gov');
    expect(def.status).toBe(200);
    expect(def.body.attributes.map((a: { order: number }) => a.order)).toEqual([1, 2, 3, 4, 8, 9]);
    const info = def.body.attributes.find((a: { code: string }) => a.code === 'DSITR001');
    expect(info).toMatchObject({ variable: false, datatype: 'text', values: [] });
    const list = await request(t.app).get('/open311/v2/services.xml?jurisdiction_id=dc.gov');
    expect(list.text).toContain('<group>Toa - Street &amp; Bridge Maintenance</group>');
    // The JSON endpoint was tried first, then XML.
    expect(remote.hits).toContain('/dc/services.json');
    expect(remote.hits).toContain('/dc/services/S0301.xml');
  });

  it('when the same server is imported again, then nothing changes', async () => {
    const res = await importFrom('dc.gov', `from_open311=${encodeURIComponent(`${remote.url}/dc`)}`);
    expect(res.body.services).toEqual({ added: [], changed: [], deactivated: [], unchanged: 1 });
  });

  it('when definitions cannot be read, then nothing is imported and the 502 names them', async () => {
    const res = await importFrom('dc.gov', `from_open311=${encodeURIComponent(`${remote.url}/dcfull`)}`);
    expect(res.status).toBe(502);
    expect(descriptions(res)).toMatch(/service definition of 85 service\(s\): CSRREPIS \(HTTP 404\)/);
    expect((await exportOf('dc.gov')).services.map((s: { service_code: string }) => s.service_code)).toEqual([
      'S0301',
    ]);

    await createCity('bloomington.in.gov', 'America/Indiana/Indianapolis');
    const json = await importFrom(
      'bloomington.in.gov',
      `from_open311=${encodeURIComponent(`${remote.url}/bloomington`)}`,
    );
    expect(json.status).toBe(502);
    expect(descriptions(json)).toMatch(/of 11 service\(s\): 4e090d24992b941e78000027 \(HTTP 404\)/);
  });

  it('when San Francisco and Gießen (quirky XML) are imported, then every service arrives with its code', async () => {
    await createCity('sf', 'America/Los_Angeles');
    await createCity('giessen', 'Europe/Berlin');
    const sf = await importFrom('sf', `from_open311=${encodeURIComponent(`${remote.url}/sf/services.xml`)}`);
    expect(sf.status).toBe(200);
    expect(sf.body.services.added).toHaveLength(38);
    const gi = await importFrom(
      'giessen',
      `from_open311=${encodeURIComponent(`${remote.url}/giessen`)}&format=xml`,
    );
    expect(gi.body.services.added).toEqual(['015', '010', '013', '012', '011', '016', '017', '014']);
    const list = await request(t.app).get('/open311/v2/services.json?jurisdiction_id=giessen');
    const sign = list.body.find((s: { service_code: string }) => s.service_code === '012');
    expect(sign).toMatchObject({
      service_name: 'Verkehrsschild beschädigt',
      keywords: 'graffiti, paintings',
    });
  });

  it('when this server itself (JSON) is the source, then a copy of Boston serves the same services', async () => {
    const server: Server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await createCity('boston-copy');
      const url = encodeURIComponent(`http://127.0.0.1:${port}/open311/v2`);
      const res = await importFrom('boston-copy', `from_open311=${url}&remote_jurisdiction_id=boston`);
      expect(res.status).toBe(200);
      const original = await request(t.app).get('/open311/v2/services.json?jurisdiction_id=boston');
      const copy = await request(t.app).get('/open311/v2/services.json?jurisdiction_id=boston-copy');
      expect(copy.body).toEqual(original.body);
      const withAttributes = (original.body as Array<{ service_code: string; metadata: boolean }>).find(
        (s) => s.metadata,
      );
      const path = `/open311/v2/services/${withAttributes?.service_code}.json`;
      const a = await request(t.app).get(`${path}?jurisdiction_id=boston`);
      const b = await request(t.app).get(`${path}?jurisdiction_id=boston-copy`);
      expect(b.body).toEqual(a.body);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the server never fetches its own network for a city administrator', () => {
  it("when OUTBOUND_ALLOW_PRIVATE is not set, then a from_open311 URL on loopback or cloud metadata is a 400 (the caller's input, as for a webhook) and nothing is fetched", async () => {
    const strict = await startTestServer();
    try {
      const hitsBefore = remote.hits.length;
      for (const target of [
        `${remote.url}/dc`,
        'http://169.254.169.254/latest',
        remote.url.replace('127.0.0.1', 'localhost'),
      ]) {
        const res = await request(strict.app)
          .post(`/admin/v1/jurisdictions/boston/catalog?from_open311=${encodeURIComponent(target)}`)
          .set(admin);
        expect(res.status).toBe(400);
        expect(descriptions(res)).toMatch(/^from_open311 is refused: .* is not a public address/);
      }
      expect(remote.hits.length).toBe(hitsBefore);
    } finally {
      await strict.close();
    }
  });
});

describe('the JSON catalog format', () => {
  it('when Boston is exported and imported into a new city, then that city exports the same catalog', async () => {
    const boston = await exportOf('boston');
    expect(boston.services.length).toBeGreaterThan(50);
    await createCity('boston-json');
    const res = await api('post', '/jurisdictions/boston-json/catalog', boston);
    expect(res.status).toBe(200);
    expect(await exportOf('boston-json')).toEqual(boston);
  });

  it('when an export is re-imported, then nothing changes and no version is written', async () => {
    const before = await t.db.knex('service_versions').count({ n: '*' });
    const boston = await exportOf('boston');
    const res = await api('post', '/jurisdictions/boston/catalog', boston);
    expect(res.body.services).toMatchObject({ added: [], changed: [], deactivated: [] });
    expect(res.body.agencies).toEqual({ added: [], changed: [] });
    expect(await t.db.knex('service_versions').count({ n: '*' })).toEqual(before);
    expect(await exportOf('boston')).toEqual(boston);
  });

  it('when a document has problems, then a 400 names each one and nothing is written', async () => {
    const good = await exportOf('boston-json');
    const bad = {
      agencies: [...good.agencies, good.agencies[0]],
      services: [
        { ...good.services[0], service_name: 'Renamed' },
        good.services[1],
        good.services[1],
        { ...good.services[2], attributes: [{ code: 'kind', datatype: 'multivaluelist', values: [] }] },
      ],
    };
    const res = await api('post', '/jurisdictions/boston-json/catalog', bad);
    expect(res.status).toBe(400);
    const text = descriptions(res);
    expect(text).toMatch(/agencies\[\d+\]: code ".*" appears twice/);
    expect(text).toMatch(/services\[2\] \(.*\): service_code ".*" appears twice/);
    expect(text).toMatch(/attributes\[0\] \(kind\): a multivaluelist needs values/);
    expect((await exportOf('boston-json')).services[0].service_name).toBe(good.services[0].service_name);
  });

  it('when services are left out, then they are deactivated, not deleted', async () => {
    const good = await exportOf('boston-json');
    const res = await api('post', '/jurisdictions/boston-json/catalog', {
      ...good,
      services: good.services.slice(1),
    });
    expect(res.body.services.deactivated).toEqual([good.services[0].service_code]);
    const after = await exportOf('boston-json');
    expect(after.services[0]).toEqual({ ...good.services[0], active: false });
  });
});

describe('CSV import', () => {
  const csv = [
    'Code,Name,Group,Department,Response Level,Keywords,Residents can reopen',
    'S0301,Pothole,Streets;Roads,Public Works,3 business days,pothole; road,',
    'SL01,Streetlight out,Streets,Public Works,48 hours,light,yes',
    'TR01,Missed trash,Sanitation,DPW_SAN,,,false',
  ].join('\n');

  it('when a spreadsheet is imported, then services, departments and response levels come from it and definitions stay', async () => {
    await api('post', '/jurisdictions/dc.gov/agencies', { code: 'DPW_SAN', name: 'Sanitation' }).expect(201);
    const dry = await request(t.app)
      .post('/admin/v1/jurisdictions/dc.gov/catalog?dry_run=true')
      .set(admin)
      .type('text/csv')
      .send(csv);
    expect(dry.status).toBe(200);
    expect(dry.body.agencies.added).toEqual(['PUBLIC_WORKS']);
    expect(dry.body.services.added).toEqual(['SL01', 'TR01']);
    expect(dry.body.services.changed[0].service_code).toBe('S0301');
    const res = await request(t.app)
      .post('/admin/v1/jurisdictions/dc.gov/catalog')
      .set(admin)
      .type('text/csv')
      .send(csv);
    expect(res.body.applied).toBe(true);
    const doc = await exportOf('dc.gov');
    const pothole = doc.services.find((s: { service_code: string }) => s.service_code === 'S0301');
    expect(pothole).toMatchObject({
      groups: ['Streets', 'Roads'],
      agency_code: 'PUBLIC_WORKS',
      response_level: { value: 3, unit: 'business_days' },
      keywords: ['pothole', 'road'],
      residents_can_reopen: true,
    });
    expect(pothole.attributes).toHaveLength(6);
    expect(doc.services.find((s: { service_code: string }) => s.service_code === 'TR01')).toMatchObject({
      agency_code: 'DPW_SAN',
      response_level: null,
      residents_can_reopen: false,
    });
  });

  it('when a CSV row is wrong, then a 400 names its line and nothing changes', async () => {
    const before = await exportOf('dc.gov');
    const res = await request(t.app)
      .post('/admin/v1/jurisdictions/dc.gov/catalog')
      .set(admin)
      .type('text/csv')
      .send('code,name,response_level,residents_can_reopen\nX1,Thing,soon,\nX2,,1 hours,maybe\n');
    expect(res.status).toBe(400);
    expect(descriptions(res)).toMatch(/line 2 \(X1\): response_level "soon"/);
    expect(descriptions(res)).toMatch(/line 3 \(X2\): residents_can_reopen "maybe" must be true or false/);
    expect(await exportOf('dc.gov')).toEqual(before);
    const noCode = await request(t.app)
      .post('/admin/v1/jurisdictions/dc.gov/catalog')
      .set(admin)
      .type('text/csv')
      .send('name\nx\n');
    expect(descriptions(noCode)).toMatch(/needs a service_code/);
  });
});

describe('property: any valid catalog imports and exports unchanged', () => {
  const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 &'().,-]{0,20}[A-Za-z0-9]$/);
  const code = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,11}$/);
  const values = fc.uniqueArray(fc.record({ key: code, name: word }), {
    minLength: 1,
    maxLength: 4,
    selector: (v) => v.key,
  });
  const attribute = fc
    .record({
      variable: fc.boolean(),
      code,
      datatype: fc.constantFrom('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'),
      required: fc.boolean(),
      datatype_description: fc.option(word, { nil: null }),
      description: word,
      values,
    })
    .map((a) => ({ ...a, values: a.datatype.endsWith('valuelist') ? a.values : [] }));
  const catalog = fc
    .record({
      agencies: fc.uniqueArray(
        fc.record({
          code,
          name: word,
          email: fc.constant(null),
          phone: fc.option(fc.constant('311'), { nil: null }),
        }),
        { minLength: 1, maxLength: 3, selector: (a) => a.code },
      ),
      services: fc.uniqueArray(
        fc.record({
          service_code: code,
          service_name: word,
          description: fc.oneof(fc.constant(''), word),
          type: fc.constantFrom('realtime', 'batch', 'blackbox'),
          keywords: fc.array(word, { maxLength: 3 }),
          groups: fc.array(word, { maxLength: 2 }),
          useAgency: fc.boolean(),
          response_level: fc.option(
            fc.record({
              value: fc.integer({ min: 1, max: 500 }),
              unit: fc.constantFrom('hours', 'business_hours', 'business_days', 'calendar_days'),
            }),
            { nil: null },
          ),
          attributes: fc.uniqueArray(attribute, { maxLength: 4, selector: (a) => a.code }),
          active: fc.boolean(),
          residents_can_reopen: fc.boolean(),
        }),
        { maxLength: 6, selector: (s) => s.service_code },
      ),
    })
    .map(({ agencies, services }) => ({
      agencies: [...agencies].sort((a, b) => (a.code < b.code ? -1 : 1)),
      services: services
        .map(({ useAgency, ...s }) => ({
          ...s,
          metadata: s.attributes.length > 0,
          agency_code: useAgency ? (agencies[0]?.code ?? null) : null,
          attributes: s.attributes.map((a, i) => ({ ...a, order: i + 1 })),
        }))
        .sort((a, b) => (a.service_code < b.service_code ? -1 : 1)),
    }));
  const sorted = (doc: { agencies: Array<{ code: string }>; services: Array<{ service_code: string }> }) => ({
    agencies: [...doc.agencies].sort((a, b) => (a.code < b.code ? -1 : 1)),
    services: [...doc.services].sort((a, b) => (a.service_code < b.service_code ? -1 : 1)),
  });

  it('when a generated catalog is imported into a new city, then its export is the same document', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(catalog, async (doc) => {
        const id = `prop-${++n}`;
        await createCity(id);
        const res = await api('post', `/jurisdictions/${id}/catalog`, doc);
        expect(res.status).toBe(200);
        expect(sorted(await exportOf(id))).toEqual(doc);
        const again = await api('post', `/jurisdictions/${id}/catalog`, await exportOf(id));
        expect(again.body.services).toMatchObject({ added: [], changed: [], deactivated: [] });
      }),
      { numRuns: 25 },
    );
  });
});

/** What anyone can read of a city's requests: the GeoReport list and the bulk CSV. */
const publicTextOf = async (city: string) => {
  const list = await request(t.app).get(`/open311/v2/requests.json?jurisdiction_id=${city}`);
  const bulk = await request(t.app).get(`/open311/v2/bulk/requests.csv?jurisdiction_id=${city}`);
  return JSON.stringify(list.body) + bulk.text;
};
/** A resident's report in Baltimore (the cities of these tests), through GeoReport. */
const report = async (
  city: string,
  serviceCode: string,
  description: string,
  lat = 39.3002,
  long = -76.6301,
) =>
  request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({
      api_key: await t.key('client', 'mobile'),
      jurisdiction_id: city,
      service_code: serviceCode,
      lat,
      long,
      description,
    });

describe('a re-import never makes a private service public unasked (its requests would be published)', () => {
  const CITY = 'hush';
  const VACANT = 'HCD-Vacant Building';
  const SECRET = 'squatters at 1234 secret st, call Maria 410-555-7777';
  const spreadsheet = [
    'code,name,department,keywords',
    `${VACANT},Vacant building,Housing,`,
    'TRM-Snow/Icy Conditions,Snow or ice,Transportation,snow;ice',
  ].join('\n');
  const csvImport = (query: string, body: string) =>
    request(t.app)
      .post(`/admin/v1/jurisdictions/${CITY}/catalog${query}`)
      .set(admin)
      .type('text/csv')
      .send(body);
  const publicText = () => publicTextOf(CITY);

  beforeAll(async () => {
    await createCity(CITY, 'America/New_York');
    await csvImport('', spreadsheet).expect(200);
    // Made private through the admin API (GET the document, add the keyword, PUT it back), as a city does.
    const url = `/jurisdictions/${CITY}/services/${encodeURIComponent(VACANT)}`;
    const doc = (await api('get', url).expect(200)).body;
    await api('put', url, { ...doc, keywords: [...doc.keywords, 'private'] }).expect(200);
    const posted = await report(CITY, VACANT, SECRET);
    expect(posted.status).toBe(201);
    expect(await publicText()).not.toContain('squatters');
  });

  it('when the spreadsheet (keywords column without "private") is re-imported, then a 400 names the service and its requests, and nothing changes', async () => {
    const before = await exportOf(CITY);
    const res = await csvImport('', spreadsheet);
    expect(res.status).toBe(400);
    const text = descriptions(res);
    expect(text).toContain(`service "${VACANT}" is private`);
    expect(text).toContain('its 1 request(s)');
    expect(text).toContain('publish_private=true');
    expect(await exportOf(CITY)).toEqual(before);
    expect(await publicText()).not.toContain('squatters');
  });

  it('when it is a dry run, then it answers 200 and lists the service under made_public and warnings', async () => {
    const res = await csvImport('?dry_run=true', spreadsheet);
    expect(res.status).toBe(200);
    expect(res.body.applied).toBe(false);
    expect(res.body.made_public).toEqual([{ service_code: VACANT, requests: 1 }]);
    expect(res.body.warnings.join('\n')).toMatch(/HCD-Vacant Building" is private .* its 1 request\(s\)/);
    expect(res.body.services.changed).toEqual([
      { service_code: VACANT, changes: ['keywords: ["private"] → []'] },
    ]);
  });

  it('when the export format or a services.json drops the keyword, then the import is refused too', async () => {
    const doc = await exportOf(CITY);
    const dropped = {
      ...doc,
      services: doc.services.map((s: { keywords: string[] }) => ({
        ...s,
        keywords: s.keywords.filter((k) => k !== 'private'),
      })),
    };
    const json = await api('post', `/jurisdictions/${CITY}/catalog`, dropped);
    expect(json.status).toBe(400);
    expect(descriptions(json)).toContain(`service "${VACANT}" is private`);
    const list = await api('post', `/jurisdictions/${CITY}/catalog`, [
      { service_code: VACANT, service_name: 'Vacant building', keywords: '' },
      { service_code: 'TRM-Snow/Icy Conditions', service_name: 'Snow or ice', keywords: 'snow, ice' },
    ]);
    expect(list.status).toBe(400);
    expect(descriptions(list)).toContain(`service "${VACANT}" is private`);
    expect(await publicText()).not.toContain('squatters');
  });

  it('when the spreadsheet has no keywords column, then the keywords stay and the service stays private', async () => {
    const noKeywords = spreadsheet
      .split('\n')
      .map((line) => line.split(',').slice(0, 3).join(','))
      .join('\n');
    const res = await csvImport('', noKeywords);
    expect(res.status).toBe(200);
    expect(res.body.made_public).toEqual([]);
    const vacant = (await exportOf(CITY)).services.find(
      (s: { service_code: string }) => s.service_code === VACANT,
    );
    expect(vacant.keywords).toEqual(['private']);
    expect(await publicText()).not.toContain('squatters');
  });

  it('when the caller confirms with publish_private=true, then the import is applied and the requests are public', async () => {
    const bad = await csvImport('?publish_private=maybe', spreadsheet);
    expect(bad.status).toBe(400);
    expect(descriptions(bad)).toMatch(/publish_private must be true or false/);
    const res = await csvImport('?publish_private=true', spreadsheet);
    expect(res.status).toBe(200);
    expect(res.body.applied).toBe(true);
    expect(res.body.made_public).toEqual([{ service_code: VACANT, requests: 1 }]);
    expect(await publicText()).toContain('squatters');
  });
});

describe("an admin PUT never makes a private service public unasked (the import's rule, the same check)", () => {
  const CITY = 'hush-put';
  const VACANT = 'HCD-Vacant Building';
  const EMPTY = 'HCD-Empty Lot';
  const SECRET = 'squatters at 99 hidden ln, call Ana 410-555-0199';
  const url = (code: string, query = '') =>
    `/jurisdictions/${CITY}/services/${encodeURIComponent(code)}${query}`;
  const docOf = async (code: string) => (await api('get', url(code)).expect(200)).body;
  const withKeywords = async (code: string, keywords: string[]) => ({ ...(await docOf(code)), keywords });
  const publicText = () => publicTextOf(CITY);

  beforeAll(async () => {
    await createCity(CITY);
    await request(t.app)
      .post(`/admin/v1/jurisdictions/${CITY}/catalog`)
      .set(admin)
      .type('text/csv')
      .send(
        [
          'code,name,department,keywords',
          `${VACANT},Vacant building,Housing,vacant`,
          `${EMPTY},Empty lot,Housing,private`,
          'Other,Other,Housing,',
        ].join('\n'),
      )
      .expect(200);
    const posted = await report(CITY, VACANT, SECRET);
    expect(posted.status).toBe(201);
    expect(await publicText()).toContain('squatters');
  });

  it('when "private" is added to a service with requests, then it is saved without a flag and its requests are hidden', async () => {
    const res = await api('put', url(VACANT), await withKeywords(VACANT, ['vacant', 'private']));
    expect(res.status).toBe(200);
    expect(res.body.keywords).toEqual(['vacant', 'private']);
    expect(await publicText()).not.toContain('squatters');
  });

  it('when "private" is removed from a service with requests, then a 400 names the service and its requests, and nothing is written', async () => {
    const before = await docOf(VACANT);
    const versions = (await api('get', url(VACANT, '/versions')).expect(200)).body;
    for (const query of ['', '?move_open_requests=true', '?publish_private=false']) {
      const res = await api('put', url(VACANT, query), { ...before, keywords: ['vacant'] });
      expect(res.status).toBe(400);
      const text = descriptions(res);
      expect(text).toContain(
        `Refused, nothing was saved: service "${VACANT}" is private (keyword "private") and this change makes it public: its 1 request(s)`,
      );
      expect(text).toContain('publish_private=true');
    }
    expect(await docOf(VACANT)).toEqual(before);
    expect((await api('get', url(VACANT, '/versions')).expect(200)).body).toEqual(versions);
    expect(await publicText()).not.toContain('squatters');
    const bad = await api('put', url(VACANT, '?publish_private=maybe'), { ...before, keywords: ['vacant'] });
    expect(bad.status).toBe(400);
    expect(descriptions(bad)).toMatch(/publish_private must be true or false/);
  });

  it('when a private service has no requests, then "private" is removed freely (nothing to publish)', async () => {
    const res = await api('put', url(EMPTY), await withKeywords(EMPTY, []));
    expect(res.status).toBe(200);
    expect(res.body.keywords).toEqual([]);
  });

  it('when the caller confirms with ?publish_private=true, then the change is saved and the requests are public', async () => {
    const res = await api(
      'put',
      url(VACANT, '?publish_private=true'),
      await withKeywords(VACANT, ['vacant']),
    );
    expect(res.status).toBe(200);
    expect(res.body.keywords).toEqual(['vacant']);
    expect(await publicText()).toContain('squatters');
  });
});

describe('service codes with "/" (Baltimore keeps TRM-Snow/Icy Conditions)', () => {
  const CITY = 'hush';
  const CODE = 'TRM-Snow/Icy Conditions';
  const inPath = encodeURIComponent(CODE); // TRM-Snow%2FIcy%20Conditions

  it('when a client asks for its definition with %2F, then JSON and XML answer it', async () => {
    const json = await request(t.app).get(`/open311/v2/services/${inPath}.json?jurisdiction_id=${CITY}`);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ service_code: CODE, attributes: [] });
    const xml = await request(t.app).get(`/open311/v2/services/${inPath}.xml?jurisdiction_id=${CITY}`);
    expect(xml.status).toBe(200);
    expect(xml.text).toContain(`<service_code>${CODE}</service_code>`);
    const list = await request(t.app).get(`/open311/v2/services.xml?jurisdiction_id=${CITY}`);
    expect(list.text).toContain(`<service_code>${CODE}</service_code>`);
  });

  it('when an administrator reads and writes it with %2F, then the service is found and changed', async () => {
    const url = `/jurisdictions/${CITY}/services/${inPath}`;
    const doc = (await api('get', url).expect(200)).body;
    expect(doc.service_code).toBe(CODE);
    const put = await api('put', url, { ...doc, service_name: 'Snow or ice on the street' });
    expect(put.status).toBe(200);
    expect(put.body.service_name).toBe('Snow or ice on the street');
    const versions = await api('get', `${url}/versions`).expect(200);
    expect(versions.body[0].changes).toEqual(['service_name: "Snow or ice" → "Snow or ice on the street"']);
  });

  it('when a resident reports with it, then the request is accepted and listed by its code', async () => {
    const posted = await report(CITY, CODE, 'ice on the sidewalk', 39.3, -76.61);
    expect(posted.status).toBe(201);
    const id = posted.body[0].service_request_id as string;
    const read = await request(t.app).get(`/open311/v2/requests/${id}.json?jurisdiction_id=${CITY}`);
    expect(read.body[0]).toMatchObject({ service_code: CODE });
    const listed = await request(t.app).get(
      `/open311/v2/requests.json?jurisdiction_id=${CITY}&service_code=${inPath}`,
    );
    expect(listed.body.map((r: { service_request_id: string }) => r.service_request_id)).toContain(id);
  });

  it('when a CSV code breaks a rule, then the message cites the CSV line and says which rule', async () => {
    const long = `X${'y'.repeat(100)}`;
    const res = await request(t.app)
      .post(`/admin/v1/jurisdictions/${CITY}/catalog?dry_run=true`)
      .set(admin)
      .type('text/csv')
      .send(`code,name\n\nOK/1,Fine\n"A\tB",Tab\n${long},Long\n"M1","two\nlines"\nM1,again\n..,Dots\n`);
    expect(res.status).toBe(400);
    const text = descriptions(res);
    expect(text).toMatch(/^line 4 \(A\tB\): service_code "A\\tB" must not contain control characters/m);
    expect(text).toMatch(/^line 5 \(Xyyy+\): service_code "Xy+…" is 101 characters long; at most 100\./m);
    expect(text).toMatch(/^line 8 \(M1\): service_code "M1" appears twice/m);
    expect(text).toMatch(/^line 9 \(\.\.\): service_code "\.\." cannot be used: a URL cannot name it/m);
    expect(text).not.toMatch(/services\[/);
    expect(text).not.toMatch(/OK\/1/);
  });
});

describe('GeoReport services files (what every Open311 server publishes)', () => {
  const fixture = (name: string) =>
    fs.readFileSync(path.join(__dirname, 'fixtures/real-cities', name), 'utf8');

  it('when Bloomington uReport services.json (numeric codes) is posted, then every service arrives with its code, group and no attributes', async () => {
    await createCity('ureport', 'America/Indiana/Indianapolis');
    const list = JSON.parse(fixture('bloomington-ureport-services.json')) as Array<{
      service_code: number;
      metadata: boolean;
    }>;
    const dry = await api('post', '/jurisdictions/ureport/catalog?dry_run=true', list);
    expect(dry.status).toBe(200);
    expect(dry.body.services.added).toHaveLength(53);
    expect(dry.body.services.added).toContain('37');
    // Graffiti (37) has metadata=true: a file carries no definitions, and the plan says so.
    expect(dry.body.warnings.join('\n')).toMatch(/metadata=true, .* no service definitions.*37/);
    const res = await api('post', '/jurisdictions/ureport/catalog', list);
    expect(res.status).toBe(200);
    const graffiti = (await exportOf('ureport')).services.find(
      (s: { service_code: string }) => s.service_code === '37',
    );
    expect(graffiti).toMatchObject({
      service_name: 'Graffiti',
      groups: ['Cleanup & Sanitation'],
      keywords: [],
      attributes: [],
      agency_code: null,
    });
    const again = await api('post', '/jurisdictions/ureport/catalog', list);
    expect(again.body.services).toMatchObject({ added: [], changed: [], deactivated: [], unchanged: 53 });
  });

  it('when a services.json is laid over a stored catalog, then departments, response levels and definitions stay', async () => {
    const path37 = '/jurisdictions/ureport/services/37';
    await api('post', '/jurisdictions/ureport/agencies', { code: 'CLEAN', name: 'Cleanup' }).expect(201);
    const doc = (await api('get', path37).expect(200)).body;
    const edited = {
      ...doc,
      agency_code: 'CLEAN',
      response_level: { value: 2, unit: 'business_days' },
      attributes: [{ code: 'where', datatype: 'string', description: 'Where is it?' }],
    };
    await api('put', path37, edited).expect(200);
    const list = JSON.parse(fixture('bloomington-ureport-services.json')) as Array<{
      service_code: number;
      keywords: string;
    }>;
    const res = await api(
      'post',
      '/jurisdictions/ureport/catalog',
      list.map((s) => (s.service_code === 37 ? { ...s, keywords: 'graffiti, paint' } : s)),
    );
    expect(res.body.services.changed).toEqual([
      { service_code: '37', changes: ['keywords: [] → ["graffiti","paint"]'] },
    ]);
    expect((await api('get', path37).expect(200)).body).toMatchObject({
      agency_code: 'CLEAN',
      response_level: { value: 2, unit: 'business_days' },
      attributes: [{ code: 'where' }],
      keywords: ['graffiti', 'paint'],
    });
  });

  it('when San Francisco services.xml is posted as XML, then its 38 services arrive', async () => {
    await createCity('sf-file', 'America/Los_Angeles');
    const res = await request(t.app)
      .post('/admin/v1/jurisdictions/sf-file/catalog')
      .set(admin)
      .type('application/xml')
      .send(fixture('sf-services.xml'));
    expect(res.status).toBe(200);
    expect(res.body.services.added).toHaveLength(38);
    const def = await request(t.app).get('/open311/v2/services/001.json?jurisdiction_id=sf-file');
    expect(def.body).toMatchObject({ service_code: '001' });
    const dc = await request(t.app)
      .post('/admin/v1/jurisdictions/sf-file/catalog?dry_run=true')
      .set(admin)
      .type('text/xml')
      .send(fixture('dc-services.xml'));
    expect(dc.status).toBe(200);
    expect(dc.body.services.added).toHaveLength(86);
    expect(dc.body.services.deactivated).toHaveLength(38);
  });

  it('when a body is neither shape, then the 400 says which shapes are accepted', async () => {
    const numbers = await api('post', '/jurisdictions/sf-file/catalog', [1, 2]);
    expect(numbers.status).toBe(400);
    expect(descriptions(numbers)).toMatch(
      /services\[0\] must be a JSON object: .* a JSON object \{"agencies": \[\.\.\.\], "services": \[\.\.\.\]\} \(the export format\), a JSON array of GeoReport services/,
    );
    const object = await api('post', '/jurisdictions/sf-file/catalog', { service: [] });
    expect(descriptions(object)).toMatch(
      /services must be an array \(a catalog is a JSON object .* or a CSV/,
    );
    const empty = await api('post', '/jurisdictions/sf-file/catalog', []);
    expect(empty.status).toBe(400);
    expect(descriptions(empty)).toMatch(/lists no services/);
    const xml = await request(t.app)
      .post('/admin/v1/jurisdictions/sf-file/catalog')
      .set(admin)
      .type('application/xml')
      .send('<service_requests><request/></service_requests>');
    expect(xml.status).toBe(400);
    expect(descriptions(xml)).toMatch(/Not a GeoReport services file \(no <services> element\)/);
    const other = await request(t.app)
      .post('/admin/v1/jurisdictions/sf-file/catalog')
      .set(admin)
      .type('text/plain')
      .send('hello');
    expect(other.status).toBe(415);
    expect(descriptions(other)).toMatch(/GeoReport services array/);
  });
});
