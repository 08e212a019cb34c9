/**
 * What only some routes need is loaded when first used, not at start (issue #21, target 5): the app's
 * modules load none of it, the routes that need it still work, and a module that cannot be loaded fails
 * the request that needs it loudly (a 500), never as a 400 blaming the client's input.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { disableDuplicateDetection, HEREFORD, plainService } from './helpers/fixtures';

// A sharp that cannot be loaded (as when its native binary is missing for this platform).
jest.mock('sharp', () => {
  throw new Error('Could not load the "sharp" module using the linux-x64 runtime (test)');
});

/** A 1×1 PNG, made without sharp. */
const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

let t: TestServer;
let mediaDir: string;

beforeAll(async () => {
  mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-media-test-'));
  t = await startTestServer({ MEDIA_DIR: mediaDir });
  await disableDuplicateDetection(t);
});
afterAll(async () => {
  await t.close();
  fs.rmSync(mediaDir, { recursive: true, force: true });
});

describe('modules loaded on first use', () => {
  it('when the app, bootstrap and worker are loaded, then sharp, pdf-lib, the S3 SDK, undici, Ajv, yaml, xml2js and PGlite are not', () => {
    // PGlite: loaded when an embedded database is opened.
    const lazy = [
      'sharp',
      'pdf-lib',
      '@aws-sdk/client-s3',
      'undici',
      'ajv',
      'yaml',
      'xml2js',
      'file-type',
      '@electric-sql/pglite',
    ];
    // A fresh node (jest's own module registry hides what a real process loads), through tsx as `npm run dev`.
    const script = `
      require('./src/app'); require('./src/bootstrap'); require('./src/worker');
      const loaded = Object.keys(require.cache).map((f) => f.replace(/\\\\/g, '/'));
      const lazy = ${JSON.stringify(lazy)};
      process.stdout.write(JSON.stringify(lazy.filter((m) => loaded.some((f) => f.includes('/node_modules/' + m + '/')))));
    `;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(JSON.parse(out)).toEqual([]);
  });

  it('when /docs/swagger-ui-init.js is the first thing asked of a new app, then it already holds the OpenAPI document', async () => {
    const res = await request(t.app).get('/docs/swagger-ui-init.js');
    expect(res.status).toBe(200);
    expect(res.text).toContain('"openapi": "3.1.0"');
    expect((await request(t.app).get('/docs/')).text).toContain('<title>Open311 API</title>');
  });

  it('when bad input arrives, then Ajv (loaded on first use) answers with the same Open311 error list', async () => {
    const res = await request(t.app).get('/open311/v2/requests.json?page_size=abc');
    expect(res.status).toBe(400);
    expect(res.body).toEqual([
      { code: 400, description: 'page_size must be a whole number from 1 to 1000 (got "abc").' },
    ]);
  });

  it('when sharp cannot be loaded and a photo is posted, then the answer is a 500 (not a 400 blaming the photo) and nothing is written', async () => {
    const { serviceCode } = await plainService(t);
    const key = await t.key('client', 'mobile');
    const before = Number((await t.db.knex('service_requests').count<{ n: string }[]>('* as n'))[0]?.n);
    // A report with one file, by multipart as a phone app sends it.
    const post = (description: string, file: Buffer, filename: string, contentType: string) =>
      request(t.app)
        .post('/open311/v2/requests.json')
        .field('api_key', key)
        .field('service_code', serviceCode)
        .field('lat', String(HEREFORD.lat))
        .field('long', String(HEREFORD.long))
        .field('description', description)
        .attach('media', file, { filename, contentType });
    const res = await post('Pothole', PNG_1X1, 'photo.png', 'image/png');
    expect(res.status).toBe(500);
    expect(res.body).toEqual([{ code: 500, description: expect.any(String) }]);
    const after = Number((await t.db.knex('service_requests').count<{ n: string }[]>('* as n'))[0]?.n);
    expect(after).toBe(before);
    // A PDF needs no sharp: the same route still takes it.
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
        '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    );
    const ok = await post('Pothole, with the form', pdf, 'form.pdf', 'application/pdf');
    expect(ok.status).toBe(201);
  });
});
