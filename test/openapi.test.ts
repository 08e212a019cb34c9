import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { HEREFORD, plainService } from './helpers/fixtures';
import { expectMatchesSpec, findOperation } from './helpers/openapi';
import { TEMPLATE_NOW } from './helpers/template';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  t.clock.set(TEMPLATE_NOW.toISOString());
});
afterAll(() => t.close());

describe('spec/openapi.yaml', () => {
  it('when the routers are read, then every route they declare is in the document', () => {
    const files = [
      'src/open311/routes.ts',
      'src/open311/updates-routes.ts',
      'src/opendata/routes.ts',
      'src/staff/routes.ts',
      'src/staff/media-routes.ts',
      'src/media/routes.ts',
      ...fs.readdirSync(path.resolve(__dirname, '../src/admin')).map((f) => `src/admin/${f}`),
    ];
    const prefix: Record<string, string> = {
      'src/open311': '/open311',
      'src/opendata': '/open311',
      'src/staff': '/staff/v1',
      'src/media': '/media',
      'src/admin': '/admin/v1',
    };
    const missing: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(path.resolve(__dirname, '..', file), 'utf8');
      for (const m of text.matchAll(/router\.(get|post|put|delete)\(\s*'([^']+)'/g)) {
        const route = `${prefix[path.dirname(file)]}${m[2]}`.replace(/:([a-z_]+)/g, '{$1}');
        const sample = route
          .replace(/\{format\}/, 'json')
          .replace(/\{bulkformat\}/, 'csv')
          .replace(/\{[a-z_]+\}/g, 'x1');
        if (!findOperation(m[1] as string, sample)) missing.push(`${m[1]?.toUpperCase()} ${route}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('when each endpoint answers, then its JSON matches the document, errors included', async () => {
    const key = await t.key('client');
    const staff = await t.key('staff', 'staff');
    const code = (await plainService(t)).serviceCode;
    const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
    const calls: Array<[string, string, (r: request.Test) => request.Test]> = [
      ['GET', '/open311/discovery.json', (r) => r],
      ['GET', '/open311/v2/services.json', (r) => r],
      ['GET', '/open311/v2/services/REQPOTHL.json', (r) => r],
      ['GET', '/open311/v2/services/NOPE.json', (r) => r],
      ['GET', '/open311/v2/requests.json?extensions=true&page_size=50', (r) => r],
      ['GET', '/open311/v2/requests.json?start_date=tomorrow', (r) => r],
      ['GET', '/open311/v2/requests/1.json', (r) => r],
      ['GET', '/open311/v2/tokens/none.json', (r) => r],
      [
        'GET',
        '/open311/v2/servicerequestupdates.json?start_date=2026-09-01T00:00:00Z&end_date=2026-11-21T00:00:00Z',
        (r) => r,
      ],
      ['GET', '/open311/v2/addresses.json?q=29 hereford', (r) => r],
      ['GET', '/open311/v2/addresses.json', (r) => r],
      [
        'POST',
        '/open311/v2/requests.json',
        (r) =>
          r.type('form').send({ api_key: key, service_code: code, lat: HEREFORD.lat, long: HEREFORD.long }),
      ],
      ['POST', '/open311/v2/requests.json', (r) => r.type('form').send({ service_code: code })],
      ['POST', '/open311/v2/requests.json', (r) => r.type('form').send({ api_key: key })],
      ['POST', '/open311/v2/requests.json', (r) => r.set('Content-Type', 'text/plain').send('x')],
      [
        'POST',
        '/admin/v1/api-keys',
        (r) => r.set(admin).send({ name: 'spec test', role: 'client', channel: 'mobile' }),
      ],
      ['GET', '/admin/v1/api-keys', (r) => r.set(admin)],
      [
        'POST',
        '/staff/v1/requests',
        (r) =>
          r
            .set('Authorization', `Bearer ${staff}`)
            .send({ service_code: code, lat: HEREFORD.lat, long: HEREFORD.long, channel: 'phone' }),
      ],
    ];
    for (const [method, url, build] of calls) {
      const res = await build(method === 'GET' ? request(t.app).get(url) : request(t.app).post(url));
      expectMatchesSpec(method, url, res.status, res.body);
    }
    const one = (await request(t.app).get('/open311/v2/requests.json?page_size=1')).body[0]
      .service_request_id;
    const history = await request(t.app)
      .get(`/staff/v1/requests/${one}/history`)
      .set('Authorization', `Bearer ${staff}`);
    expectMatchesSpec('GET', `/staff/v1/requests/${one}/history`, history.status, history.body);
  });

  it('when a body drifts from the document, then the check fails', () => {
    expect(() => expectMatchesSpec('GET', '/open311/v2/services.json', 200, [{ service_code: 1 }])).toThrow(
      /does not match/,
    );
  });

  it('when /docs and /openapi.yaml are asked for, then the document is served', async () => {
    expect((await request(t.app).get('/openapi.yaml')).text).toContain('openapi: 3.1.0');
    expect((await request(t.app).get('/docs/')).status).toBe(200);
    const page = await request(t.app).get('/docs');
    expect([page.status, page.text]).toEqual([expect.any(Number), expect.any(String)]);
    expect((await request(t.app).get('/docs/swagger-ui-init.js')).text).toContain('openapi');
    expect((await request(t.app).get('/docs/swagger-ui.css')).status).toBe(200);
  });

  it('when any other path under /docs is asked for, then a 404 in the Open311 error format', async () => {
    for (const path of [
      '/docs/..%2f..%2f.env',
      '/docs/package.json',
      '/docs/swagger-initializer.js',
      '/docs/x/y',
    ]) {
      const res = await request(t.app).get(path);
      expect([path, res.status, res.headers['content-type']]).toEqual([
        path,
        404,
        expect.stringMatching(/json/),
      ]);
      expect(res.body[0].code).toBe(404);
    }
  });
});
