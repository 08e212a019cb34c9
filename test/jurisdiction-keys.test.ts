/**
 * Issue #15.1: on a server hosting two cities, a key bound to one jurisdiction reads and writes only that
 * one, on every route family; an unbound key (single-city installs, the operator's ADMIN_API_KEY) acts on any.
 */
import request from 'supertest';
import { createApiKey, type Channel, type Role } from '../src/auth';
import { createJurisdiction } from '../src/catalog';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { HEREFORD, disableDuplicateDetection, plainService } from './helpers/fixtures';

let t: TestServer;
let id: string;
const keys: Record<string, { secret: string; id: string }> = {};

async function boundKey(name: string, role: Role, jurisdictionId: string | null, channel: Channel = 'staff') {
  const { key, secret } = await createApiKey(
    t.db.knex,
    { name, role, channel, jurisdictionId },
    t.clock.now(),
  );
  keys[name] = { secret, id: String(key.id) };
  return secret;
}
const as = (name: string) => `Bearer ${keys[name]?.secret}`;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  await createJurisdiction(t.db.knex, {
    id: 'springfield',
    name: 'Springfield',
    timeZone: 'America/Chicago',
  });
  t.ctx.catalog.invalidate();
  await boundKey('boston-client', 'client', 'boston', 'mobile');
  await boundKey('boston-staff', 'staff', 'boston');
  await boundKey('spring-client', 'client', 'springfield', 'mobile');
  await boundKey('spring-staff', 'staff', 'springfield');
  await boundKey('spring-admin', 'admin', 'springfield');
  const s = await plainService(t);
  // A bound key that names no jurisdiction acts on its own, even though the server hosts two.
  const res = await request(t.app).post('/open311/v2/requests.json').type('form').send({
    api_key: keys['boston-client']?.secret,
    service_code: s.serviceCode,
    lat: HEREFORD.lat,
    long: HEREFORD.long,
    email: 'resident@boston.example',
    phone: '617-555-0100',
  });
  expect(res.status).toBe(201);
  id = res.body[0].service_request_id;
});
afterAll(() => t.close());

const historyCount = async () =>
  Number((await t.db.knex('request_history').count({ n: '*' }).first())?.n ?? 0);

