import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, disableDuplicateDetection, findService, plainService } from './helpers/fixtures';
import { getBoth } from './helpers/xml';

let t: TestServer;
let key: string;
let serviceCode: string;
const ids: string[] = [];

const OFFSET = /[+-]\d\d:\d\d$/;

beforeAll(async () => {
  t = await startTestServer();
  await resetWrites(t.db);
  await disableDuplicateDetection(t);
  key = await t.key('client', 'web');
  serviceCode = (await plainService(t)).serviceCode;
  // Five requests an hour apart, near Hereford St; the last one far away in Dorchester.
  const points = [HEREFORD, HEREFORD, HEREFORD, HEREFORD, { lat: 42.2973, long: -71.0745 }];
  for (const p of points) {
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: key, service_code: serviceCode, lat: p.lat, long: p.long });
    expect(res.status).toBe(201);
    ids.push(res.body[0].service_request_id);
    t.clock.advance(3_600_000);
  }
});
afterAll(() => t.close());

type Req = { service_request_id: string; requested_datetime: string; status: string; lat: number };

describe('GET requests', () => {
  it('when listed, then newest first with every field in order, in both formats', async () => {
    const { status, json } = await getBoth(t.app, '/open311/v2/requests');
    expect(status).toBe(200);
    const list = json as Array<Record<string, unknown>>;
    expect(list.map((r) => r.service_request_id)).toEqual([...ids].reverse());
    expect(Object.keys(list[0]!)).toEqual([
      'service_request_id',
      'status',
      'status_notes',
      'service_name',
      'service_code',
      'description',
      'agency_responsible',
      'service_notice',
      'requested_datetime',
      'updated_datetime',
      'expected_datetime',
      'address',
      'address_id',
      'zipcode',
      'lat',
      'long',
      'media_url',
    ]);
    // Boston in November is UTC-5, no fractional seconds.
    expect(list[0]!.requested_datetime).toMatch(/^2026-11-23T\d\d:\d\d:\d\d-05:00$/);
  });

  it('when one request is read, then it is a list of one; an unknown id is 404', async () => {
    const { json } = await getBoth(t.app, `/open311/v2/requests/${ids[0]}`);
    expect((json as Req[]).length).toBe(1);
    expect((await request(t.app).get('/open311/v2/requests/999999999.json')).status).toBe(404);
    expect((await request(t.app).get('/open311/v2/requests/abc.xml')).status).toBe(404);
  });

  it('when service_request_id lists ids, then exactly those come back whatever the other filters', async () => {
    const res = await request(t.app).get(
      `/open311/v2/requests.json?service_request_id=${ids[0]},${ids[2]}&status=closed`,
    );
    expect(res.body.map((r: Req) => r.service_request_id).sort()).toEqual([ids[0], ids[2]].sort());
  });

  it('when paged, then page 2 continues page 1 and a page past the end is empty', async () => {
    const p1 = await request(t.app).get('/open311/v2/requests.json?page_size=2&page=1');
    const p2 = await request(t.app).get('/open311/v2/requests.json?page_size=2&page=2');
    const p9 = await request(t.app).get('/open311/v2/requests.json?page_size=2&page=9');
    expect([...p1.body, ...p2.body].map((r: Req) => r.service_request_id)).toEqual(
      [...ids].reverse().slice(0, 4),
    );
    expect(p9.status).toBe(200);
    expect(p9.body).toEqual([]);
    const x = await request(t.app).get('/open311/v2/requests.xml?page_size=2&page=9');
    expect(x.text).toContain('<service_requests/>');
  });

  it('when filtered by dates, status and service, then only matching requests come back', async () => {
    const start = encodeURIComponent('2026-11-23T16:30:00Z');
    const res = await request(t.app).get(
      `/open311/v2/requests.json?start_date=${start}&status=open&service_code=${serviceCode}`,
    );
    expect(res.body.map((r: Req) => r.service_request_id)).toEqual([ids[4], ids[3], ids[2]]);
    const closed = await request(t.app).get('/open311/v2/requests.json?status=closed');
    expect(closed.body).toEqual([]);
  });

  it('when dates are bad or the range exceeds 90 days, then 400 naming the parameter', async () => {
    const bad = await request(t.app).get('/open311/v2/requests.json?start_date=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body[0].description).toMatch(/start_date/);
    const long = await request(t.app).get(
      '/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z',
    );
    expect(long.status).toBe(400);
    expect(long.body[0].description).toMatch(/90 days/);
    const both = await request(t.app).get('/open311/v2/requests.json?status=maybe&page=0&bbox=1,2');
    expect(both.status).toBe(400);
    expect(both.body.length).toBe(3);
  });

  it('when filtered by radius or bbox, then only requests inside come back, sorted by distance on request', async () => {
    const near = await request(t.app).get(
      `/open311/v2/requests.json?lat=${HEREFORD.lat}&long=${HEREFORD.long}&radius=200&sort=distance&extensions=true`,
    );
    expect(near.body.map((r: Req) => r.service_request_id).sort()).toEqual(ids.slice(0, 4).sort());
    expect(near.body[0].extended_attributes.distance).toBeLessThan(5);
    const box = await request(t.app).get('/open311/v2/requests.json?bbox=-71.09,42.29,-71.07,42.30');
    expect(box.body.map((r: Req) => r.service_request_id)).toEqual([ids[4]]);
  });

  it('when the pool opens PostgreSQL connections, then each runs without JIT (a radius page is never compiled)', async () => {
    if (t.db.kind !== 'postgres') return; // PGlite is built without LLVM
    // Three connections held at once (each waits for the others), so more than a previous test left open.
    let started = 0;
    let allStarted: () => void = () => {};
    const together = new Promise<void>((resolve) => (allStarted = resolve));
    const settings = await Promise.all(
      [1, 2, 3].map(() =>
        t.db.knex.transaction(async (trx) => {
          const rows = (await trx.raw('SHOW jit')).rows as Array<{ jit: string }>;
          if (++started === 3) allStarted();
          await together;
          return rows[0]!.jit;
        }),
      ),
    );
    expect(settings).toEqual(['off', 'off', 'off']);
  });

  it('when a radius, bbox or distance list is paged, then the pages cut the full list in its order (ties: newest id first)', async () => {
    const near = `lat=${HEREFORD.lat}&long=${HEREFORD.long}&radius=200`;
    const box = 'bbox=-71.2,42.2,-70.9,42.4';
    const newestFirst = [...ids].reverse();
    const cases: Array<[string, string[]]> = [
      [near, newestFirst.slice(1)],
      // Four requests on one spot: equally near, so the newest first.
      [`${near}&sort=distance`, newestFirst.slice(1)],
      ['lat=42.2973&long=-71.0745&radius=20000&sort=distance', [ids[4]!, ...newestFirst.slice(1)]],
      [box, newestFirst],
      [`${box}&sort=updated`, newestFirst],
    ];
    const listed = async (query: string) =>
      ((await request(t.app).get(`/open311/v2/requests.json?${query}`)).body as Req[]).map(
        (r) => r.service_request_id,
      );
    for (const [query, expected] of cases) {
      expect(await listed(query)).toEqual(expected);
      const pages: string[] = [];
      for (let page = 1; page <= 3; page++)
        pages.push(...(await listed(`${query}&page_size=2&page=${page}`)));
      expect(pages).toEqual(expected);
      expect(await listed(`${query}&page_size=2&page=4`)).toEqual([]);
    }
  });

  it('when filtered by updated_after and by district, then incremental sync and area filters work', async () => {
    const after = encodeURIComponent('2026-11-23T18:30:00Z');
    const res = await request(t.app).get(`/open311/v2/requests.json?updated_after=${after}`);
    expect(res.body.map((r: Req) => r.service_request_id)).toEqual([ids[4]]);
    const one = await request(t.app).get(`/open311/v2/requests/${ids[0]}.json?extensions=true`);
    const ward = one.body[0].extended_attributes.ward as string;
    const inWard = await request(t.app).get(
      `/open311/v2/requests.json?district_layer=ward&district=${encodeURIComponent(ward)}`,
    );
    expect(inWard.body.map((r: Req) => r.service_request_id)).toEqual(
      expect.arrayContaining(ids.slice(0, 4)),
    );
    expect(inWard.body.map((r: Req) => r.service_request_id)).not.toContain(ids[4]);
  });

  it('when a service is private, then its requests never appear in public lists or by id', async () => {
    const priv = await findService(t, (s) => s.isPrivate, 'private service');
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({
        api_key: key,
        service_code: priv.serviceCode,
        lat: HEREFORD.lat,
        long: HEREFORD.long,
        ...Object.fromEntries(
          priv.attributes
            .filter((a) => a.required && a.variable)
            .map((a) => [`attribute[${a.code}]`, a.values[0]?.key ?? '1']),
        ),
      });
    expect(res.status).toBe(201);
    const id = res.body[0].service_request_id;
    expect((await request(t.app).get(`/open311/v2/requests/${id}.json`)).status).toBe(404);
    const list = await request(t.app).get('/open311/v2/requests.json');
    expect(list.body.map((r: Req) => r.service_request_id)).not.toContain(id);
  });

  it('when extensions=true, then extended attributes and notes appear in both formats', async () => {
    const { json } = await getBoth(t.app, `/open311/v2/requests/${ids[0]}`, 'extensions=true');
    const r = (
      json as Array<{
        extended_attributes: { detailed_status: string; channel: string };
        notes: unknown[];
        requested_datetime: string;
      }>
    )[0]!;
    expect(r.extended_attributes.detailed_status).toBe('open');
    expect(r.extended_attributes.channel).toBe('web');
    expect(r.notes).toEqual([]);
    expect(String(r.requested_datetime)).toMatch(OFFSET);
  });

  it('when a list is read with and without extensions, then its GeoReport fields are the same (the plain list reads fewer columns)', async () => {
    const near = `lat=${HEREFORD.lat}&long=${HEREFORD.long}&radius=200`;
    for (const query of ['', near, `${near}&sort=distance`, 'bbox=-71.09,42.29,-71.07,42.30']) {
      const plain = await request(t.app).get(`/open311/v2/requests.json?${query}`);
      const extended = await request(t.app).get(`/open311/v2/requests.json?${query}&extensions=true`);
      expect(plain.status).toBe(200);
      expect(plain.body.length).toBeGreaterThan(0);
      expect(
        extended.body.map((r: Record<string, unknown>) => {
          const { extended_attributes, notes, ...standard } = r;
          expect(extended_attributes).toMatchObject({ detailed_status: expect.any(String) });
          expect(notes).toEqual(expect.any(Array));
          return standard;
        }),
      ).toEqual(plain.body);
      const geojson = await request(t.app).get(`/open311/v2/requests.geojson?${query}`);
      expect(geojson.body.features.map((f: { properties: unknown }) => f.properties)).toEqual(plain.body);
    }
  });
});

describe('bracketed list parameters', () => {
  it.each([
    [
      'status[]=closed',
      'status[] is not a parameter of this endpoint; send status=closed (comma-separated for several).',
    ],
    [
      'service_code[0]=X',
      'service_code[0] is not a parameter of this endpoint; send service_code=X (comma-separated for several).',
    ],
    ['lat[]=42.35&long[]=-71.08', 'lat[] is not a parameter of this endpoint; send lat=42.35.'],
  ])(
    'when GET requests.json has %s, then it is a 400 saying how to send it, not the unfiltered list',
    async (query, message) => {
      for (const path of ['/open311/v2/requests.json', '/open311/v2/requests.geojson']) {
        const res = await request(t.app).get(`${path}?${query}`);
        expect(res.status).toBe(400);
        expect(res.body[0]).toEqual({ code: 400, description: message });
      }
    },
  );

  it('when unknown plain or bracketed parameters come along, then they are ignored as before', async () => {
    // A client's own key may come along on reads (FixMyStreet's always_send_api_key); a key is checked
    // when sent (README), so the one sent here is a real one.
    const res = await request(t.app).get(
      `/open311/v2/requests.json?jurisdiction_id=&api_key=${key}&foo[]=1&utm_source=app`,
    );
    expect(res.status).toBe(200);
    const bad = await request(t.app).get('/open311/v2/requests.json?api_key=x&foo[]=1');
    expect(bad.status).toBe(403);
  });
});
