/**
 * Response compression: text answers of 1 KB or more are gzip-compressed when the client asks (and only
 * then), `Vary: Accept-Encoding` is sent, streamed exports stay whole, ETag/304 still work, and photos and
 * files are never compressed.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { disableDuplicateDetection, HEREFORD, plainService } from './helpers/fixtures';
import { jpegWithGps } from './helpers/images';
import { plainPdf } from './helpers/pdfs';
import { TEMPLATE_NOW } from './helpers/template';

let t: TestServer;
let server: http.Server;
let port: number;
let mediaDir: string;

beforeAll(async () => {
  mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'compression-test-'));
  t = await startTestServer({
    MEDIA_DIR: mediaDir,
    PUBLIC_URL: 'https://311.example.test',
    MEDIA_MAX_PDF_PAGES: '20',
  });
  t.clock.set(TEMPLATE_NOW.toISOString());
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
  fs.rmSync(mediaDir, { recursive: true, force: true });
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
/** A GET with exactly these headers (supertest would add its own Accept-Encoding), the body as sent. */
const get = (urlPath: string, headers: Record<string, string> = {}) =>
  new Promise<Raw>((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path: urlPath, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });

const varies = (r: Raw) =>
  String(r.headers.vary ?? '')
    .toLowerCase()
    .split(/\s*,\s*/)
    .includes('accept-encoding');

describe('compression of text answers', () => {
  it.each([
    '/open311/v2/requests.json?page_size=1000',
    '/open311/v2/requests.xml?page_size=1000',
    '/open311/v2/services.json',
    '/open311/v2/bulk/requests.csv',
    '/open311/v2/bulk/requests.ndjson',
    '/open311/v2/bulk/requests.geojson',
    '/dashboard/',
    '/dashboard/vendor/chart.umd.min.js',
    '/openapi.yaml',
  ])(
    'when %s is asked with and without Accept-Encoding: gzip, then the gzip answer decodes to the same bytes',
    async (url) => {
      const plain = await get(url);
      const gzip = await get(url, { 'Accept-Encoding': 'gzip' });
      expect([plain.status, gzip.status]).toEqual([200, 200]);
      expect(plain.body.length).toBeGreaterThan(1024);
      // Not asked: no Content-Encoding, the bytes as the route wrote them.
      expect(plain.headers['content-encoding']).toBeUndefined();
      if (plain.headers['content-length'] !== undefined)
        expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
      // Asked: gzip, decoding to exactly the same answer; both say they vary with Accept-Encoding.
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gzip.headers['content-type']).toBe(plain.headers['content-type']);
      expect(zlib.gunzipSync(gzip.body).equals(plain.body)).toBe(true);
      expect(gzip.body.length).toBeLessThan(plain.body.length);
      expect([varies(plain), varies(gzip)]).toEqual([true, true]);
    },
  );

  it('when a GeoReport list is asked through supertest with gzip, then it is gzip and reads as the plain one', async () => {
    const zipped = await request(t.app).get('/open311/v2/requests.json').set('Accept-Encoding', 'gzip');
    const plain = await request(t.app).get('/open311/v2/requests.json').set('Accept-Encoding', 'identity');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.body).toEqual(plain.body);
  });

  it('when a small answer is asked with gzip, then it goes as it is (under 1 KB)', async () => {
    const r = await get('/healthz', { 'Accept-Encoding': 'gzip' });
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(r.body.toString())).toEqual({ status: 'ok' });
  });

  it('when a client holds the ETag of a compressed list, then If-None-Match still answers 304', async () => {
    const first = await get('/open311/v2/requests.json?page_size=1000', { 'Accept-Encoding': 'gzip' });
    expect(first.headers['content-encoding']).toBe('gzip');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^(W\/)?"/);
    for (const encoding of ['gzip', 'identity']) {
      const again = await get('/open311/v2/requests.json?page_size=1000', {
        'Accept-Encoding': encoding,
        'If-None-Match': etag,
      });
      expect([again.status, again.body.length]).toEqual([304, 0]);
    }
  });
});

describe('photos and files are never compressed', () => {
  it('when a photo, its thumbnail and a PDF are fetched with Accept-Encoding: gzip, then they come as stored', async () => {
    await disableDuplicateDetection(t);
    const client = await t.key('client', 'mobile');
    const posted = await request(t.app)
      .post('/open311/v2/requests.json')
      .field('api_key', client)
      .field('service_code', (await plainService(t)).serviceCode)
      .field('lat', String(HEREFORD.lat))
      .field('long', String(HEREFORD.long))
      .attach('media', await jpegWithGps(800, 600), 'photo.jpg')
      .attach('media', Buffer.from(await plainPdf(12)), 'report.pdf');
    expect(posted.status).toBe(201);
    const one = await request(t.app).get(
      `/open311/v2/requests/${posted.body[0].service_request_id}.json?extensions=true`,
    );
    const urls = (one.body[0].extended_attributes.media_urls as string[]).map((u) => new URL(u).pathname);
    expect(urls).toHaveLength(2);
    for (const url of [urls[0]!, urls[0]!.replace(/\.jpg$/, '/thumb.jpg'), urls[1]!]) {
      const plain = await get(url);
      const asked = await get(url, { 'Accept-Encoding': 'gzip, deflate, br' });
      expect([plain.status, asked.status]).toEqual([200, 200]);
      expect(asked.headers['content-type']).toMatch(/^(image\/|application\/pdf)/);
      expect(asked.body.length).toBeGreaterThan(1024);
      expect(asked.headers['content-encoding']).toBeUndefined();
      expect(asked.body.equals(plain.body)).toBe(true);
    }
  });
});