describe('a key bound to one jurisdiction on a two-city server', () => {
  it('when the Springfield staff key reads a Boston request, then 403 and no contact details', async () => {
    const res = await request(t.app)
      .get(`/staff/v1/requests/${id}?jurisdiction_id=boston`)
      .set('Authorization', as('spring-staff'));
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toMatch(/resident@boston|617-555/);
    expect(res.body[0].description).toMatch(/bound to jurisdiction_id "springfield"/);
    const history = await request(t.app)
      .get(`/staff/v1/requests/${id}/history?jurisdiction_id=boston`)
      .set('Authorization', as('spring-staff'));
    expect(history.status).toBe(403);
    // Naming no jurisdiction means its own: the Boston request is simply not there.
    const own = await request(t.app).get(`/staff/v1/requests/${id}`).set('Authorization', as('spring-staff'));
    expect(own.status).toBe(404);
  });

  it('when the Springfield staff key writes on a Boston request, then 403 and nothing is written', async () => {
    const before = await historyCount();
    for (const [path, body] of [
      ['notes', { text: 'snooping', jurisdiction_id: 'boston' }],
      ['status', { detailed_status: 'closed', jurisdiction_id: 'boston' }],
      ['priority', { priority: 'high', jurisdiction_id: 'boston' }],
      ['assign', { assigned_to: 'x', jurisdiction_id: 'boston' }],
    ] as const) {
      const res = await request(t.app)
        .post(`/staff/v1/requests/${id}/${path}`)
        .set('Authorization', as('spring-staff'))
        .send(body);
      expect([path, res.status]).toEqual([path, 403]);
    }
    const update = await request(t.app).post('/open311/v2/servicerequestupdates.json').type('form').send({
      api_key: keys['spring-staff']?.secret,
      jurisdiction_id: 'boston',
      service_request_id: id,
      update_id: 'u-1',
      status: 'closed',
      description: 'closed from afar',
      updated_datetime: '2026-11-23T15:00:00Z',
    });
    expect(update.status).toBe(403);
    expect(await historyCount()).toBe(before);
  });

  it('when the Boston staff key acts on its own city, then it reads contacts and writes notes', async () => {
    const read = await request(t.app)
      .get(`/staff/v1/requests/${id}?jurisdiction_id=boston`)
      .set('Authorization', as('boston-staff'));
    expect(read.status).toBe(200);
    expect(read.body.contact.email).toBe('resident@boston.example');
    const note = await request(t.app)
      .post(`/staff/v1/requests/${id}/notes`)
      .set('Authorization', as('boston-staff'))
      .send({ text: 'called back' });
    expect(note.status).toBe(201);
  });

  it('when the Boston staff key names its city in another case, then it acts on it; Springfield in any case is a 403', async () => {
    const read = await request(t.app)
      .get(`/staff/v1/requests/${id}?jurisdiction_id=BOSTON`)
      .set('Authorization', as('boston-staff'));
    expect(read.status).toBe(200);
    const list = await request(t.app)
      .get('/open311/v2/requests.json?jurisdiction_id=Boston')
      .set('Authorization', as('boston-client'));
    expect(list.status).toBe(200);
    const other = await request(t.app)
      .get(`/staff/v1/requests/${id}?jurisdiction_id=SpringField`)
      .set('Authorization', as('boston-staff'));
    expect(other.status).toBe(403);
  });

  it('when a Springfield client key posts a request to Boston, then 403', async () => {
    const s = await plainService(t);
    const res = await request(t.app).post('/open311/v2/requests.json').type('form').send({
      api_key: keys['spring-client']?.secret,
      jurisdiction_id: 'boston',
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
    expect(res.status).toBe(403);
    // XML callers get the same answer in their format.
    const xml = await request(t.app).post('/open311/v2/requests.xml').type('form').send({
      api_key: keys['spring-client']?.secret,
      jurisdiction_id: 'boston',
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
    expect(xml.status).toBe(403);
    expect(xml.text).toMatch(/<errors>/);
  });

  it('when the Springfield admin key reads Boston reports, calendar, rules or levels, then 403', async () => {
    const s = await plainService(t);
    for (const path of [
      '/admin/v1/reports/sla?jurisdiction_id=boston',
      '/admin/v1/reports/satisfaction?jurisdiction_id=boston&format=csv',
      '/admin/v1/jurisdictions/boston/calendar',
      '/admin/v1/escalation-rules?jurisdiction_id=boston',
      '/admin/v1/services/_default/duplicate-rule?jurisdiction_id=boston',
      `/admin/v1/services/${s.serviceCode}/response-levels?jurisdiction_id=boston`,
    ]) {
      const res = await request(t.app).get(path).set('Authorization', as('spring-admin'));
      expect([path, res.status]).toEqual([path, 403]);
      const operator = await request(t.app).get(path).set('Authorization', `Bearer ${ADMIN_KEY}`);
      expect([path, operator.status]).toEqual([path, 200]);
    }
    const put = await request(t.app)
      .put('/admin/v1/jurisdictions/boston/calendar')
      .set('Authorization', as('spring-admin'))
      .send({});
    expect(put.status).toBe(403);
    const geo = await request(t.app)
      .post('/admin/v1/jurisdictions/boston/geography/ward')
      .set('Authorization', as('spring-admin'))
      .set('Content-Type', 'application/geo+json')
      .send('{}');
    expect(geo.status).toBe(403);
  });

  it('when the Springfield admin key touches a Boston escalation rule by id, then 404 (not a 403 naming Boston) and the rule stays', async () => {
    const created = await request(t.app)
      .post('/admin/v1/escalation-rules')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ jurisdiction_id: 'boston', at_fraction: 0.5, action: 'warn' });
    expect(created.status).toBe(201);
    const path = `/admin/v1/escalation-rules/${created.body.id}`;
    for (const method of ['get', 'put', 'delete'] as const) {
      const res = await request(t.app)[method](path).set('Authorization', as('spring-admin')).send({});
      expect([method, res.status, res.body[0]?.description]).toEqual([
        method,
        404,
        `Escalation rule "${created.body.id}" was not found.`,
      ]);
    }
    const list = await request(t.app)
      .get('/admin/v1/escalation-rules')
      .set('Authorization', as('spring-admin'));
    expect(list.status).toBe(200);
    expect(list.body.map((r: { jurisdiction_id: string }) => r.jurisdiction_id)).not.toContain('boston');
    expect((await request(t.app).get(path).set('Authorization', `Bearer ${ADMIN_KEY}`)).status).toBe(200);
  });

  it('when the Springfield admin key manages keys, then it sees, mints and revokes only Springfield keys', async () => {
    const list = await request(t.app).get('/admin/v1/api-keys').set('Authorization', as('spring-admin'));
    expect(list.status).toBe(200);
    expect(new Set(list.body.map((k: { jurisdiction_id: string }) => k.jurisdiction_id))).toEqual(
      new Set(['springfield']),
    );
    const toBoston = await request(t.app)
      .post('/admin/v1/api-keys')
      .set('Authorization', as('spring-admin'))
      .send({ name: 'escape', role: 'admin', jurisdiction_id: 'boston' });
    expect(toBoston.status).toBe(403);
    const unnamed = await request(t.app)
      .post('/admin/v1/api-keys')
      .set('Authorization', as('spring-admin'))
      .send({ name: 'new springfield staff', role: 'staff' });
    expect(unnamed.status).toBe(201);
    expect(unnamed.body.jurisdiction_id).toBe('springfield');
    const revoke = await request(t.app)
      .delete(`/admin/v1/api-keys/${keys['boston-staff']?.id}`)
      .set('Authorization', as('spring-admin'));
    expect(revoke.status).toBe(404);
    const still = await request(t.app)
      .get(`/staff/v1/requests/${id}`)
      .set('Authorization', as('boston-staff'));
    expect(still.status).toBe(200);
  });

  it('when the Springfield admin key manages webhooks, then Boston subscriptions are out of its reach', async () => {
    const boston = await request(t.app)
      .post('/admin/v1/webhooks')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ jurisdiction_id: 'boston', url: 'https://hooks.example.test/hook' });
    expect(boston.status).toBe(201);
    const sub = `/admin/v1/webhooks/${boston.body.id}`;
    const create = await request(t.app)
      .post('/admin/v1/webhooks')
      .set('Authorization', as('spring-admin'))
      .send({ jurisdiction_id: 'boston', url: 'https://hooks.example.test/steal' });
    expect(create.status).toBe(403);
    const list = await request(t.app).get('/admin/v1/webhooks').set('Authorization', as('spring-admin'));
    expect(list.body.map((w: { id: string }) => w.id)).not.toContain(boston.body.id);
    expect(
      (await request(t.app).get(`${sub}/deliveries`).set('Authorization', as('spring-admin'))).status,
    ).toBe(404);
    expect((await request(t.app).delete(sub).set('Authorization', as('spring-admin'))).status).toBe(404);
    const all = await request(t.app).get('/admin/v1/webhooks').set('Authorization', `Bearer ${ADMIN_KEY}`);
    expect(all.body.find((w: { id: string }) => w.id === boston.body.id)?.active).toBe(true);
  });

  it('when the unbound operator key names a jurisdiction, then it acts on either city', async () => {
    for (const j of ['boston', 'springfield']) {
      const res = await request(t.app)
        .get(`/admin/v1/reports/sla?jurisdiction_id=${j}`)
        .set('Authorization', `Bearer ${ADMIN_KEY}`);
      expect([j, res.status]).toEqual([j, 200]);
    }
  });
});

