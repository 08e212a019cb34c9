/**
 * Fuzzing in the suite (issue #15.3, #16.3): random path segments, query strings and bodies against every
 * public and authenticated route, on whichever database the run uses. Every answer is below 500 and
 * well-formed in its content type (JSON parses, XML parses; errors are Open311 error lists), and a refused
 * request writes nothing. numRuns are bounded so the file stays well under a minute per database.
 */
import fc from 'fast-check';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService } from './helpers/factories';
import { HEREFORD } from './helpers/fixtures';
import { parseXml } from './helpers/xml';

let t: TestServer;
let client: string;
let staff: string;
let code: string;
let requestId: string;
beforeAll(async () => {
  t = await startTestServer({
    POST_RATE_LIMIT_PER_MINUTE: '1000000',
    STAFF_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  await resetWrites(t.db);
  client = await t.key();
  staff = await t.key('staff');
  code = (await buildService(t)).serviceCode;
  const made = await request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({ api_key: client, service_code: code, lat: HEREFORD.lat, long: HEREFORD.long });
  requestId = made.body[0].service_request_id as string;
}, 180_000);
afterAll(() => t.close());

/** Tables some route writes: a refused request must leave every count as it was. */
const WRITTEN = [
  'service_requests',
  'request_history',
  'request_contacts',
  'request_tokens',
  'api_keys',
  'webhook_subscriptions',
  'duplicate_rules',
  'escalation_rules',
  'outbox',
  'surveys',
  'districts',
  'service_response_levels',
  'business_calendars',
];
async function counts(): Promise<number[]> {
  const row = (
    await t.db.knex.raw(`SELECT ${WRITTEN.map((w) => `(SELECT count(*) FROM ${w})::int AS ${w}`).join(', ')}`)
  ).rows[0] as Record<string, number>;
  return WRITTEN.map((w) => Number(row[w]));
}

/** Text that hurts: controls, lone surrogates, huge numbers, dates past any range, SQL and markup. */
const nasty = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '\u0001',
    '\uD800',
    '\uFFFF',
    '1e309',
    '-1',
    'NaN',
    '+275760-09-13T00:00:00Z',
    '9999-12-31T23:59:59-14:00',
    '0000-01-01T00:00:00Z',
    '2026-11-20T10:00:00-05:00',
    '-180,-90,180,90',
    '-179,-89,179,89',
    '180,0,-180,1',
    "' OR 1=1 --",
    '<scr<b>ipt>',
    '=cmd|"/c calc"!A1',
    'true',
    'open',
    'ward',
    'boston',
    '%FF',
    '%',
    '..',
    'x'.repeat(300),
  ),
);

/** A path segment: usually encoded, sometimes raw percent junk that does not decode. */
const segment = fc.oneof(
  nasty.map((s) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return '%ED%A0%80'; // a lone surrogate, as its UTF-8-ish bytes
    }
  }),
  fc.constantFrom('%FF', '%E0%A4%A', '%', '%00', '%01', '1', 'boston', '999999999999999999999'),
);

interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  path: (seg: string) => string;
  auth: 'none' | 'client' | 'staff' | 'admin';
  fields: string[];
}

const OPEN311_LIST = [
  'service_request_id',
  'service_code',
  'start_date',
  'end_date',
  'status',
  'lat',
  'long',
  'radius',
  'bbox',
  'agency_responsible',
  'district_layer',
  'district',
  'updated_after',
  'page_size',
  'sort',
  'jurisdiction_id',
];
const POST_FIELDS = [
  'service_code',
  'lat',
  'long',
  'address_string',
  'address_id',
  'description',
  'email',
  'media_url',
  'attribute[x]',
  'client_request_id',
  'first_name',
];

