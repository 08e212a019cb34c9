import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { attributes, buildService } from './helpers/factories';
import { HEREFORD, WORCESTER, plainService, requiredAttributeFields } from './helpers/fixtures';
import { parseXml } from './helpers/xml';
import { tick } from '../src/worker';

let t: TestServer;
let key: string;
beforeAll(async () => {
  t = await startTestServer();
});
beforeEach(async () => {
  await resetWrites(t.db);
  key = await t.key('client', 'mobile');
});
afterAll(() => t.close());

const post = (fmt = 'json') => request(t.app).post(`/open311/v2/requests.${fmt}`).type('form');
const count = async (table: string) => Number((await t.db.knex(table).count({ n: '*' }))[0]?.n);

describe('POST requests', () => {
  it('when a valid request is posted with a point, then 201 with a string id, and it reads back with address, zip and districts', async () => {
    const s = await plainService(t);
    const res = await post().send({
      api_key: key,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      description: 'Broken <b>thing</b> & more',
      email: 'resident@example.com',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual([
      {
        service_request_id: expect.stringMatching(/^\d+$/),
        service_notice: s.sla ? expect.any(String) : null,
        // account_id is left out when there is none (issue #16: the official schema types it a string)
      },
    ]);
    const id = res.body[0].service_request_id as string;

    const read = await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`);
    expect(read.status).toBe(200);
    const r = read.body[0];
    // Stored as written (issue #15.6): the writers encode it, nothing is stripped.
    expect(r.description).toBe('Broken <b>thing</b> & more');
    expect(r.lat).toBeCloseTo(HEREFORD.lat, 4);
    expect(r.address).toMatch(/Hereford St/i);
    expect(r.zipcode).toBe('02115');
    expect(r.extended_attributes.channel).toBe('mobile');
    expect(r.extended_attributes.ward).toMatch(/^Ward \d+$/);
    expect(JSON.stringify(read.body)).not.toContain('resident@example.com');
    expect(await count('request_history')).toBe(1);
  });

  it('when the key is missing or wrong, then 403 in the requested format and nothing is written', async () => {
    const s = await plainService(t);
    const none = await post('xml').send({
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
    expect(none.status).toBe(403);
    expect((await parseXml(none.text)).root).toBe('errors');
    const bad = await post().send({
      api_key: 'o311_not-a-real-key',
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
    expect(bad.status).toBe(403);
    expect(await count('service_requests')).toBe(0);
  });

  it('when several things are wrong, then one 400 lists each of them by name', async () => {
    const res = await post().send({
      api_key: key,
      lat: '95',
      long: 'west',
      media_url: 'ftp://x',
      email: 'nope',
    });
    expect(res.status).toBe(400);
    const text = (res.body as Array<{ description: string }>).map((e) => e.description).join('\n');
    expect(text).toMatch(/lat/);
    expect(text).toMatch(/long/);
    expect(text).toMatch(/media_url/);
    expect(text).toMatch(/email/);
    expect(res.body.every((e: { code: number }) => e.code === 400)).toBe(true);
  });

  it('when the service code is missing or unknown, then 400 naming service_code', async () => {
    const res = await post().send({ api_key: key, lat: HEREFORD.lat, long: HEREFORD.long });
    expect(res.status).toBe(400);
    expect(res.body[0].description).toMatch(/service_code/);
    const unknown = await post().send({
      api_key: key,
      service_code: 'NOPE',
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
    expect(unknown.status).toBe(400);
  });

  it('when the point is outside the city, then 400 "outside the service area" and nothing is written', async () => {
    const s = await plainService(t);
    const res = await post().send({ api_key: key, service_code: s.serviceCode, ...WORCESTER });
    expect(res.status).toBe(400);
    expect(res.body[0].description).toMatch(/outside the service area/);
    expect(await count('service_requests')).toBe(0);
  });

  it('when required attributes are missing or list keys are wrong, then 400 per attribute', async () => {
    const s = await buildService(t, {
      attributes: [attributes.requiredText('note'), attributes.requiredSingleList('size')],
    });
    const missing = await post().send({
      api_key: key,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.map((e: { description: string }) => e.description.slice(0, 16))).toEqual([
      'attribute[note] ',
      'attribute[size] ',
    ]);
    const wrongKey = await post().send({
      api_key: key,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      'attribute[note]': 'x',
      'attribute[size]': 'huge',
    });
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body).toHaveLength(1);
    expect(wrongKey.body[0].description).toMatch(/^attribute\[size\]/);
    const ok = await post().send({
      api_key: key,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      ...requiredAttributeFields(s),
    });
    expect(ok.status).toBe(201);
  });

  it('when a multivaluelist is sent as attribute[X][]=a&attribute[X][]=b or as a repeated key, then both are stored as a list', async () => {
    const s = await buildService(t, {
      attributes: [attributes.requiredText('note'), attributes.multiList('kinds')],
    });
    const attr = s.attributes.find((a) => a.code === 'kinds')!;
    const [a, b] = [attr.values[0]!.key, attr.values[1]!.key];
    const base = new URLSearchParams({
      api_key: key,
      service_code: s.serviceCode,
      lat: String(HEREFORD.lat),
      long: String(HEREFORD.long),
      ...requiredAttributeFields(s),
    });
    base.delete(`attribute[${attr.code}]`);
    const withBrackets = new URLSearchParams(base);
    withBrackets.append(`attribute[${attr.code}][]`, a);
    withBrackets.append(`attribute[${attr.code}][]`, b);
    const repeated = new URLSearchParams(base);
    repeated.append(`attribute[${attr.code}]`, a);
    repeated.append(`attribute[${attr.code}]`, b);
    for (const body of [withBrackets, repeated]) {
      const res = await post().send(body.toString());
      expect(res.status).toBe(201);
      const read = await request(t.app).get(
        `/open311/v2/requests/${res.body[0].service_request_id}.json?extensions=true`,
      );
      expect(read.body[0].extended_attributes.attributes[attr.code]).toEqual([a, b]);
    }
  });

  it('when the body is JSON or multipart, then it is accepted like a form', async () => {
    const s = await plainService(t);
    const json = await request(t.app).post('/open311/v2/requests.json').send({
      api_key: key,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      deviceid: 'dev-1',
    });
    expect(json.status).toBe(201);
    const multi = await request(t.app)
      .post('/open311/v2/requests.json')
      .field('api_key', key)
      .field('service_code', s.serviceCode)
      .field('lat', String(HEREFORD.lat))
      .field('long', String(HEREFORD.long));
    expect(multi.status).toBe(201);
    const device = await t.db.knex('request_contacts').first('device_id');
    expect(device?.device_id).toBe('dev-1');
  });

  it('when the content type is not accepted, then 415; when the body is too large, then 413', async () => {
    const bad = await request(t.app)
      .post('/open311/v2/requests.json')
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(bad.status).toBe(415);
    const big = await post().send({ api_key: key, description: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
  });

  it('when the same Idempotency-Key or client_request_id is sent twice, then the first result comes back and one request exists', async () => {
    const s = await plainService(t);
    const body = { api_key: key, service_code: s.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long };
    const a = await post().set('Idempotency-Key', 'abc-1').send(body);
    const b = await post().set('Idempotency-Key', 'abc-1').send(body);
    expect(b.body).toEqual(a.body);
    const c = await post().send({ ...body, client_request_id: 'cr-9' });
    const d = await post().send({ ...body, client_request_id: 'cr-9' });
    expect(d.body).toEqual(c.body);
    expect(await count('service_requests')).toBe(2);
  });

  it('when a batch service is posted to, then a token comes back and the request appears after a worker tick', async () => {
    const s = await buildService(t, { type: 'batch' });
    const res = await post().send({
      api_key: key,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      ...requiredAttributeFields(s),
    });
    expect(res.status).toBe(201);
    const token = res.body[0].token as string;
    expect(res.body[0]).not.toHaveProperty('service_request_id');
    const before = await request(t.app).get(`/open311/v2/tokens/${token}.json`);
    expect(before.body).toEqual([{ service_request_id: null, token }]);
    await tick(t.ctx);
    const queued = await t.db.knex('request_tokens').where({ token }).first('submission');
    expect(JSON.stringify(queued?.submission)).not.toContain('contact');
    const after = await request(t.app).get(`/open311/v2/tokens/${token}.xml`);
    const parsed = await parseXml(after.text);
    expect(parsed.body).toEqual([{ service_request_id: expect.stringMatching(/^\d+$/), token }]);
  });

  it('when a blackbox service is posted to, then neither an id nor a token comes back', async () => {
    const s = await buildService(t, { type: 'blackbox' });
    const res = await post().send({
      api_key: key,
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      ...requiredAttributeFields(s),
    });
    expect(res.status).toBe(201);
    expect(res.body[0].service_request_id).toBeNull();
    expect(await count('service_requests')).toBe(1);
  });

  it('when a key posts too often, then 429 with Retry-After', async () => {
    const s = await startTestServer({ POST_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const k = await s.key();
      const svc = await plainService(s);
      const body = { api_key: k, service_code: svc.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long };
      await request(s.app).post('/open311/v2/requests.json').type('form').send(body);
      await request(s.app).post('/open311/v2/requests.json').type('form').send(body);
      const third = await request(s.app).post('/open311/v2/requests.json').type('form').send(body);
      expect(third.status).toBe(429);
      expect(third.headers['retry-after']).toBe('60');
    } finally {
      await s.close();
    }
  });
});

describe('fields in the wrong shape', () => {
  const json = (body: Record<string, unknown>) => request(t.app).post('/open311/v2/requests.json').send(body);

  it.each([
    ['service_code', ['A', 'B'], 'service_code must be a string, not a list'],
    ['description', ['a', 'b'], 'description must be a string, not a list'],
    ['description', { a: 1 }, 'description must be a string, not an object'],
    ['email', ['a@example.org'], 'email must be a string, not a list'],
    ['lat', [42.35], 'lat must be a number, not a list'],
    ['lat', {}, 'lat must be a number, not an object'],
    ['lat', true, 'lat must be a number.'],
    ['media_url', { a: 'https://example.org/a.jpg' }, 'media_url must be a string or a list of strings'],
  ])(
    'when a JSON body sends %s as %j, then it is a 400 saying so and nothing is written',
    async (field, value, message) => {
      const s = await plainService(t);
      const res = await json({
        api_key: key,
        service_code: s.serviceCode,
        lat: HEREFORD.lat,
        long: HEREFORD.long,
        ...requiredAttributeFields(s),
        [field]: value,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual([{ code: 400, description: expect.stringContaining(message) }]);
      expect(await count('service_requests')).toBe(0);
    },
  );

  it('when a JSON api_key is a list, then it is a 400, not the first key used', async () => {
    const s = await plainService(t);
    const res = await json({ api_key: [key, 'other'], service_code: s.serviceCode, lat: 1, long: 1 });
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('api_key must be a string');
  });

  it('when a JSON body is a list, then it is a 400 asking for an object', async () => {
    const res = await json([{ api_key: key }] as unknown as Record<string, unknown>);
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('must be an object');
  });

  it('when a form repeats a field, then its first value counts, as documented; numbers and media_url lists stay accepted', async () => {
    const s = await plainService(t);
    const res = await post().send(
      new URLSearchParams([
        ['api_key', key],
        ['service_code', s.serviceCode],
        ['service_code', 'nonsense'],
        ['lat', String(HEREFORD.lat)],
        ['lat', '10'],
        ['long', String(HEREFORD.long)],
        ['description', 'first'],
        ['description', 'second'],
        ['media_url', 'https://example.org/a.jpg'],
        ['media_url', 'https://example.org/b.jpg'],
        ...Object.entries(requiredAttributeFields(s)),
      ]).toString(),
    );
    expect(res.status).toBe(201);
    const r = (await request(t.app).get(`/open311/v2/requests/${res.body[0].service_request_id}.json`))
      .body[0];
    expect(r).toMatchObject({ service_code: s.serviceCode, description: 'first' });
    expect(r.lat).toBeCloseTo(HEREFORD.lat, 4);
    const numbers = await json({
      api_key: key,
      service_code: s.serviceCode,
      lat: String(HEREFORD.lat),
      long: HEREFORD.long,
      phone: 6175550100,
      media_url: ['https://example.org/c.jpg'],
      ...requiredAttributeFields(s),
    });
    expect(numbers.status).toBe(201);
  });

  it('when a form sends a field as an object (description[a]=1), then it is a 400, not a dropped field', async () => {
    const s = await plainService(t);
    const res = await post().send(
      `api_key=${key}&service_code=${s.serviceCode}&lat=${HEREFORD.lat}&long=${HEREFORD.long}&description[a]=1`,
    );
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('description must be a string, not an object');
  });

  it('when a JSON body is nested 20,000 deep, then the 400 says it is nested too deep', async () => {
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    const res = await request(t.app)
      .post(`/open311/v2/requests.json?api_key=${key}`)
      .set('Content-Type', 'application/json')
      .send(deep);
    expect(res.status).toBe(400);
    expect(res.body).toEqual([
      { code: 400, description: 'The body field a is nested more than 20 levels deep.' },
    ]);
  });

  it('when a servicerequestupdates JSON body sends a list or an object, then it is a 400 naming the field', async () => {
    const res = await request(t.app)
      .post('/open311/v2/servicerequestupdates.json')
      .send({
        api_key: [key],
        service_request_id: ['1', '2'],
        update_id: 'u1',
        status: 'OPEN',
        description: { a: 1 },
        updated_datetime: '2026-11-23T10:00:00Z',
      });
    expect(res.status).toBe(400);
    expect(res.body.map((e: { description: string }) => e.description)).toEqual([
      'api_key must be a string, not a list (send one value).',
      'service_request_id must be a string, not a list (send one value).',
      'description must be a string, not an object.',
    ]);
  });
});

/** A request of a plain service at Hereford St, for the update tests below. */
const postPlain = async () => {
  const s = await plainService(t);
  return post().send({
    api_key: key,
    service_code: s.serviceCode,
    lat: HEREFORD.lat,
    long: HEREFORD.long,
    ...requiredAttributeFields(s),
  });
};

describe('servicerequestupdates updated_datetime', () => {
  const postUpdate = (id: string, updated: string, n: number) =>
    request(t.app)
      .post('/open311/v2/servicerequestupdates.json')
      .type('form')
      .send({
        api_key: key,
        service_request_id: id,
        update_id: `clock-${n}`,
        status: 'OPEN',
        description: 'a comment',
        updated_datetime: updated,
      });

  it('when updated_datetime is far in the future, before 2000 or before the request, then it is a 400 and the request is unchanged', async () => {
    t.clock.set('2026-11-23T15:00:00Z');
    const made = await postPlain();
    const id = made.body[0].service_request_id as string;
    const before = await request(t.app).get(`/open311/v2/requests/${id}.json`);
    const history = await count('request_history');
    const cases: Array<[string, RegExp]> = [
      ['9999-12-31T00:00:00Z', /not be more than 15 minutes after the server's time/],
      ['2026-11-23T15:15:01Z', /not be more than 15 minutes after/],
      ['1999-12-31T23:59:59Z', /not be before 2000-01-01/],
      ['2026-11-23T14:59:59Z', /not be before the request's requested_datetime/],
    ];
    for (const [i, [when, message]] of cases.entries()) {
      const res = await postUpdate(id, when, i);
      expect(res.status).toBe(400);
      expect(res.body).toEqual([{ code: 400, description: expect.stringMatching(message) }]);
    }
    expect(await count('request_history')).toBe(history);
    const after = await request(t.app).get(`/open311/v2/requests/${id}.json`);
    expect(after.body[0].updated_datetime).toBe(before.body[0].updated_datetime);

    // Within the skew and at the request's own second are fine; the server's clock moves on and so may updates.
    expect((await postUpdate(id, '2026-11-23T15:15:00Z', 10)).status).toBe(200);
    expect((await postUpdate(id, '2026-11-23T15:00:00Z', 11)).status).toBe(200);
    t.clock.advance(3_600_000);
    expect((await postUpdate(id, '2026-11-23T16:10:00Z', 12)).status).toBe(200);
  });
});

describe('datetime offsets', () => {
  it('when a posted updated_datetime or a datetime attribute has an offset beyond ±14:00, then it is a 400', async () => {
    const made = await postPlain();
    const res = await request(t.app).post('/open311/v2/servicerequestupdates.json').type('form').send({
      api_key: key,
      service_request_id: made.body[0].service_request_id,
      update_id: 'offset-1',
      status: 'OPEN',
      description: 'x',
      updated_datetime: '2026-11-23T15:00:00+99:00',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual([
      { code: 400, description: 'updated_datetime must be an ISO 8601 date and time.' },
    ]);
  });
});

describe('number attributes as residents and their apps write them (outside probe)', () => {
  it('when attribute[LIGHTS_OUT] is hex or binary, then 400 and nothing is written; a decimal is stored as a number', async () => {
    const base = { api_key: key, service_code: 'STRLGTOUT', lat: HEREFORD.lat, long: HEREFORD.long };
    const before = await count('service_requests');
    for (const form of ['attribute[LIGHTS_OUT]=0x1F', 'attribute[LIGHTS_OUT]=0b11']) {
      const res = await post().send(`${new URLSearchParams(base as never).toString()}&${form}`);
      expect([res.status, res.body[0]?.description]).toEqual([
        400,
        'attribute[LIGHTS_OUT] must be a number.',
      ]);
    }
    expect(await count('service_requests')).toBe(before);
    const ok = await post().send({ ...base, 'attribute[LIGHTS_OUT]': ' 3 ' });
    expect(ok.status).toBe(201);
    const row = await t.db
      .knex('service_requests')
      .where({ id: ok.body[0].service_request_id })
      .first('attributes');
    expect(row.attributes).toEqual({ LIGHTS_OUT: 3 });
  });
});