describe('binding a new key to a jurisdiction (outside probe: a non-text jurisdiction_id made an unbound key)', () => {
  const create = (body: object) =>
    request(t.app).post('/admin/v1/api-keys').set('Authorization', `Bearer ${ADMIN_KEY}`).send(body);
  const keyCount = async () => Number((await t.db.knex('api_keys').count({ n: '*' }).first())?.n ?? 0);

  it('when jurisdiction_id is a list, a number, a boolean, an object or empty, then 400 and no key is made', async () => {
    const before = await keyCount();
    for (const jurisdiction_id of [['springfield'], [], 0, -1, true, { a: 1 }, '', '   ']) {
      const res = await create({ name: 'meant for one city', role: 'staff', jurisdiction_id });
      expect([res.status, res.body[0]?.description]).toEqual([
        400,
        'jurisdiction_id must be the id of one jurisdiction (text); leave it out for a key of every jurisdiction.',
      ]);
    }
    expect(await keyCount()).toBe(before);
  });

  it('when it is given with spaces around it, then the key is bound to that jurisdiction; left out or null, to none', async () => {
    const spaced = await create({ name: 'spaced', role: 'staff', jurisdiction_id: ' springfield ' });
    expect([spaced.status, spaced.body.jurisdiction_id]).toEqual([201, 'springfield']);
    for (const body of [{ name: 'every city' }, { name: 'every city', jurisdiction_id: null }]) {
      const res = await create({ ...body, role: 'staff' });
      expect([res.status, res.body.jurisdiction_id]).toEqual([201, null]);
    }
  });
});

