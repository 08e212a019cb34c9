import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { getBoth } from './helpers/xml';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

type ServiceJson = {
  service_code: string;
  metadata: boolean;
  type: string;
  keywords: string | null;
  group: string | null;
};

describe('discovery', () => {
  it.each(['/open311/discovery', '/open311/v2/discovery'])(
    'when %s is read, then both formats describe the v2 endpoint',
    async (path) => {
      const { status, json } = await getBoth(t.app, path);
      expect(status).toBe(200);
      const d = json as {
        endpoints: Array<{ specification: string; url: string; formats: string[]; type: string }>;
        changeset: string;
      };
      expect(d.endpoints[0]?.specification).toBe('http://wiki.open311.org/GeoReport_v2');
      expect(d.endpoints[0]?.url).toMatch(/\/open311\/v2$/);
      expect(d.endpoints[0]?.formats).toEqual(['text/xml', 'application/json']);
      expect(d.changeset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    },
  );

  it('when PUBLIC_URL is set, then discovery uses it', async () => {
    const s = await startTestServer({ PUBLIC_URL: 'https://311.example.gov/' });
    try {
      const res = await request(s.app).get('/open311/discovery.json');
      expect(res.body.endpoints[0].url).toBe('https://311.example.gov/open311/v2');
    } finally {
      await s.close();
    }
  });
});

describe('services', () => {
  it('when the list is read, then it has the demo catalog in both formats with string codes and boolean metadata', async () => {
    const { status, json } = await getBoth(t.app, '/open311/v2/services');
    expect(status).toBe(200);
    const services = json as ServiceJson[];
    expect(services.length).toBeGreaterThanOrEqual(100);
    for (const s of services) {
      expect(typeof s.service_code).toBe('string');
      expect(typeof s.metadata).toBe('boolean');
      expect(['realtime', 'batch', 'blackbox']).toContain(s.type);
    }
    expect(services.some((s) => s.metadata)).toBe(true);
  });

  it('when jurisdiction_id is empty, then it is treated as absent; when unknown, then 404', async () => {
    expect((await request(t.app).get('/open311/v2/services.json?jurisdiction_id=')).status).toBe(200);
    expect((await request(t.app).get('/open311/v2/services.json?jurisdiction_id=boston')).status).toBe(200);
    const res = await request(t.app).get('/open311/v2/services.xml?jurisdiction_id=springfield');
    expect(res.status).toBe(404);
    expect(res.text).toContain('<errors><error><code>404</code><description>');
  });

  it('when a definition is read, then attributes carry every Open311 member in both formats', async () => {
    const services = (await request(t.app).get('/open311/v2/services.json')).body as ServiceJson[];
    const withMetadata = services.filter((s) => s.metadata);
    const datatypes = new Set<string>();
    for (const s of withMetadata) {
      const { status, json } = await getBoth(t.app, `/open311/v2/services/${s.service_code}`);
      expect(status).toBe(200);
      const def = json as { service_code: string; attributes: Array<Record<string, unknown>> };
      expect(def.service_code).toBe(s.service_code);
      expect(def.attributes.length).toBeGreaterThan(0);
      for (const a of def.attributes) {
        expect(Object.keys(a)).toEqual([
          'variable',
          'code',
          'datatype',
          'required',
          'datatype_description',
          'order',
          'description',
          'values',
        ]);
        datatypes.add(String(a.datatype));
      }
    }
    // The demo catalog shows every datatype the standard has.
    expect([...datatypes].sort()).toEqual([
      'datetime',
      'multivaluelist',
      'number',
      'singlevaluelist',
      'string',
      'text',
    ]);
  });

  it('when the service code is unknown, then 404 in the requested format', async () => {
    const res = await request(t.app).get('/open311/v2/services/NOPE.json');
    expect(res.status).toBe(404);
    expect(res.body).toEqual([{ code: 404, description: expect.stringContaining('NOPE') }]);
  });
});

describe('formats and unknown paths', () => {
  it('when the suffix is not json or xml, then 404 with a JSON error', async () => {
    const res = await request(t.app).get('/open311/v2/services.yaml');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body[0].code).toBe(404);
  });

  it('when a path does not exist, then 404 in the format of its suffix', async () => {
    const res = await request(t.app).get('/open311/v2/nothing.xml');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
  });

  it('when health is asked, then healthz and readyz answer', async () => {
    expect((await request(t.app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(t.app).get('/readyz')).status).toBe(200);
  });

  it('when any response is sent, then it carries an X-Request-Id, echoing a sane incoming one', async () => {
    const res = await request(t.app).get('/healthz').set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    const res2 = await request(t.app).get('/healthz').set('X-Request-Id', 'bad id with spaces');
    expect(res2.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
