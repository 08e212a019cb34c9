/**
 * Issue #15 points 2, 6, 8 and #16 points 3, 8: bad input is a 4xx with an Open311 error list, never a
 * 500 or a reset; outputs are safe (XML, CSV, HTML); the smaller items each get a test here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService } from './helpers/factories';
import { disableDuplicateDetection, HEREFORD } from './helpers/fixtures';
import { parseXml } from './helpers/xml';
import { AppError, translateDatabaseError } from '../src/core';
import { lockDataDir } from '../src/db/connect';

let t: TestServer;
let key: string;
let staff: string;
let code: string;
beforeAll(async () => {
  t = await startTestServer({
    POST_RATE_LIMIT_PER_MINUTE: '1000000',
    STAFF_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  await resetWrites(t.db);
  key = await t.key();
  staff = await t.key('staff');
  code = (await buildService(t)).serviceCode;
  await disableDuplicateDetection(t);
});
afterAll(() => t.close());

const count = async (table: string) => Number((await t.db.knex(table).count({ n: '*' }))[0]?.n);
const post = (fields: Record<string, unknown>) =>
  request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({ api_key: key, service_code: code, lat: HEREFORD.lat, long: HEREFORD.long, ...fields });

function expectOpen311Error(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.body).toEqual([{ code: status, description: expect.any(String) }]);
}

describe('no input reaches the database unchecked', () => {
  it.each([
    '/open311/v2/requests.json?agency_responsible=a%00b',
    '/open311/v2/requests.json?district_layer=ward&district=a%00b',
    '/open311/v2/requests.json?district_layer=w%01ard&district=x',
    '/open311/v2/requests.json?service_code=%EF%BF%BF',
    '/open311/v2/tokens/a%00b.json',
    '/open311/v2/requests/%FF.json',
    '/open311/v2/requests/%E0%A4%A.json',
    '/open311/v2/bulk/requests.csv?agency_responsible=a%00b',
    '/open311/v2/bulk/requests.json?district_layer=ward&district=%00',
  ])('when GET %s, then the answer is a 400 error list', async (url) => {
    expectOpen311Error(await request(t.app).get(url), 400);
  });

  it('when a staff body, an admin body or a key name holds NUL, then it is a 400 and nothing is written', async () => {
    const keys = await count('api_keys');
    const note = await request(t.app)
      .post('/staff/v1/requests/1/notes')
      .set('X-Api-Key', staff)
      .send({ text: 'a\u0000b' });
    expectOpen311Error(note, 400);
    const admin = await request(t.app)
      .post('/admin/v1/api-keys')
      .set('X-Api-Key', ADMIN_KEY)
      .send({ name: 'evil\u0000', role: 'client', channel: 'mobile' });
    expectOpen311Error(admin, 400);
    const keyName = await request(t.app)
      .post('/admin/v1/api-keys')
      .set('X-Api-Key', ADMIN_KEY)
      .send({ ['na\u0000me']: 'x', role: 'client', channel: 'mobile' });
    expectOpen311Error(keyName, 400);
    expect(await count('api_keys')).toBe(keys);
  });

  it('when a POST field holds a control character, then it is a 400 naming the field and nothing is written', async () => {
    const before = await count('service_requests');
    const res = await post({ description: 'broken\u0000light' });
    expectOpen311Error(res, 400);
    expect(res.body[0].description).toContain('description');
    const json = await request(t.app)
      .post('/open311/v2/requests.json')
      .send({ api_key: key, service_code: code, lat: 1, long: 1, attribute: { X: ['\uD800'] } });
    expectOpen311Error(json, 400);
    expect(json.body[0].description).toContain('attribute[X][0]');
    expect(await count('service_requests')).toBe(before);
  });

  it('when the bbox is the whole world or almost, then every matching request is listed', async () => {
    const id = (await post({})).body[0].service_request_id as string;
    for (const bbox of ['-180,-90,180,90', '-179,-89,179,89', '-71.1,42.3,-71.0,42.4']) {
      const res = await request(t.app).get('/open311/v2/requests.json').query({ bbox });
      expect(res.status).toBe(200);
      expect(res.body.map((r: { service_request_id: string }) => r.service_request_id)).toContain(id);
    }
    // The box is exact in degrees: Hereford St is not inside a box that ends just west of it.
    const west = await request(t.app)
      .get('/open311/v2/requests.json')
      .query({ bbox: `-72,42,${HEREFORD.long - 0.0001},43` });
    expect(west.body.map((r: { service_request_id: string }) => r.service_request_id)).not.toContain(id);
    const east = await request(t.app).get('/open311/v2/requests.json').query({ bbox: '100,-10,179.9,10' });
    expect(east.status).toBe(200);
    expect(east.body).toEqual([]);
  });

  it.each([
    ['start_date', '+275760-09-13T00:00:00Z'],
    ['end_date', '-271821-04-20T00:00:00Z'],
    ['updated_after', '9999-12-31T23:59:59-14:00'],
    ['updated_before', '0000-01-01T00:00:00Z'],
    ['start_date', '2026-11-01T00:00:00+99:00'],
    ['end_date', '2026-11-01T00:00:00-14:30'],
    ['updated_after', '2026-11-01T00:00:00+1500'],
  ])(
    'when %s is %s (beyond what the database holds, or an offset no zone has), then it is a 400',
    async (name, value) => {
      expectOpen311Error(
        await request(t.app)
          .get('/open311/v2/requests.json')
          .query({ [name]: value }),
        400,
      );
      expectOpen311Error(
        await request(t.app)
          .get('/open311/v2/bulk/requests.csv')
          .query({ [name]: value }),
        400,
      );
      const updatesName = name.startsWith('updated')
        ? name.replace('updated_after', 'start_date').replace('updated_before', 'end_date')
        : name;
      expectOpen311Error(
        await request(t.app)
          .get('/open311/v2/servicerequestupdates.json')
          .query({ [updatesName]: value }),
        400,
      );
    },
  );

  it.each([
    ['gzip', Buffer.from('this is not gzip')],
    ['gzip', zlib.gzipSync('{"description":"x"}').subarray(0, 12)],
    ['deflate', Buffer.from('nope')],
    ['br', Buffer.from('not brotli at all')],
  ])('when a %s body is corrupt, then it is a 400 and nothing is written', async (encoding, body) => {
    const before = await count('service_requests');
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .send(body);
    expectOpen311Error(res, 400);
    expect(await count('service_requests')).toBe(before);
  });

  it.each([
    ['multipart/form-data', 'a=b'],
    ['multipart/form-data; boundary=XX', '--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nb'],
    ['multipart/form-data; boundary=XX', '--XX\r\nnonsense\r\n\r\n--XX--'],
    [
      'multipart/form-data; boundary=XX',
      '--XX\r\nContent-Disposition: form-data; name=""\r\n\r\nv\r\n--XX--\r\n',
    ],
  ])(
    'when a multipart body is malformed (%s), then it is a 400 and nothing is written',
    async (type, body) => {
      const before = await count('service_requests');
      const res = await request(t.app)
        .post(`/open311/v2/requests.json?api_key=${key}`)
        .set('Content-Type', type)
        .send(body);
      expectOpen311Error(res, 400);
      expect(await count('service_requests')).toBe(before);
    },
  );

  it('when a bulk export has a bad filter, then it answers an error status before any byte, not 200 and a reset', async () => {
    const res = await request(t.app).get('/open311/v2/bulk/requests.csv').query({ bbox: '1,2,3' });
    expectOpen311Error(res, 400);
    expect(res.headers['content-disposition']).toBeUndefined();
  });

  it('when 40 identical idempotent POSTs to a batch service arrive at once, then all answer 201 with one token', async () => {
    const batch = await buildService(t, { type: 'batch' });
    const before = await count('request_tokens');
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        request(t.app)
          .post('/open311/v2/requests.json')
          .set('Idempotency-Key', 'batch-race-1')
          .type('form')
          .send({ api_key: key, service_code: batch.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((a) => a.body[0].token)).size).toBe(1);
    expect(await count('request_tokens')).toBe(before + 1);
  });

  it('when the database connection drops mid-query, then the error is a 503 with Retry-After', () => {
    for (const err of [
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      new Error('Client has encountered a connection error and is not queryable'),
    ]) {
      const e = translateDatabaseError(err);
      expect(e?.status).toBe(503);
      expect(e?.headers['Retry-After']).toBe('5');
    }
    expect(translateDatabaseError(new Error('syntax error at or near "x"'))).toBeNull();
  });

  it('when the database rolls a write back for a deadlock or a serialization failure, then a 503 asks to send it again', async () => {
    for (const code of ['40P01', '40001']) {
      const spy = jest
        .spyOn(t.ctx.catalog, 'resolveJurisdiction')
        .mockRejectedValueOnce(Object.assign(new Error('deadlock detected'), { code }));
      const res = await request(t.app).get('/open311/v2/services.xml');
      spy.mockRestore();
      expect([res.status, res.headers['retry-after']]).toEqual([503, '1']);
      expect(res.text).toContain('<errors><error><code>503</code>');
      expect(res.text).toContain('send it again');
      expect(res.text).not.toContain('deadlock detected');
    }
  });

  it('when something unexpected fails, then the 500 names the request id only', async () => {
    const spy = jest
      .spyOn(t.ctx.catalog, 'resolveJurisdiction')
      .mockRejectedValueOnce(new Error('secret detail'));
    const res = await request(t.app).get('/open311/v2/services.json').set('X-Request-Id', 'req-42');
    spy.mockRestore();
    expect(res.status).toBe(500);
    expect(res.body[0].description).toContain('req-42');
    expect(res.text).not.toContain('secret detail');
  });
});

describe('output safety', () => {
  it('when an error message would carry a control character, then the XML error body still parses', async () => {
    const res = await request(t.app).get('/open311/v2/services/%01.xml');
    expect(res.status).toBe(400);
    expect((await parseXml(res.text)).root).toBe('errors');
    // Whatever an error message echoes, the XML writer drops what XML 1.0 forbids.
    const spy = jest
      .spyOn(t.ctx.catalog, 'resolveJurisdiction')
      .mockRejectedValueOnce(new AppError(404, 'no \u0001service \u0000"x\uFFFE" here'));
    const nf = await request(t.app).get('/open311/v2/services.xml');
    spy.mockRestore();
    expect(nf.status).toBe(404);
    const parsed = await parseXml(nf.text);
    expect(parsed.root).toBe('errors');
    expect(parsed.body).toEqual([{ code: '404', description: 'no service "x" here' }]);
  });

  it('when descriptions and addresses hold markup, then they are stored as written and encoded on output', async () => {
    const description = 'Light out <scr<b>ipt>alert(1)</script> near a < b & c';
    const address = '<b>12</b> Main St & "Elm"';
    const res = await post({ description, address_string: address });
    expect(res.status).toBe(201);
    const id = res.body[0].service_request_id as string;
    const json = await request(t.app).get(`/open311/v2/requests/${id}.json`);
    expect(json.body[0].description).toBe(description);
    expect(json.body[0].address).toBe(address);
    const xml = await request(t.app).get(`/open311/v2/requests/${id}.xml`);
    expect(xml.text).not.toContain('<script>');
    expect(xml.text).toContain('&lt;scr&lt;b&gt;ipt&gt;');
    const body = (await parseXml(xml.text)).body as Array<{ description: string; address: string }>;
    expect(body[0]!.description).toBe(description);
    expect(body[0]!.address).toBe(address);
  });

  describe('CSV', () => {
    let ids: string[] = [];
    const cells = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR', 'plain, text'];
    beforeAll(async () => {
      ids = [];
      for (const description of cells) {
        const res = await post({ description });
        expect(res.status).toBe(201);
        ids.push(res.body[0].service_request_id as string);
        // Intake trims a leading tab or CR; older or imported rows may still start with one.
        await t.db
          .knex('service_requests')
          .where('id', res.body[0].service_request_id)
          .update({ description });
      }
    });
    const exportCsv = async (query: Record<string, string> = {}) => {
      const res = await request(t.app)
        .get('/open311/v2/bulk/requests.csv')
        .query({ start_date: '2026-11-01T00:00:00Z', ...query });
      expect(res.status).toBe(200);
      const rows = parse(res.text, { columns: true, bom: true }) as Array<Record<string, string>>;
      const byId = new Map(rows.map((r) => [r.service_request_id, r]));
      return { text: res.text, descriptions: ids.map((id) => byId.get(id)?.description) };
    };

    it('when a description starts with =, +, -, @, tab or CR, then the bulk CSV cell starts with an apostrophe', async () => {
      const { descriptions } = await exportCsv();
      expect(descriptions).toEqual([...cells.slice(0, 6).map((c) => `'${c}`), 'plain, text']);
    });

    it('when raw=true, then the exact text comes back', async () => {
      expect((await exportCsv({ raw: 'true' })).descriptions).toEqual(cells);
    });

    it('when bom is not asked for, then the CSV has no byte-order mark; bom=true adds one', async () => {
      const plain = await request(t.app).get('/open311/v2/bulk/requests.csv').buffer(true);
      expect(plain.text.startsWith('service_request_id,')).toBe(true);
      const withBom = await request(t.app).get('/open311/v2/bulk/requests.csv?bom=true').buffer(true);
      expect(withBom.text.startsWith('\uFEFFservice_request_id,')).toBe(true);
      expectOpen311Error(await request(t.app).get('/open311/v2/bulk/requests.csv?bom=yes'), 400);
    });
  });
});

describe('the smaller items', () => {
  it('when a required number attribute is 1e309, then it is a 400, not a stored null', async () => {
    const s = await buildService(t, {
      attributes: [{ code: 'count', datatype: 'number', required: true, description: 'How many' }],
    });
    const before = await count('service_requests');
    const res = await post({ service_code: s.serviceCode, 'attribute[count]': '1e309' });
    expectOpen311Error(res, 400);
    expect(res.body[0].description).toContain('attribute[count]');
    expect(await count('service_requests')).toBe(before);
    expect((await post({ service_code: s.serviceCode, 'attribute[count]': '1e3' })).status).toBe(201);
  });

  it('when a key is created or staff read a request, then the answer says Cache-Control: no-store', async () => {
    const created = await request(t.app)
      .post('/admin/v1/api-keys')
      .set('X-Api-Key', ADMIN_KEY)
      .send({ name: 'cache test', role: 'client', channel: 'mobile' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const id = (await post({ email: 'resident@example.org' })).body[0].service_request_id as string;
    const read = await request(t.app).get(`/staff/v1/requests/${id}`).set('X-Api-Key', staff);
    expect(read.status).toBe(200);
    expect(read.headers['cache-control']).toBe('no-store');
  });

  it('when a datetime attribute is past year 9999, then it is a 400', async () => {
    const s = await buildService(t, {
      attributes: [{ code: 'seen', datatype: 'datetime', required: true, description: 'When' }],
    });
    const res = await post({ service_code: s.serviceCode, 'attribute[seen]': '+275760-09-13T00:00:00Z' });
    expectOpen311Error(res, 400);
    expect(
      (await post({ service_code: s.serviceCode, 'attribute[seen]': '2026-11-20T08:00:00Z' })).status,
    ).toBe(201);
  });

  it('when the dashboard shows district names, then they are text: tooltips get an element, nothing writes HTML', () => {
    const js = fs.readFileSync(path.join(__dirname, '../src/dashboard/public/dashboard.js'), 'utf8');
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    const calls = [...js.matchAll(/\.(bindTooltip|bindPopup|setContent)\(([^)]*)/g)];
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) expect(c[2]!.trim()).toMatch(/^el\(/);
  });

  it('when PUBLIC_URL is unset, then discovery echoes only a well-formed Host', async () => {
    const good = await request(t.app).get('/open311/discovery.json').set('Host', 'city.example.org:8080');
    expect(JSON.stringify(good.body)).toContain('//city.example.org:8080/open311/v2');
    for (const host of ['evil.example/<script>', 'a b', 'user@evil.example', 'x"onload=1']) {
      const res = await request(t.app).get('/open311/discovery.json').set('Host', host);
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain('evil');
      expect(text).not.toContain('<script>');
      expect(text).not.toContain('onload');
      const root = await request(t.app).get('/').set('Host', host);
      expect(JSON.stringify(root.body)).not.toContain('evil');
    }
  });

  it('when a report duplicates a request of a private service, then the notice does not reveal its id', async () => {
    const hidden = await buildService(t, { keywords: ['private'] });
    expect(hidden.isPrivate).toBe(true);
    const open = await buildService(t);
    await t.db.knex('duplicate_rules').where('jurisdiction_id', 'boston').delete();
    const rule = await request(t.app)
      .put(`/admin/v1/services/${open.serviceCode}/duplicate-rule`)
      .set('X-Api-Key', ADMIN_KEY)
      .send({
        radius_metres: 50,
        window_hours: 24,
        related_service_codes: [hidden.serviceCode],
        enabled: true,
      });
    expect(rule.status).toBe(200);
    const at = { lat: 42.3601, long: -71.0589 };
    const privateId = (
      await request(t.app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({ api_key: staff, service_code: hidden.serviceCode, ...at })
    ).body[0].service_request_id as string;
    expect(privateId).toBeTruthy();
    const dup = await post({ service_code: open.serviceCode, ...at });
    expect(dup.status).toBe(201);
    expect(dup.body[0].service_notice).toMatch(/already been reported/);
    expect(dup.body[0].service_notice).not.toContain(privateId);
    await disableDuplicateDetection(t);
  });

  it('when an idempotency key is reused with a different body, then it is a 409 naming the conflict', async () => {
    const first = await post({ description: 'first' }).set('Idempotency-Key', 'conflict-1');
    expect(first.status).toBe(201);
    const again = await post({ description: 'first' }).set('Idempotency-Key', 'conflict-1');
    expect(again.body[0].service_request_id).toBe(first.body[0].service_request_id);
    const before = await count('service_requests');
    const other = await post({ description: 'second' }).set('Idempotency-Key', 'conflict-1');
    expectOpen311Error(other, 409);
    expect(other.body[0].description).toMatch(/already used for a different request/);
    expect(await count('service_requests')).toBe(before);
  });

  it('when an admin geography import fails in the database, then the error shows no SQL text', async () => {
    const res = await request(t.app)
      .post('/admin/v1/jurisdictions/boston/geography/districts:fuzz?srid=99999')
      .set('X-Api-Key', ADMIN_KEY)
      .set('Content-Type', 'application/geo+json')
      .send(
        JSON.stringify({
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: { name: 'A' },
              geometry: {
                type: 'Polygon',
                coordinates: [
                  [
                    [0, 0],
                    [1, 0],
                    [1, 1],
                    [0, 0],
                  ],
                ],
              },
            },
          ],
        }),
      );
    expect(res.status).toBe(400);
    expect(res.body[0].description).toMatch(/Unknown SRID 99999/);
    expect(res.body[0].description).not.toMatch(/insert into|select |\$1|districts"/i);
  });

  it('when the embedded lock file exists for a live process, then locking fails; a stale one is taken over; the lock is created exclusively', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-lock-'));
    const lock = path.join(dir, 'server.lock');
    try {
      fs.writeFileSync(lock, String(process.ppid));
      expect(() => lockDataDir(dir)).toThrow(/in use by another process/);
      fs.writeFileSync(lock, '999999999');
      const release = lockDataDir(dir);
      expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
      release();
      expect(fs.existsSync(lock)).toBe(false);
      // Exclusive create: the lock is opened with 'wx', so an existing file is never silently overwritten.
      const open = jest.spyOn(fs, 'writeFileSync');
      lockDataDir(dir)();
      expect(open.mock.calls.some((c) => (c[2] as { flag?: string } | undefined)?.flag === 'wx')).toBe(true);
      open.mockRestore();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bodies that are not valid UTF-8', () => {
  const raw = (type: string, body: Buffer | string) =>
    request(t.app)
      .post(`/open311/v2/requests.json?api_key=${key}`)
      .set('Content-Type', type)
      // Sent as the bytes given: superagent would otherwise serialise a Buffer as a form or JSON object.
      .serialize((b: string) => b)
      .send(body);
  let form = '';
  beforeAll(() => {
    form = `service_code=${code}&lat=${HEREFORD.lat}&long=${HEREFORD.long}`;
  });

  it.each([
    ['a percent-escape that is not UTF-8', 'description=%C3%28%FF'],
    ['a lone continuation byte escaped', 'description=ok%80'],
  ])(
    'when a form value holds %s, then it is a 400 naming the field and nothing is written',
    async (_, field) => {
      const before = await count('service_requests');
      const res = await raw('application/x-www-form-urlencoded', `${form}&${field}`);
      expectOpen311Error(res, 400);
      expect(res.body[0].description).toMatch(/description.*not valid UTF-8/);
      expect(await count('service_requests')).toBe(before);
    },
  );

  it('when a form body holds raw bytes that are not UTF-8, then it is a 400 naming the field', async () => {
    const before = await count('service_requests');
    const body = Buffer.concat([
      Buffer.from(`${form}&description=a`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('b'),
    ]);
    const res = await raw('application/x-www-form-urlencoded', body);
    expectOpen311Error(res, 400);
    expect(res.body[0].description).toMatch(/description.*not valid UTF-8/);
    const name = await raw('application/x-www-form-urlencoded', `${form}&attribute%5B%FF%5D=x`);
    expectOpen311Error(name, 400);
    expect(name.body[0].description).toMatch(/field name.*not valid UTF-8/);
    expect(await count('service_requests')).toBe(before);
  });

  it('when a JSON body holds bytes that are not UTF-8, then it is a 400 and nothing is written', async () => {
    const before = await count('service_requests');
    const body = Buffer.concat([
      Buffer.from(`{"service_code":"${code}","lat":${HEREFORD.lat},"long":${HEREFORD.long},"description":"a`),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    const res = await raw('application/json', body);
    expectOpen311Error(res, 400);
    expect(res.body[0].description).toMatch(/JSON body is not valid UTF-8/);
    expect(await count('service_requests')).toBe(before);
  });

  it('when a staff or admin body is not UTF-8, then it is a 400 too', async () => {
    const bad = Buffer.concat([Buffer.from('{"text":"a'), Buffer.from([0xff]), Buffer.from('"}')]);
    const note = await request(t.app)
      .post('/staff/v1/requests/1/notes')
      .set('X-Api-Key', staff)
      .set('Content-Type', 'application/json')
      .serialize((b: string) => b)
      .send(bad);
    expectOpen311Error(note, 400);
    expect(note.body[0].description).toMatch(/not valid UTF-8/);
    const form = await request(t.app)
      .post('/staff/v1/requests/1/notes')
      .set('X-Api-Key', staff)
      .type('form')
      .send('text=a%FF');
    expectOpen311Error(form, 400);
    expect(form.body[0].description).toMatch(/text.*not valid UTF-8/);
    const admin = await request(t.app)
      .post('/admin/v1/api-keys')
      .set('X-Api-Key', ADMIN_KEY)
      .set('Content-Type', 'application/json')
      .serialize((b: string) => b)
      .send(
        Buffer.concat([
          Buffer.from('{"name":"k'),
          Buffer.from([0xc0, 0xaf]),
          Buffer.from('","role":"client"}'),
        ]),
      );
    expectOpen311Error(admin, 400);
  });

  it('when the text holds a correctly encoded U+FFFD or other UTF-8, then it is stored as sent', async () => {
    const formRes = await raw(
      'application/x-www-form-urlencoded',
      `${form}&description=a%EF%BF%BDb+%C3%A9%E2%82%AC`,
    );
    expect(formRes.status).toBe(201);
    const rawUtf8 = await raw(
      'application/x-www-form-urlencoded',
      Buffer.from(`${form}&description=c\uFFFDd é`),
    );
    expect(rawUtf8.status).toBe(201);
    const json = await raw(
      'application/json',
      Buffer.from(
        JSON.stringify({
          service_code: code,
          lat: HEREFORD.lat,
          long: HEREFORD.long,
          description: 'e\uFFFDf',
        }),
      ),
    );
    expect(json.status).toBe(201);
    const read = async (id: string) =>
      (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0].description as string;
    expect(await read(formRes.body[0].service_request_id)).toBe('a\uFFFDb é€');
    expect(await read(rawUtf8.body[0].service_request_id)).toBe('c\uFFFDd é');
    expect(await read(json.body[0].service_request_id)).toBe('e\uFFFDf');
    // A % that starts no escape is text, as before.
    const percent = await raw('application/x-www-form-urlencoded', `${form}&description=100%+sure`);
    expect(percent.status).toBe(201);
    expect(await read(percent.body[0].service_request_id)).toBe('100% sure');
  });
});

describe('errors about what was asked for', () => {
  it('when discovery names a jurisdiction not served here, then it is a 404 like every other endpoint', async () => {
    for (const path of ['/open311/v2/discovery.json', '/open311/discovery.json']) {
      const res = await request(t.app).get(`${path}?jurisdiction_id=nope`);
      expectOpen311Error(res, 404);
      expect(res.body[0].description).toBe('jurisdiction_id "nope" is not served here.');
    }
    const xml = await request(t.app).get('/open311/v2/discovery.xml?jurisdiction_id=nope');
    expect(xml.status).toBe(404);
    expect(xml.text).toContain('<errors>');
    expect((await request(t.app).get('/open311/v2/services.json?jurisdiction_id=nope')).status).toBe(404);
    expect((await request(t.app).get('/open311/v2/discovery.json?jurisdiction_id=boston')).status).toBe(200);
    expect((await request(t.app).get('/open311/v2/discovery.json')).status).toBe(200);
  });

  it('when a 5,000-character token, id or jurisdiction is not found, then the 404 quotes at most 60 characters of it', async () => {
    const long = 'x'.repeat(5000);
    for (const url of [
      `/open311/v2/tokens/${long}.json`,
      `/open311/v2/requests/${long}.json`,
      `/open311/v2/services/${long}.json`,
      `/open311/v2/services.json?jurisdiction_id=${long}`,
      `/open311/v2/${long}.json`,
    ]) {
      const res = await request(t.app).get(url);
      expectOpen311Error(res, 404);
      expect(res.body[0].description).toMatch(/x…/);
      expect(res.body[0].description.length).toBeLessThan(200);
    }
  });
});