const ROUTES: Route[] = [
  { method: 'get', path: () => '/open311/discovery.json', auth: 'none', fields: [] },
  {
    method: 'get',
    path: (s) => `/open311/v2/services.${s === '1' ? 'xml' : 'json'}`,
    auth: 'none',
    fields: ['jurisdiction_id'],
  },
  { method: 'get', path: (s) => `/open311/v2/services/${s}.json`, auth: 'none', fields: ['jurisdiction_id'] },
  { method: 'get', path: (s) => `/open311/v2/services/${s}.xml`, auth: 'none', fields: [] },
  { method: 'get', path: () => '/open311/v2/requests.json', auth: 'none', fields: OPEN311_LIST },
  { method: 'get', path: () => '/open311/v2/requests.xml', auth: 'none', fields: OPEN311_LIST },
  { method: 'get', path: (s) => `/open311/v2/requests/${s}.xml`, auth: 'none', fields: ['extensions'] },
  { method: 'get', path: (s) => `/open311/v2/tokens/${s}.json`, auth: 'none', fields: [] },
  {
    method: 'get',
    path: () => '/open311/v2/addresses.json',
    auth: 'none',
    fields: ['q', 'lat', 'long', 'radius', 'limit'],
  },
  {
    method: 'get',
    path: () => '/open311/v2/servicerequestupdates.xml',
    auth: 'none',
    fields: ['start_date', 'end_date', 'service_request_id'],
  },
  {
    method: 'get',
    path: (s) => `/open311/v2/bulk/requests.${s === '1' ? 'csv' : 'ndjson'}`,
    auth: 'none',
    fields: [...OPEN311_LIST, 'raw', 'bom'],
  },
  {
    method: 'get',
    path: () => '/dashboard/api/summary',
    auth: 'none',
    fields: ['start_date', 'end_date', 'layer', 'service_code'],
  },
  { method: 'get', path: (s) => `/dashboard/api/layers/${s}.geojson`, auth: 'none', fields: [] },
  {
    method: 'get',
    path: () => '/dashboard/api/points.geojson',
    auth: 'none',
    fields: ['start_date', 'end_date'],
  },
  { method: 'get', path: (s) => `/surveys/${s}`, auth: 'none', fields: [] },
  { method: 'post', path: (s) => `/surveys/${s}`, auth: 'none', fields: ['rating', 'comment'] },
  { method: 'post', path: () => '/open311/v2/requests.json', auth: 'client', fields: POST_FIELDS },
  { method: 'post', path: () => '/open311/v2/requests.xml', auth: 'client', fields: POST_FIELDS },
  {
    method: 'post',
    path: () => '/open311/v2/servicerequestupdates.json',
    auth: 'staff',
    fields: ['service_request_id', 'update_id', 'status', 'description', 'updated_datetime', 'media_url'],
  },
  { method: 'get', path: (s) => `/staff/v1/requests/${s}`, auth: 'staff', fields: [] },
  {
    method: 'get',
    path: () => '/staff/v1/requests',
    auth: 'staff',
    fields: [
      'agency_code',
      'assigned_to',
      'assigned',
      'overdue',
      'priority',
      'page_size',
      'status',
      'start_date',
    ],
  },
  { method: 'get', path: () => `/staff/v1/requests/${requestId}/history`, auth: 'staff', fields: [] },
  {
    method: 'post',
    path: (s) => `/staff/v1/requests/${s === '1' ? requestId : s}/status`,
    auth: 'staff',
    fields: ['detailed_status', 'note', 'public'],
  },
  {
    method: 'post',
    path: () => `/staff/v1/requests/${requestId}/notes`,
    auth: 'staff',
    fields: ['text', 'public'],
  },
  {
    method: 'post',
    path: () => `/staff/v1/requests/${requestId}/transfer`,
    auth: 'staff',
    fields: ['agency_code', 'note', 'public'],
  },
  {
    method: 'post',
    path: () => `/staff/v1/requests/${requestId}/priority`,
    auth: 'staff',
    fields: ['priority'],
  },
  {
    method: 'post',
    path: () => `/staff/v1/requests/${requestId}/assign`,
    auth: 'staff',
    fields: ['assigned_to'],
  },
  {
    method: 'post',
    path: () => `/staff/v1/requests/${requestId}/link`,
    auth: 'staff',
    fields: ['parent_service_request_id'],
  },
  {
    method: 'post',
    path: () => `/staff/v1/requests/${requestId}/merge`,
    auth: 'staff',
    fields: ['into_service_request_id'],
  },
  { method: 'post', path: () => '/staff/v1/requests', auth: 'staff', fields: POST_FIELDS },
  {
    method: 'post',
    path: () => '/admin/v1/api-keys',
    auth: 'admin',
    fields: ['name', 'role', 'channel', 'jurisdiction_id'],
  },
  {
    method: 'get',
    path: (s) => `/admin/v1/reports/${s === '1' ? 'sla' : s}`,
    auth: 'admin',
    fields: ['start_date', 'end_date', 'group_by', 'format'],
  },
  {
    method: 'post',
    path: () => '/admin/v1/webhooks',
    auth: 'admin',
    fields: ['url', 'events', 'secret', 'service_codes'],
  },
  { method: 'delete', path: (s) => `/admin/v1/webhooks/${s}`, auth: 'admin', fields: [] },
  { method: 'get', path: (s) => `/admin/v1/webhooks/${s}/deliveries`, auth: 'admin', fields: [] },
  { method: 'post', path: (s) => `/admin/v1/webhooks/${s}/retry`, auth: 'admin', fields: ['dead', 'since'] },
  {
    method: 'post',
    path: (s) => `/admin/v1/webhooks/${s}/deliveries/${s}/retry`,
    auth: 'admin',
    fields: [],
  },
  {
    method: 'put',
    path: (s) => `/admin/v1/jurisdictions/${s === '1' ? 'boston' : s}/calendar`,
    auth: 'admin',
    fields: ['working_hours', 'holidays'],
  },
  {
    method: 'put',
    path: (s) => `/admin/v1/services/${s === '1' ? code : s}/duplicate-rule`,
    auth: 'admin',
    fields: ['radius_metres', 'window_hours', 'statuses', 'related_service_codes', 'enabled'],
  },
  {
    method: 'put',
    path: (s) => `/admin/v1/services/${s === '1' ? code : s}/response-levels`,
    auth: 'admin',
    fields: ['levels', 'normal'],
  },
  {
    method: 'post',
    path: () => '/admin/v1/escalation-rules',
    auth: 'admin',
    fields: ['name', 'service_code', 'steps', 'after'],
  },
  { method: 'put', path: (s) => `/admin/v1/escalation-rules/${s}`, auth: 'admin', fields: ['name', 'steps'] },
  {
    method: 'post',
    path: (s) => `/admin/v1/jurisdictions/boston/geography/${s === '1' ? 'districts:ward' : s}`,
    auth: 'admin',
    fields: ['type', 'features'],
  },
];

