import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { startTestServer, type TestServer } from './helpers/app';
import { TEMPLATE_NOW } from './helpers/template';

/**
 * What existing clients already parse: real responses from other cities (test/fixtures/real-cities) and
 * the Open311 project's JSON Schemas (test/fixtures/open311-schemas). Our output for the same call must
 * have every element path theirs has, and validate against the official schemas.
 */
const FIXTURES = path.join(__dirname, 'fixtures');
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  t.clock.set(TEMPLATE_NOW.toISOString());
});
afterAll(() => t.close());

/** Every element path in an XML document, e.g. "services/service/keywords". */
async function xmlPaths(text: string): Promise<Set<string>> {
  const doc = (await parseStringPromise(text, { explicitArray: true })) as Record<string, unknown>;
  const out = new Set<string>();
  const walk = (node: unknown, prefix: string) => {
    out.add(prefix);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node as Record<string, unknown[]>)) {
        if (k === '$' || k === '_') continue;
        for (const child of v) walk(child, `${prefix}/${k}`);
      }
    }
  };
  for (const [root, node] of Object.entries(doc)) walk(node, root);
  return out;
}

const jsonKeys = (list: Array<Record<string, unknown>>) => new Set(list.flatMap((o) => Object.keys(o)));
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, 'real-cities', name), 'utf8');

describe('shapes real clients parse', () => {
  it.each([
    ['dc-services.xml', '/open311/v2/services.xml'],
    ['dc-discovery.xml', '/open311/discovery.xml'],
    ['boston-error-duplicate.xml', '/open311/v2/services/NOPE.xml'],
    ['toronto-requests.xml', '/open311/v2/requests.xml'],
  ])('when %s is compared with our %s, then every element path it has, we have', async (file, url) => {
    const theirs = await xmlPaths(fixture(file));
    const ours = await xmlPaths((await request(t.app).get(url)).text);
    expect([...theirs].filter((p) => !ours.has(p))).toEqual([]);
  });

  it('when a real service definition is compared with ours, then attributes and values nest the same way', async () => {
    const theirs = await xmlPaths(fixture('dc-service-definition-S0301.xml'));
    const ours = await xmlPaths((await request(t.app).get('/open311/v2/services/REQPOTHL.xml')).text);
    expect([...theirs].filter((p) => !ours.has(p))).toEqual([]);
  });

  it('when Bloomington JSON is compared with ours, then our requests and services carry all their keys', async () => {
    const theirRequests = jsonKeys(JSON.parse(fixture('bloomington-requests.json')));
    const ourRequests = jsonKeys((await request(t.app).get('/open311/v2/requests.json')).body);
    expect([...theirRequests].filter((k) => !ourRequests.has(k))).toEqual([]);
    const theirServices = jsonKeys(JSON.parse(fixture('bloomington-services.json')));
    const ourServices = jsonKeys((await request(t.app).get('/open311/v2/services.json')).body);
    expect([...theirServices].filter((k) => !ourServices.has(k))).toEqual([]);
  });
});

describe('official GeoReport v2 JSON Schemas', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of [
    'service.json',
    'services.json',
    'service-definition.json',
    'request.json',
    'requests.json',
  ]) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'open311-schemas', f), 'utf8')), f);
  }
  const check = (schema: string, body: unknown) => {
    const validate = ajv.getSchema(schema);
    if (!validate) throw new Error(`no schema ${schema}`);
    const ok = validate(body);
    if (!ok) throw new Error(`${schema}: ${ajv.errorsText(validate.errors)}`);
  };

  it('when services, a definition, requests and one request are read, then each validates', async () => {
    check('services.json', (await request(t.app).get('/open311/v2/services.json')).body);
    for (const code of ['REQPOTHL', 'STRLGTOUT', 'MTRECYDBI', 'BIRDINFEST']) {
      check('service-definition.json', (await request(t.app).get(`/open311/v2/services/${code}.json`)).body);
    }
    const list = (await request(t.app).get('/open311/v2/requests.json')).body;
    expect(list.length).toBeGreaterThan(100);
    check('requests.json', list);
    check(
      'requests.json',
      (await request(t.app).get(`/open311/v2/requests/${list[0].service_request_id}.json`)).body,
    );
  });

  it('when a request breaks the schema (a numeric id), then validation fails, so the check above can fail', () => {
    expect(() =>
      check('request.json', {
        service_request_id: 1,
        status: 'open',
        service_code: 'X',
        requested_datetime: '2026-11-20T10:00:00-05:00',
      }),
    ).toThrow(/service_request_id/);
  });
});
