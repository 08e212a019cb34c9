/**
 * Issue #16 "Real clients first": what unmodified third-party clients (FixMyStreet, browser pages, map
 * clients) do against the server, through HTTP.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService } from './helpers/factories';
import { HEREFORD, disableDuplicateDetection } from './helpers/fixtures';
import { tick } from '../src/worker';

let t: TestServer;
let client: string;
let staff: string;
let code: string;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

beforeAll(async () => {
  t = await startTestServer();
  const s = await buildService(t, { sla: { value: 48, unit: 'hours' } });
  code = s.serviceCode;
});
beforeEach(async () => {
  await resetWrites(t.db);
  await t.db.knex('surveys').delete();
  await t.db.knex('duplicate_rules').delete();
  t.clock.set('2026-11-23T15:00:00Z');
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
});
afterAll(() => t.close());

async function report(offsetMetres = 0, extra: Record<string, string> = {}): Promise<string> {
  const res = await request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({
      api_key: client,
      service_code: code,
      lat: HEREFORD.lat + offsetMetres / 111_320,
      long: HEREFORD.long,
      ...extra,
    });
  expect(res.status).toBe(201);
  t.clock.advance(60_000);
  return res.body[0].service_request_id as string;
}
const staffPost = (id: string, p: string, body: object) =>
  request(t.app).post(`/staff/v1/requests/${id}${p}`).set('Authorization', `Bearer ${staff}`).send(body);
const read = async (id: string) =>
  (await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`)).body[0];
const history = async (id: string) =>
  (await request(t.app).get(`/staff/v1/requests/${id}/history`).set('Authorization', `Bearer ${staff}`))
    .body as Array<{ kind: string; public: boolean; summary: string; description: string | null }>;
let serial = 0;
const update = (key: string, id: string, status: string, extra: Record<string, string> = {}) =>
  request(t.app)
    .post('/open311/v2/servicerequestupdates.json')
    .type('form')
    .send({
      api_key: key,
      service_request_id: id,
      update_id: `fms-${(serial += 1)}`,
      status,
      updated_datetime: t.clock.now().toISOString(),
      description: `comment ${serial}`,
      ...extra,
    });

describe('linked reports follow their parent', () => {
  it('when a second report arrives at the same place, then it stays open, follows the parent and closes with it, each reporter surveyed', async () => {
    const parent = await report(0, { email: 'one@example.com' });
    const child = await report(2, { email: 'two@example.com' });
    const c = await read(child);
    expect(c.status).toBe('open');
    expect(c.service_notice).toContain(`already been reported as ${parent}`);
    expect(c.extended_attributes).toMatchObject({ parent_service_request_id: parent, duplicate: true });
    expect((await read(parent)).extended_attributes.supporter_count).toBe(1);

    await staffPost(parent, '/status', { detailed_status: 'in_progress', note: 'Crew booked', public: true });
    expect((await read(child)).extended_attributes.detailed_status).toBe('in_progress');
    await staffPost(parent, '/notes', { text: 'Crew arrives Tuesday', public: true });
    expect((await read(child)).notes.map((n: { description: string }) => n.description)).toEqual(
      expect.arrayContaining(['Crew booked', 'Crew arrives Tuesday']),
    );
    await staffPost(parent, '/status', { detailed_status: 'fixed', note: 'Filled', public: true });
    const closed = await read(child);
    expect(closed).toMatchObject({ status: 'closed', status_notes: 'Filled' });
    expect(closed.extended_attributes.detailed_status).toBe('fixed');
    expect((await history(child)).filter((h) => h.kind === 'status_change')).toHaveLength(2);
    expect(await t.db.knex('surveys').count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('when staff confirm a link, then the report is closed as duplicate; when they unlink, then it has its own clock', async () => {
    const parent = await report(0);
    const a = await report(1);
    const b = await report(2);
    const confirmed = await staffPost(a, '/confirm-duplicate', {});
    expect(confirmed.status).toBe(200);
    expect((await read(a)).extended_attributes.detailed_status).toBe('duplicate');
    // Confirmed duplicates no longer follow: the parent's change leaves them closed as duplicate.
    await staffPost(parent, '/status', { detailed_status: 'in_progress' });
    expect((await read(a)).extended_attributes.detailed_status).toBe('duplicate');
    expect((await read(b)).extended_attributes.detailed_status).toBe('in_progress');

    t.clock.advance(3_600_000);
    expect((await staffPost(b, '/unlink', {})).status).toBe(200);
    const row = await t.db
      .knex('service_requests')
      .where('id', b)
      .first('requested_at', 'expected_at', 'next_escalation_at');
    expect(row.next_escalation_at).not.toBeNull();
    // Two days from its own requested time (business calendar aside, never from the unlink time).
    expect(new Date(row.expected_at).getTime()).toBeGreaterThan(new Date(row.requested_at).getTime());
    await staffPost(parent, '/status', { detailed_status: 'fixed' });
    expect((await read(b)).status).toBe('open');
    expect((await staffPost(parent, '/confirm-duplicate', {})).status).toBe(400);
  });
});

describe('servicerequestupdates as FixMyStreet uses it', () => {
  it('when a client key posts CLOSED, FIXED, OPEN and IN_PROGRESS on a linked report in any order and retries, then all are accepted and the parent stays open', async () => {
    const parent = await report(0);
    const child = await report(1);
    const comment = await update(client, child, 'OPEN');
    expect(comment.status).toBe(200);
    expect((await read(child)).status).toBe('open');
    const fixed = await update(client, child, 'FIXED', { update_id: 'fms-fixed' });
    expect(fixed.status).toBe(200);
    expect((await read(child)).extended_attributes.detailed_status).toBe('fixed');
    expect((await read(parent)).status).toBe('open');
    const parentTrail = await history(parent);
    expect(parentTrail.filter((h) => h.kind === 'note' && !h.public).map((h) => h.summary)).toEqual([
      `Comment on linked report ${child}`,
      `The reporter of linked report ${child} marked it fixed`,
    ]);
    // FixMyStreet's basic mode keeps sending CLOSED; a retry of the same update answers the same id.
    for (const s of ['CLOSED', 'FIXED', 'IN_PROGRESS'])
      expect((await update(client, child, s)).status).toBe(200);
    expect((await update(client, child, 'FIXED', { update_id: 'fms-fixed' })).body).toEqual(fixed.body);
    // On a closed request OPEN is a comment; only REOPEN reopens.
    expect((await read(child)).status).toBe('closed');
    expect((await update(client, child, 'REOPEN')).status).toBe(200);
    expect((await read(child)).extended_attributes.detailed_status).toBe('reopen');
  });

  it('when a resident sends OPEN with a comment on a request the city closed, then it stays closed', async () => {
    const id = await report();
    await staffPost(id, '/status', { detailed_status: 'fixed' });
    const res = await update(client, id, 'OPEN', { description: 'Still there?' });
    expect(res.status).toBe(200);
    const r = await read(id);
    expect(r.status).toBe('closed');
    expect(r.notes.at(-1).description).toBe('Still there?');
  });

  it('when the service does not let residents reopen, then REOPEN is kept as a comment; a staff key reopens', async () => {
    const id = await report();
    await staffPost(id, '/status', { detailed_status: 'fixed' });
    // The city sets it in the service's document through the admin API (and it takes effect at once).
    const path = `/admin/v1/jurisdictions/boston/services/${encodeURIComponent(code)}`;
    const doc = (await request(t.app).get(path).set(admin)).body as Record<string, unknown>;
    expect(doc.residents_can_reopen).toBe(true);
    const put = await request(t.app)
      .put(path)
      .set(admin)
      .send({ ...doc, residents_can_reopen: false });
    expect(put.status).toBe(200);
    expect(put.body.residents_can_reopen).toBe(false);
    try {
      expect((await update(client, id, 'REOPEN')).status).toBe(200);
      expect((await read(id)).status).toBe('closed');
      expect((await update(staff, id, 'OPEN')).status).toBe(200);
      expect((await read(id)).extended_attributes.detailed_status).toBe('reopen');
    } finally {
      await request(t.app)
        .put(path)
        .set(admin)
        .send({ ...doc, residents_can_reopen: true })
        .expect(200);
    }
  });

  it('when an update_id is reused for another request, then 400 naming it; ids never clash between posted and native updates', async () => {
    await disableDuplicateDetection(t);
    const a = await report(0);
    const b = await report(500);
    const first = await update(staff, a, 'IN_PROGRESS', { update_id: '264' });
    expect(first.status).toBe(200);
    const clash = await update(staff, b, 'FIXED', { update_id: '264' });
    expect(clash.status).toBe(400);
    expect(clash.body[0].description).toContain(
      `update_id "264" was already used by this API key for request ${a}`,
    );
    expect((await read(b)).status).toBe('open');
    // Another key may use the same update_id: the idempotency key is scoped to the API key.
    const other = await t.key('client', 'mobile');
    const own = await update(other, b, 'OPEN', { update_id: '264' });
    expect(own.status).toBe(200);
    expect(own.body[0].update_id).not.toBe(first.body[0].update_id);
    await staffPost(a, '/notes', { text: 'City note', public: true });
    const list = await request(t.app).get(
      '/open311/v2/servicerequestupdates.json?start_date=2026-11-23T00:00:00Z&end_date=2026-11-24T00:00:00Z',
    );
    const ids = list.body.map((u: { update_id: string }) => u.update_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([first.body[0].update_id, own.body[0].update_id]));
    await t.db.knex('duplicate_rules').delete();
  });
});

describe('CORS', () => {
  it('when a page on another origin preflights and POSTs JSON with X-API-Key, then both pass', async () => {
    const pre = await request(t.app)
      .options('/open311/v2/requests.json')
      .set('Origin', 'https://app.example.org')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-api-key,idempotency-key');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toBe(
      'Content-Type,X-API-Key,Authorization,Idempotency-Key',
    );
    expect(pre.headers['access-control-max-age']).toBe('86400');
    const post = await request(t.app)
      .post('/open311/v2/requests.json')
      .set('Origin', 'https://app.example.org')
      .set('X-API-Key', client)
      .send({ service_code: code, lat: HEREFORD.lat, long: HEREFORD.long });
    expect(post.status).toBe(201);
    expect(post.headers['access-control-allow-origin']).toBe('*');
  });

  it('when another origin preflights admin or staff routes, then nothing is opened', async () => {
    for (const url of ['/admin/v1/api-keys', '/staff/v1/requests/1/status']) {
      const pre = await request(t.app)
        .options(url)
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});

describe('bbox and GeoJSON', () => {
  it('when a bbox is asked, then exactly the points inside or on its edges come back', async () => {
    await disableDuplicateDetection(t);
    const box = { minLong: -71.09, minLat: 42.34, maxLong: -71.08, maxLat: 42.35 };
    const points: Array<[number, number, boolean]> = [
      [box.minLong, box.minLat, true],
      [box.maxLong, box.maxLat, true],
      [-71.085, box.minLat, true], // middle of the southern edge (where geodesic boxes bulge)
      [-71.085, box.maxLat, true],
      [-71.085, box.maxLat + 0.000001, false],
      [-71.085, box.minLat - 0.000001, false],
      [box.maxLong + 0.000001, 42.345, false],
      [box.minLong - 0.000001, 42.345, false],
    ];
    const ids = new Map<string, boolean>();
    for (const [long, lat, inside] of points) {
      const res = await request(t.app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({ api_key: client, service_code: code, lat, long });
      ids.set(res.body[0].service_request_id, inside);
    }
    const got = await request(t.app).get(
      `/open311/v2/requests.json?bbox=${box.minLong},${box.minLat},${box.maxLong},${box.maxLat}&service_code=${code}`,
    );
    expect(got.status).toBe(200);
    expect(got.body.map((r: { service_request_id: string }) => r.service_request_id).sort()).toEqual(
      [...ids]
        .filter(([, inside]) => inside)
        .map(([id]) => id)
        .sort(),
    );
    // The same filters as GeoJSON, for map clients.
    const geo = await request(t.app).get(
      `/open311/v2/requests.geojson?bbox=${box.minLong},${box.minLat},${box.maxLong},${box.maxLat}&service_code=${code}`,
    );
    expect(geo.status).toBe(200);
    expect(geo.headers['content-type']).toMatch(/application\/geo\+json/);
    expect(geo.body.type).toBe('FeatureCollection');
    expect(geo.body.features).toHaveLength(4);
    expect(geo.body.features.map((f: { properties: unknown }) => f.properties)).toEqual(got.body);
    for (const f of geo.body.features)
      expect(f.geometry).toEqual({ type: 'Point', coordinates: [f.properties.long, f.properties.lat] });
    const bad = await request(t.app).get('/open311/v2/requests.geojson?bbox=1,2');
    expect(bad.status).toBe(400);
    expect(bad.body[0].code).toBe(400);
    await t.db.knex('duplicate_rules').delete();
  });
});

describe('official schemas for POST answers and tokens', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('uid', true); // swagger.json's own format name: any string
  const swagger = JSON.parse(
    fs.readFileSync(path.join(__dirname, 'fixtures', 'open311-schemas', 'swagger.json'), 'utf8'),
  ) as { definitions: Record<string, object> };
  ajv.addSchema({ $id: 'swagger', definitions: swagger.definitions });
  const check = (definition: string, list: Array<Record<string, unknown>>) => {
    const validate = ajv.compile({ type: 'array', items: { $ref: `swagger#/definitions/${definition}` } });
    if (!validate(list)) throw new Error(`${definition}: ${ajv.errorsText(validate.errors)}`);
  };

  it('when a request is posted without account_id, then the answer leaves it out (JSON and XML) and validates', async () => {
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: client, service_code: code, lat: HEREFORD.lat, long: HEREFORD.long });
    expect(res.body[0]).not.toHaveProperty('account_id');
    check('RequestResponse', res.body);
    const xml = await request(t.app)
      .post('/open311/v2/requests.xml')
      .type('form')
      .send({ api_key: client, service_code: code, lat: HEREFORD.lat, long: HEREFORD.long });
    expect(xml.text).not.toContain('account_id');
    const withAccount = await request(t.app).post('/open311/v2/requests.json').type('form').send({
      api_key: client,
      service_code: code,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      account_id: 'acc-7',
    });
    expect(withAccount.body[0].account_id).toBe('acc-7');
    check('RequestResponse', withAccount.body);
    expect(() => check('RequestResponse', [{ service_request_id: '1', account_id: null }])).toThrow(
      /account_id/,
    );
  });

  it('when a batch token is read before and after processing, then each answer validates (nulls are our contract)', async () => {
    const s = await buildService(t, { type: 'batch' });
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: client, service_code: s.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long });
    check(
      'RequestResponse',
      res.body.map((r: Record<string, unknown>) => withoutNulls(r)),
    );
    const token = res.body[0].token as string;
    // OPEN311.md: a field with no value yet is null in JSON; the schema types it a string, so nulls are dropped.
    check(
      'TokenResponse',
      (await request(t.app).get(`/open311/v2/tokens/${token}.json`)).body.map(withoutNulls),
    );
    await tick(t.ctx);
    const after = (await request(t.app).get(`/open311/v2/tokens/${token}.json`)).body;
    expect(after[0].service_request_id).toMatch(/^\d+$/);
    check('TokenResponse', after);
    const parsed = await parseStringPromise(
      (await request(t.app).get(`/open311/v2/tokens/${token}.xml`)).text,
    );
    expect(parsed.service_requests.request[0].token[0]).toBe(token);
  });
});

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}