const keyFor = (auth: Route['auth']) =>
  auth === 'client' ? client : auth === 'staff' ? staff : auth === 'admin' ? ADMIN_KEY : undefined;

/** A field value: text, a list, or (JSON only) a number, boolean, null or object. */
const fieldValue = fc.oneof(
  { weight: 6, arbitrary: nasty },
  { weight: 1, arbitrary: fc.array(nasty, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, 0, -1e308, { a: 'b' }, [{}]) },
);

type BodyKind = 'json' | 'form' | 'multipart' | 'broken';

function multipartBody(fields: Record<string, unknown>, boundary: string): string {
  const parts = Object.entries(fields).map(
    ([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${String(v)}\r\n`,
  );
  return `${parts.join('')}--${boundary}--\r\n`;
}

/** Sends a body in one of the three content types, or a broken one (truncated, wrong encoding). */
function withBody(
  req: request.Test,
  kind: BodyKind,
  fields: Record<string, unknown>,
  cut: number,
): request.Test {
  switch (kind) {
    case 'json':
      return req.set('Content-Type', 'application/json').send(JSON.stringify(fields));
    case 'form': {
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields))
        flat[k] = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      return req.type('form').send(flat);
    }
    case 'multipart':
      return req
        .set('Content-Type', 'multipart/form-data; boundary=fuzzB0undary')
        .send(multipartBody(fields, 'fuzzB0undary'));
    case 'broken': {
      const choices = [
        ['application/json', JSON.stringify(fields).slice(0, cut)],
        ['multipart/form-data; boundary=fuzzB0undary', multipartBody(fields, 'fuzzB0undary').slice(0, cut)],
        ['multipart/form-data', multipartBody(fields, 'x')],
        ['application/json; charset=utf-7', JSON.stringify(fields)],
        ['application/x-www-form-urlencoded', '%E0%A4%A=1&a=%'],
      ] as const;
      const [type, body] = choices[cut % choices.length]!;
      return req.set('Content-Type', type).send(body);
    }
  }
}

async function expectWellFormed(res: request.Response): Promise<void> {
  expect(res.status).toBeLessThan(500);
  const type = String(res.headers['content-type'] ?? '');
  if (res.status === 204 || res.status === 304) return;
  if (type.includes('json')) {
    const body = type.includes('ndjson')
      ? res.text
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as unknown)
      : (JSON.parse(res.text) as unknown);
    if (res.status >= 400) {
      expect(Array.isArray(body) && body.length > 0).toBe(true);
      for (const e of body as unknown[])
        expect(e).toEqual({ code: res.status, description: expect.any(String) });
    }
  } else if (type.includes('xml')) {
    const parsed = await parseXml(res.text);
    if (res.status >= 400) expect(parsed.root).toBe('errors');
  } else if (res.status >= 400) {
    // Only the survey page answers errors in HTML (it is a page for residents).
    expect(type).toMatch(/text\/html/);
  }
}

describe('fuzzing every route', () => {
  it('when any route gets random path segments, query strings and bodies, then there is no 5xx, every answer is well-formed, and a refused request writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES).chain((route) =>
          fc.tuple(
            fc.constant(route),
            // Known field names (so validation runs deep), with random values.
            fc.dictionary(fc.constantFrom(...(route.fields.length ? route.fields : ['x'])), fieldValue, {
              maxKeys: 6,
            }),
          ),
        ),
        segment,
        fc.boolean(),
        fc.constantFrom<BodyKind>('json', 'form', 'multipart', 'broken'),
        fc.nat(400),
        fc.context(),
        fc.dictionary(fc.string({ maxLength: 12 }), fieldValue, { maxKeys: 2 }),
        async ([route, fields], seg, useKnown, kind, cut, ctx, extra) => {
          const values: Record<string, unknown> = useKnown ? fields : { ...fields, ...extra };
          const before = await counts();
          let req = request(t.app)[route.method](route.path(seg));
          const key = keyFor(route.auth);
          if (key) req = req.set('X-Api-Key', key);
          if (route.method === 'get' || route.method === 'delete') {
            const query: Record<string, string> = {};
            for (const [k, v] of Object.entries(values))
              query[k] = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
            req = req.query(query);
          } else {
            req = withBody(req, kind, values, cut);
          }
          const res = await req;
          ctx.log(`${route.method} ${route.path(seg)} ${kind} → ${res.status} ${res.text.slice(0, 200)}`);
          await expectWellFormed(res);
          if (res.status >= 400) expect(await counts()).toEqual(before);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  }, 120_000);

  it('when POST requests get random bodies in all three content types, or broken ones, then there is no 5xx and a refused request writes nothing', async () => {
    const field = fc.constantFrom(...POST_FIELDS, 'attribute[LANES][]', 'phone', 'device_id', 'api_key');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(field, fieldValue, { maxKeys: 7 }),
        fc.boolean(),
        fc.constantFrom<BodyKind>('json', 'form', 'multipart', 'broken'),
        fc.nat(400),
        async (body, valid, kind, cut) => {
          const fields = valid
            ? { ...body, service_code: code, lat: String(HEREFORD.lat), long: String(HEREFORD.long) }
            : body;
          const before = await counts();
          const res = await withBody(
            request(t.app).post('/open311/v2/requests.json').set('X-Api-Key', client),
            kind,
            fields,
            cut,
          );
          await expectWellFormed(res);
          if (res.status !== 201) expect(await counts()).toEqual(before);
        },
      ),
      { numRuns: Math.ceil(Number(process.env.FUZZ_RUNS ?? 300) / 2) },
    );
  }, 120_000);
});
