import fc from 'fast-check';
import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, plainService } from './helpers/fixtures';
import { parseXml } from './helpers/xml';

let t: TestServer;
let key: string;
let code: string;
beforeAll(async () => {
  t = await startTestServer({ POST_RATE_LIMIT_PER_MINUTE: '1000000' }); // hundreds of POSTs in a few seconds
  await resetWrites(t.db);
  key = await t.key();
  code = (await plainService(t)).serviceCode;
});
afterAll(() => t.close());

const PARAMS = [
  'service_request_id',
  'service_code',
  'start_date',
  'end_date',
  'status',
  'detailed_status',
  'lat',
  'long',
  'radius',
  'bbox',
  'page',
  'page_size',
  'updated_after',
  'updated_before',
  'agency_responsible',
  'extensions',
  'sort',
  'district_layer',
  'district',
  'jurisdiction_id',
];
const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    '',
    'open,closed',
    '2026-11-01T00:00:00Z',
    '-71.1,42.3,-71.0,42.4',
    '0',
    '-1',
    '1e309',
    'NaN',
    'true',
    'distance',
    'ward',
    "' OR 1=1 --",
    '%00',
    '1,2,3',
  ),
);

describe('properties of the HTTP surface', () => {
  it('when any query string is sent to GET requests, then the answer is 200, 400 or 404 with a well-formed body, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...PARAMS), value, { maxKeys: 6 }),
        fc.constantFrom('json', 'xml'),
        async (params, fmt) => {
          const res = await request(t.app).get(`/open311/v2/requests.${fmt}`).query(params);
          expect([200, 400, 404]).toContain(res.status);
          if (fmt === 'json') expect(Array.isArray(res.body)).toBe(true);
          else expect(['service_requests', 'errors']).toContain((await parseXml(res.text)).root);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('when random POST bodies are sent, then there is never a 5xx and a refused request leaves nothing behind', async () => {
    const field = fc.constantFrom(
      'service_code',
      'lat',
      'long',
      'address_string',
      'address_id',
      'description',
      'email',
      'media_url',
      'attribute[LIGHTS_OUT]',
      'attribute[LANES][]',
      'device_id',
      'first_name',
      'phone',
      'client_request_id',
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(field, value, { maxKeys: 7 }), fc.boolean(), async (body, valid) => {
        const before = Number((await t.db.knex('service_requests').count({ n: '*' }))[0]?.n);
        const send = valid
          ? { ...body, service_code: code, lat: String(HEREFORD.lat), long: String(HEREFORD.long) }
          : body;
        const res = await request(t.app)
          .post('/open311/v2/requests.json')
          .type('form')
          .send({ ...send, api_key: key });
        expect(res.status).toBeLessThan(500);
        const after = Number((await t.db.knex('service_requests').count({ n: '*' }))[0]?.n);
        if (res.status !== 201) {
          expect(after).toBe(before);
          expect(res.body[0]).toEqual({ code: res.status, description: expect.any(String) });
        }
      }),
      { numRuns: 80 },
    );
  });

  it('when any Unicode text is posted as a description, then it reads back exactly, in JSON and in XML', async () => {
    // Text XML can carry (anything else is a 400); markup is stored as written and encoded on output.
    const carriable = (s: string) =>
      // eslint-disable-next-line no-control-regex
      !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDFFF]/.test(s) && s.trim() !== '';
    const text = fc
      .oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
        fc.constantFrom(
          '<&>"\'',
          'a < b && c > d',
          'ü ñ 中文 😀 👩‍👩‍👧',
          'مرحبا بالعالم',
          'a\r\nb\rc\td',
          ']]>',
          '&amp; &lt;',
          '<scr<b>ipt>alert(1)</script>',
          '<!-- c --> <b>bold</b>',
        ),
      )
      .filter(carriable);
    await fc.assert(
      fc.asyncProperty(text, async (t0) => {
        const res = await request(t.app).post('/open311/v2/requests.json').type('form').send({
          api_key: key,
          service_code: code,
          lat: HEREFORD.lat,
          long: HEREFORD.long,
          description: t0,
        });
        expect(res.status).toBe(201);
        const id = res.body[0].service_request_id;
        const j = await request(t.app).get(`/open311/v2/requests/${id}.json`);
        const x = await request(t.app).get(`/open311/v2/requests/${id}.xml`);
        const fromXml = ((await parseXml(x.text)).body as Array<{ description: string }>)[0]!.description;
        expect(j.body[0].description).toBe(t0.normalize('NFC').trim());
        expect(fromXml).toBe(j.body[0].description);
      }),
      { numRuns: 80 },
    );
  });
});