describe('a new key named in the query, and revoking by id (outside probe, 5 December: H4, M4)', () => {
  const post = (query: string, body: object, key = ADMIN_KEY) =>
    request(t.app).post(`/admin/v1/api-keys${query}`).set('Authorization', `Bearer ${key}`).send(body);

  it('when the jurisdiction is named in the query, then the key is bound to it (it made a key of every city)', async () => {
    const res = await post('?jurisdiction_id=springfield', { name: 'from the query', role: 'client' });
    expect([res.status, res.body.jurisdiction_id]).toEqual([201, 'springfield']);
    const same = await post('?jurisdiction_id=springfield', {
      name: 'both',
      role: 'client',
      jurisdiction_id: 'springfield',
    });
    expect([same.status, same.body.jurisdiction_id]).toEqual([201, 'springfield']);
  });

  it('when the query and body disagree, or the query is empty or a list, then 400 and no key is made', async () => {
    const before = Number((await t.db.knex('api_keys').count({ n: '*' }).first())?.n ?? 0);
    const clash = await post('?jurisdiction_id=boston', { name: 'x', jurisdiction_id: 'springfield' });
    expect([clash.status, clash.body[0]?.description]).toEqual([
      400,
      'jurisdiction_id is "boston" in the query and "springfield" in the body: name one jurisdiction.',
    ]);
    for (const query of ['?jurisdiction_id=', '?jurisdiction_id=boston&jurisdiction_id=springfield'])
      expect((await post(query, { name: 'x' })).status).toBe(400);
    expect(Number((await t.db.knex('api_keys').count({ n: '*' }).first())?.n ?? 0)).toBe(before);
  });

  it('when a bound admin key names another city in the query, then 403 (it minted a key of its own city)', async () => {
    const res = await post('?jurisdiction_id=boston', { name: 'x' }, keys['spring-admin']?.secret);
    expect(res.status).toBe(403);
  });

  it('when a key id is not plain digits, then 404 and no key is revoked (0x.., 2.2e1, 22.0 revoked one)', async () => {
    const made = await post('', { name: 'to keep', role: 'client' });
    const n = Number(made.body.id);
    for (const id of [
      `0x${n.toString(16)}`,
      `${n}.0`,
      `${n / 10}e1`,
      `%20${n}`,
      `0b${n.toString(2)}`,
      '-1',
      '0',
    ]) {
      const res = await request(t.app)
        .delete(`/admin/v1/api-keys/${id}`)
        .set('Authorization', `Bearer ${ADMIN_KEY}`);
      expect([id, res.status]).toEqual([id, 404]);
    }
    const row = await t.db.knex('api_keys').where({ id: n }).first('revoked_at');
    expect(row.revoked_at).toBeNull();
    const revoked = await request(t.app)
      .delete(`/admin/v1/api-keys/${n}`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    expect(revoked.status).toBe(204);
  });
});

describe('two keys in one call', () => {
  it('when a call carries two different keys, then 400 naming where; the same key twice is one key', async () => {
    const boston = keys['boston-client']?.secret as string;
    const spring = keys['spring-client']?.secret as string;
    // The Bearer header was used without a word, whatever X-API-Key or api_key said.
    const both = await request(t.app)
      .get('/open311/v2/requests.json')
      .set('Authorization', `Bearer ${spring}`)
      .set('X-API-Key', boston);
    expect([both.status, both.body[0]?.description]).toEqual([
      400,
      'Two different API keys were given (an Authorization: Bearer header, an X-API-Key header): send one.',
    ]);
    const post = await request(t.app)
      .post(`/open311/v2/requests.json?api_key=${spring}`)
      .type('form')
      .send({ api_key: boston, service_code: 'x', lat: HEREFORD.lat, long: HEREFORD.long });
    expect([post.status, post.body[0]?.description]).toEqual([
      400,
      'Two different API keys were given (api_key in the body, api_key in the query): send one.',
    ]);
    const same = await request(t.app)
      .get(`/open311/v2/requests.json?api_key=${boston}`)
      .set('X-API-Key', boston);
    expect(same.status).toBe(200);
  });
});

describe('deleting a city (outside probe, 5 December: M5)', () => {
  it('when a city is deleted, then its keys stop working at once, also if a city of that id is made again', async () => {
    const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
    const city = { id: 'tmp2', name: 'Temporary', time_zone: 'America/Chicago' };
    expect((await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(city)).status).toBe(201);
    const made = await request(t.app)
      .post('/admin/v1/api-keys')
      .set(admin)
      .send({ name: 'tmp2 admin', role: 'admin', jurisdiction_id: 'tmp2' });
    const tmpAdmin = { Authorization: `Bearer ${made.body.api_key}` };
    // Used once, the key is in the process's key cache.
    expect((await request(t.app).get('/admin/v1/api-keys').set(tmpAdmin)).status).toBe(200);
    expect((await request(t.app).delete('/admin/v1/jurisdictions/tmp2').set(admin)).status).toBe(204);
    // The deleted city's keys went with it (ON DELETE CASCADE); the cache kept them for up to its TTL.
    const gone = await request(t.app).get('/admin/v1/api-keys').set(tmpAdmin);
    expect([gone.status, gone.body[0]?.description]).toEqual([
      403,
      'The api_key is not valid or has been revoked.',
    ]);
    expect((await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(city)).status).toBe(201);
    const minted = await request(t.app)
      .post('/admin/v1/api-keys')
      .set(tmpAdmin)
      .send({ name: 'x', role: 'admin' });
    expect([minted.status, minted.body[0]?.description]).toEqual([
      403,
      'The api_key is not valid or has been revoked.',
    ]);
    expect((await request(t.app).delete('/admin/v1/jurisdictions/tmp2').set(admin)).status).toBe(204);
  });
});

describe('caches and keys (outside probe: a shared cache could serve one city its neighbour’s list)', () => {
  it('when a public read carries a key in a header, then it is private; every public read varies by the key headers', async () => {
    const keyed = await request(t.app)
      .get('/open311/v2/requests.json?page_size=1')
      .set('X-API-Key', keys['spring-client']?.secret as string);
    expect(keyed.status).toBe(200);
    expect(keyed.headers['cache-control']).toBe('private');
    const anonymous = await request(t.app).get(
      '/open311/v2/requests.json?page_size=1&jurisdiction_id=boston',
    );
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers['cache-control']).toBeUndefined();
    for (const res of [keyed, anonymous])
      expect(res.headers.vary?.split(/,\s*/)).toEqual(expect.arrayContaining(['Authorization', 'X-API-Key']));
  });
});
