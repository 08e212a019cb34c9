/**
 * Photos and files on POST requests and updates (issue #18): FixMyStreet's and three's forms, checks by
 * content, limits, privacy (no EXIF/GPS), serving, staff hiding, and nothing written on any refusal.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import request from 'supertest';
import { storeUploads } from '../src/media';
import { tick } from '../src/worker';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import {
  HEREFORD,
  disableDuplicateDetection,
  findService,
  plainService,
  requiredAttributeFields,
} from './helpers/fixtures';
import { jpegWithGps, PDF, png, pngBomb } from './helpers/images';
import {
  encryptedPdf,
  hostilePdf,
  pdfText,
  plainPdf,
  SECRETS,
  structureOf,
  VISIBLE_HEX,
} from './helpers/pdfs';
import { expectMatchesSpec } from './helpers/openapi';
import { parseXml } from './helpers/xml';

const PUBLIC_URL = 'https://311.example.test';
let t: TestServer;
let mediaDir: string;
let client: string;
let staff: string;
let serviceCode: string;

/** Every file under the media folder (stored files and uploads in progress). */
function filesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Waits for a condition the server brings about (polling; gives up after 30 s and lets the test say why). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};
const fetchFile = (url: string) => request(t.app).get(url.replace(PUBLIC_URL, '')).buffer(true).parse(binary);

const counts = async () => ({
  requests: Number((await t.db.knex('service_requests').count<{ n: string }[]>('* as n'))[0]?.n),
  media: Number((await t.db.knex('media').count<{ n: string }[]>('* as n'))[0]?.n),
});

beforeAll(async () => {
  mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photos-test-'));
  t = await startTestServer({
    PUBLIC_URL,
    MEDIA_DIR: mediaDir,
    MEDIA_MAX_BYTES: '200000',
    MEDIA_MAX_FILES: '3',
    MEDIA_MAX_PIXELS: '4000000',
    MEDIA_MAX_PDF_PAGES: '4',
  });
  await disableDuplicateDetection(t);
  serviceCode = (await plainService(t)).serviceCode;
});
beforeEach(async () => {
  await resetWrites(t.db);
  fs.rmSync(mediaDir, { recursive: true, force: true });
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
});
afterAll(async () => {
  await t.close();
  fs.rmSync(mediaDir, { recursive: true, force: true });
});

const post = (format = 'json') =>
  request(t.app)
    .post(`/open311/v2/requests.${format}`)
    .field('api_key', client)
    .field('service_code', serviceCode)
    .field('lat', String(HEREFORD.lat))
    .field('long', String(HEREFORD.long))
    .field('description', 'Pothole');

const requestOf = async (id: string) =>
  (await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`)).body[0] as {
    media_url: string | null;
    extended_attributes: { media_urls: string[] };
  };

describe('uploads on POST requests', () => {
  it("when FixMyStreet posts photo1 and photo2 in XML, then both are media_urls under PUBLIC_URL, the first is media_url, and the phone's GPS is gone", async () => {
    const res = await post('xml')
      .field('email', 'resident@example.com')
      .attach('photo1', await jpegWithGps(800, 600), { filename: 'IMG_0001.jpg', contentType: 'image/jpeg' })
      .attach('photo2', await png(), { filename: 'IMG_0002.png', contentType: 'image/png' });
    expect(res.status).toBe(201);
    expect(res.type).toBe('text/xml');
    const { body } = await parseXml(res.text);
    const id = (
      (body as unknown as Array<{ service_request_id: string }>)[0] as { service_request_id: string }
    ).service_request_id;
    const r = await requestOf(id);
    const urls = r.extended_attributes.media_urls;
    expect(urls).toHaveLength(2);
    expect(urls[0]).toMatch(/^https:\/\/311\.example\.test\/media\/[a-z2-7]{26}\.jpg$/);
    expect(urls[1]).toMatch(/^https:\/\/311\.example\.test\/media\/[a-z2-7]{26}\.png$/);
    expect(r.media_url).toBe(urls[0]);
    const xml = await request(t.app).get(`/open311/v2/requests/${id}.xml?extensions=true`);
    expect(xml.text).toContain(`<media_url>${urls[0]}</media_url>`);

    const photo = await fetchFile(urls[0] as string);
    expect(photo.status).toBe(200);
    expect(photo.headers['content-type']).toBe('image/jpeg');
    expect(photo.headers['cache-control']).toBe('public, max-age=3600, s-maxage=300');
    expect(photo.headers['x-content-type-options']).toBe('nosniff');
    expect(photo.headers['etag']).toMatch(/^"[0-9a-f]+"$/);
    expect(photo.headers['content-disposition']).toBeUndefined();
    const served = photo.body as Buffer;
    expect(await exifr.gps(served).catch(() => undefined)).toBeUndefined();
    expect(await exifr.parse(served).catch(() => undefined)).toBeUndefined();
    const meta = await sharp(served).metadata();
    expect([meta.width, meta.height, meta.exif, meta.xmp]).toEqual([800, 600, undefined, undefined]);

    const again = await request(t.app)
      .get(new URL(urls[0] as string).pathname)
      .set('If-None-Match', photo.headers['etag'] as string);
    expect(again.status).toBe(304);

    const thumbUrl = (urls[0] as string).replace(/\.jpg$/, '/thumb.jpg');
    const thumb = await fetchFile(thumbUrl);
    expect(thumb.status).toBe(200);
    expect((await sharp(thumb.body as Buffer).metadata()).width).toBe(320);
  });

  it('when three sends a `media` file with a media_url, then the upload comes first and the sent URL follows', async () => {
    const res = await post()
      .field('media_url', 'https://photos.example.org/1.jpg')
      .attach('media', await png(), 'photo.png');
    expect(res.status).toBe(201);
    const r = await requestOf(res.body[0].service_request_id);
    expect(r.extended_attributes.media_urls).toEqual([
      expect.stringMatching(/^https:\/\/311\.example\.test\/media\/[a-z2-7]{26}\.png$/),
      'https://photos.example.org/1.jpg',
    ]);
  });

  it('when a .jpg is really a PNG, then it is judged by its content and served as a PNG', async () => {
    const res = await post().attach('media[]', await png(), {
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
    });
    expect(res.status).toBe(201);
    const r = await requestOf(res.body[0].service_request_id);
    expect(r.media_url).toMatch(/\.png$/);
    const file = await fetchFile(r.media_url as string);
    expect(file.headers['content-type']).toBe('image/png');
  });

  it('when a .jpg holds text, then a 400 names the file and nothing is written', async () => {
    const before = await counts();
    const res = await post()
      .attach('photo1', await png(), 'ok.png')
      .attach('photo2', Buffer.from('<script>alert(1)</script> not an image'), {
        filename: 'holiday.jpg',
        contentType: 'image/jpeg',
      });
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('"holiday.jpg" (photo2)');
    expect(res.body[0].description).toContain('not a photo or a PDF');
    expect(await counts()).toEqual(before);
    expect(filesIn(mediaDir)).toEqual([]);
  });

  it('when a phone photo is stored sideways (EXIF orientation 6), then it is served upright without the tag', async () => {
    const sideways = await sharp({ create: { width: 64, height: 48, channels: 3, background: 'red' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const res = await post().attach('media', sideways, 'portrait.jpg');
    expect(res.status).toBe(201);
    const r = await requestOf(res.body[0].service_request_id);
    const meta = await sharp((await fetchFile(r.media_url as string)).body as Buffer).metadata();
    expect([meta.width, meta.height, meta.orientation, meta.exif]).toEqual([48, 64, undefined, undefined]);
  });

  it('when a PDF is sent, then it is rewritten with its page and served as an attachment', async () => {
    const res = await post().attach('file', PDF, 'plan.pdf');
    expect(res.status).toBe(201);
    const r = await requestOf(res.body[0].service_request_id);
    const file = await fetchFile(r.media_url as string);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="[a-z2-7]{26}\.pdf"$/);
    const served = file.body as Buffer;
    expect(Number(file.headers['content-length'])).toBe(served.length);
    expect(served.equals(PDF)).toBe(false);
    const { pages, doc } = await pdfText(served);
    expect(pages).toBe(1);
    expect(doc.getPage(0).getSize()).toEqual({ width: 200, height: 100 });
  });

  it("when a PDF carries the author's email and phone, XMP, JavaScript and a JavaScript link, then none of it is served, and its pages are", async () => {
    const sent = await hostilePdf(3);
    // The test file really carries all of it, readable in its bytes.
    const raw = sent.toString('latin1');
    expect(SECRETS.filter((s) => !raw.includes(s))).toEqual([]);
    const res = await post().attach('media', sent, 'report.pdf');
    expect(res.status).toBe(201);
    const r = await requestOf(res.body[0].service_request_id);
    expect(r.media_url).toMatch(/^https:\/\/311\.example\.test\/media\/[a-z2-7]{26}\.pdf$/);
    const file = await fetchFile(r.media_url as string);
    expect(file.status).toBe(200);
    const served = file.body as Buffer;
    expect(SECRETS.filter((s) => served.toString('latin1').includes(s))).toEqual([]);
    const { text, pages, doc } = await pdfText(served);
    expect(SECRETS.filter((s) => text.includes(s))).toEqual([]);
    expect(pages).toBe(3);
    expect(text).toContain(VISIBLE_HEX);
    expect(structureOf(doc)).toEqual({
      catalog: ['Pages', 'Type'],
      pages: Array.from({ length: 3 }, () => ['Contents', 'MediaBox', 'Parent', 'Resources', 'Type']),
      info: false,
    });
  });

  it.each([
    ['cut off after 120 bytes', async () => (await hostilePdf(1)).subarray(0, 120), 'is cut off'],
    ['encrypted', encryptedPdf, 'is encrypted or password-protected'],
    ['longer than MEDIA_MAX_PDF_PAGES', () => plainPdf(5), 'has more than 4 pages'],
  ])(
    'when a PDF is %s, then 400 in Open311 shape says why, after a good photo, and nothing is written',
    async (_, make, reason) => {
      const before = await counts();
      const res = await post()
        .attach('photo1', await png(), 'ok.png')
        .attach('photo2', await make(), 'form.pdf');
      expect(res.status).toBe(400);
      expect(res.body).toEqual([{ code: 400, description: expect.any(String) }]);
      expect(res.body[0].description).toContain(`The file "form.pdf" (photo2) ${reason}`);
      expect(await counts()).toEqual(before);
      expect(filesIn(mediaDir)).toEqual([]);
    },
  );

  it('when a cut-off PDF is posted in XML, then the 400 is an <errors> document', async () => {
    const before = await counts();
    const res = await post('xml').attach('media', PDF.subarray(0, 120), 'form.pdf');
    expect(res.status).toBe(400);
    const parsed = await parseXml(res.text);
    expect(parsed.root).toBe('errors');
    expect(parsed.body).toEqual([
      { code: '400', description: expect.stringContaining('The file "form.pdf" (media) is cut off') },
    ]);
    expect(await counts()).toEqual(before);
    expect(filesIn(mediaDir)).toEqual([]);
  });

  it('when a file is larger than MEDIA_MAX_BYTES, then 413 names it and nothing is written', async () => {
    const before = await counts();
    const res = await post().attach('photo1', Buffer.alloc(250_000, 1), 'huge.jpg');
    expect(res.status).toBe(413);
    expect(res.body[0].description).toContain('"huge.jpg" (photo1)');
    expect(await counts()).toEqual(before);
    expect(filesIn(mediaDir)).toEqual([]);
  });

  it('when more files than MEDIA_MAX_FILES are sent, then 400 and nothing is written', async () => {
    const before = await counts();
    let req = post();
    for (let i = 1; i <= 4; i++) req = req.attach(`photo${i}`, await png(), `p${i}.png`);
    const res = await req;
    expect(res.status).toBe(400);
    expect(res.body[0].description).toBe('At most 3 files may be sent at once.');
    expect(await counts()).toEqual(before);
    expect(filesIn(mediaDir)).toEqual([]);
  });

  it('when a file comes in a field clients do not use, then 400 names the field', async () => {
    const res = await post().attach('attachment', await png(), 'p.png');
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('"attachment"');
  });

  it('when a tiny PNG declares 30000×30000 pixels, then 400 (a decompression bomb) and nothing is written', async () => {
    const before = await counts();
    const res = await post().attach('photo', await pngBomb(), 'bomb.png');
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('"bomb.png" (photo) declares 30000×30000 pixels');
    expect(await counts()).toEqual(before);
    expect(filesIn(mediaDir)).toEqual([]);
  });

  it('when the request itself is refused, then the stored photos are removed', async () => {
    const before = await counts();
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .field('api_key', client)
      .field('service_code', 'no-such-service')
      .field('lat', String(HEREFORD.lat))
      .field('long', String(HEREFORD.long))
      .attach('media', await png(), 'p.png');
    expect(res.status).toBe(400);
    expect(await counts()).toEqual(before);
    expect(filesIn(mediaDir)).toEqual([]);
  });

  it('when an idempotent retry carries the photo again, then one request keeps one photo', async () => {
    const send = async () =>
      post()
        .field('client_request_id', 'retry-1')
        .attach('media', await png(), 'p.png');
    const first = await send();
    const second = await send();
    expect(second.body[0].service_request_id).toBe(first.body[0].service_request_id);
    expect(await counts()).toEqual({ requests: 1, media: 1 });
    expect(filesIn(mediaDir).filter((f) => !f.startsWith('tmp'))).toHaveLength(2); // photo + thumb
  });

  it('when an Idempotency-Key is sent again with other photos or none, then 409 and the first request keeps its photo', async () => {
    const send = () => post().set('Idempotency-Key', 'photos-1');
    const first = await send().attach('media', await png(40, 30), 'p.png');
    expect(first.status).toBe(201);
    const conflicts = [
      await send().attach('media', await png(41, 30), 'p.png'), // another photo, same name
      await send(), // no photo
      await send()
        .attach('media', await png(40, 30), 'p.png')
        .attach('media', await png(41, 30), 'q.png'), // one more
    ];
    expect(conflicts.map((r) => [r.status, r.body[0]?.description])).toEqual(
      conflicts.map(() => [409, expect.stringMatching(/photos-1.*already used for a different request/)]),
    );
    // A true retry (the same bytes, whatever the file's name) is still the first answer.
    const retry = await send().attach('media', await png(40, 30), 'renamed.png');
    expect([retry.status, retry.body[0].service_request_id]).toEqual([201, first.body[0].service_request_id]);
    expect(await counts()).toEqual({ requests: 1, media: 1 });
    expect(filesIn(mediaDir).filter((f) => !f.startsWith('tmp'))).toHaveLength(2); // photo + thumb
  });

  it('when an Idempotency-Key first sent without photos is sent again with one, then 409', async () => {
    const first = await post().set('Idempotency-Key', 'photos-2');
    expect(first.status).toBe(201);
    const again = await post()
      .set('Idempotency-Key', 'photos-2')
      .attach('media', await png(), 'p.png');
    expect(again.status).toBe(409);
    expect((await post().set('Idempotency-Key', 'photos-2')).status).toBe(201);
    expect(await counts()).toEqual({ requests: 1, media: 0 });
  });

  it('when the service is private, then its photo answers 404', async () => {
    const priv = await findService(t, (s) => s.isPrivate && s.type === 'realtime', 'private service');
    let req = request(t.app)
      .post('/open311/v2/requests.json')
      .field('api_key', client)
      .field('service_code', priv.serviceCode)
      .field('lat', String(HEREFORD.lat))
      .field('long', String(HEREFORD.long));
    for (const [k, v] of Object.entries(requiredAttributeFields(priv))) req = req.field(k, v);
    const res = await req.attach('media', await png(), 'p.png');
    expect(res.status).toBe(201);
    const [row] = await t.db.knex('media').select('id', 'ext');
    const file = await request(t.app).get(`/media/${row.id}.${row.ext}`);
    expect(file.status).toBe(404);
    expect((await request(t.app).get(`/media/${row.id}/thumb.${row.ext}`)).status).toBe(404);
  });

  it('when a media URL is guessed or malformed, then 404', async () => {
    expect((await request(t.app).get('/media/aaaaaaaaaaaaaaaaaaaaaaaaaa.jpg')).status).toBe(404);
    expect((await request(t.app).get('/media/..%2F..%2Fetc%2Fpasswd.jpg')).status).toBe(404);
  });
});

describe('uploads on POST servicerequestupdates', () => {
  it('when an update carries a photo, then the update lists it as its media_url', async () => {
    const created = await post();
    const id = created.body[0].service_request_id as string;
    const res = await request(t.app)
      .post('/open311/v2/servicerequestupdates.json')
      .field('api_key', client)
      .field('service_request_id', id)
      .field('update_id', 'fms-photo-1')
      .field('status', 'OPEN')
      .field('updated_datetime', '2026-11-23T10:05:00-05:00')
      .field('description', 'Still there')
      .attach('photo1', await jpegWithGps(), 'later.jpg');
    expect(res.status).toBe(200);
    const list = await request(t.app).get(
      '/open311/v2/servicerequestupdates.json?start_date=2026-11-23T00:00:00Z&end_date=2026-11-24T00:00:00Z',
    );
    const update = (list.body as Array<{ update_id: string; media_url: string | null }>).find(
      (u) => u.update_id === res.body[0].update_id,
    );
    expect(update?.media_url).toMatch(/^https:\/\/311\.example\.test\/media\/[a-z2-7]{26}\.jpg$/);
    const file = await fetchFile(update?.media_url as string);
    expect(file.status).toBe(200);
    expect(await exifr.gps(file.body as Buffer).catch(() => undefined)).toBeUndefined();
  });

  const postUpdate = (id: string, file: Buffer) =>
    request(t.app)
      .post('/open311/v2/servicerequestupdates.json')
      .field('api_key', client)
      .field('service_request_id', id)
      .field('update_id', 'fms-pdf-1')
      .field('status', 'OPEN')
      .field('updated_datetime', '2026-11-23T10:10:00-05:00')
      .field('description', 'The form')
      .attach('media', file, 'form.pdf');

  it('when an update carries a PDF with personal data and JavaScript, then the served file has only its pages', async () => {
    const created = await post();
    const res = await postUpdate(created.body[0].service_request_id as string, await hostilePdf(2));
    expect(res.status).toBe(200);
    const list = await request(t.app).get(
      '/open311/v2/servicerequestupdates.json?start_date=2026-11-23T00:00:00Z&end_date=2026-11-24T00:00:00Z',
    );
    const update = (list.body as Array<{ update_id: string; media_url: string | null }>).find(
      (u) => u.update_id === res.body[0].update_id,
    );
    expect(update?.media_url).toMatch(/\.pdf$/);
    const file = await fetchFile(update?.media_url as string);
    expect(file.status).toBe(200);
    const { text, pages } = await pdfText(file.body as Buffer);
    expect(SECRETS.filter((s) => text.includes(s))).toEqual([]);
    expect(pages).toBe(2);
  });

  it('when an update carries a cut-off PDF, then 400 and no update and no file are written', async () => {
    const created = await post();
    const history = async () =>
      Number((await t.db.knex('request_history').count<{ n: string }[]>('* as n'))[0]?.n);
    const before = { ...(await counts()), history: await history() };
    const res = await postUpdate(
      created.body[0].service_request_id as string,
      (await hostilePdf(1)).subarray(0, 120),
    );
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('The file "form.pdf" (media) is cut off');
    expect({ ...(await counts()), history: await history() }).toEqual(before);
    expect(filesIn(mediaDir)).toEqual([]);
  });
});

describe('staff hide a photo', () => {
  it('when staff hide a photo, then it leaves every public output and answers 404, stays for staff, and both changes are in the history', async () => {
    const created = await post()
      .attach('photo1', await png(), 'a.png')
      .attach('photo2', await png(50, 50), 'b.png');
    const id = created.body[0].service_request_id as string;
    const [first, second] = (await requestOf(id)).extended_attributes.media_urls as [string, string];
    const mediaId = /\/media\/([a-z2-7]{26})\./.exec(first)?.[1] as string;
    const auth = `Bearer ${staff}`;

    const hidden = await request(t.app).post(`/staff/v1/media/${mediaId}/hide`).set('Authorization', auth);
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ id: mediaId, hidden: true });
    expectMatchesSpec('POST', `/staff/v1/media/${mediaId}/hide`, 200, hidden.body);
    const r = await requestOf(id);
    expect(r.extended_attributes.media_urls).toEqual([second]);
    expect(r.media_url).toBe(second);
    expect((await fetchFile(first)).status).toBe(404);
    expect((await fetchFile(first.replace(/\.png$/, '/thumb.png'))).status).toBe(404);
    const staffView = await request(t.app).get(`/staff/v1/requests/${id}`).set('Authorization', auth);
    expect(staffView.body.media).toHaveLength(2);
    expectMatchesSpec('GET', `/staff/v1/requests/${id}`, 200, staffView.body);
    const original = await request(t.app)
      .get(`/staff/v1/media/${mediaId}.png`)
      .set('Authorization', auth)
      .buffer(true)
      .parse(binary);
    expect(original.status).toBe(200);
    expect(original.headers['cache-control']).toBe('private, no-store');

    const shown = await request(t.app).post(`/staff/v1/media/${mediaId}/unhide`).set('Authorization', auth);
    expect(shown.body).toMatchObject({ hidden: false });
    expect((await requestOf(id)).extended_attributes.media_urls).toEqual([first, second]);
    const history = await request(t.app).get(`/staff/v1/requests/${id}/history`).set('Authorization', auth);
    const kinds = JSON.stringify(history.body);
    expect(kinds).toContain(`Photo ${mediaId} hidden from the public`);
    expect(kinds).toContain(`Photo ${mediaId} shown to the public again`);
  });

  it('when a client key tries to hide a photo, then 403', async () => {
    const created = await post().attach('media', await png(), 'a.png');
    const [row] = await t.db.knex('media').select('id');
    expect(created.status).toBe(201);
    const res = await request(t.app)
      .post(`/staff/v1/media/${row.id}/hide`)
      .set('Authorization', `Bearer ${client}`);
    expect(res.status).toBe(403);
  });
});

describe('open data and dashboard', () => {
  it('when a request has photos, then the bulk export and the dashboard map carry the public ones only', async () => {
    const created = await post()
      .field('media_url', 'https://photos.example.org/2.jpg')
      .attach('photo1', await png(), 'a.png')
      .attach('photo2', await png(), 'b.png');
    const id = created.body[0].service_request_id as string;
    const [first, second] = (await requestOf(id)).extended_attributes.media_urls as [string, string];
    const csv = await request(t.app).get('/open311/v2/bulk/requests.json');
    const row = (csv.body as Array<{ service_request_id: string; media_url: string | null }>).find(
      (r) => r.service_request_id === id,
    );
    expect(row?.media_url).toBe(`${first} ${second} https://photos.example.org/2.jpg`);

    const mediaId = /\/media\/([a-z2-7]{26})\./.exec(first)?.[1] as string;
    t.ctx.invalidate('figures');
    const points = await request(t.app).get('/dashboard/api/points.geojson?end_date=2026-11-25');
    const feature = (
      JSON.parse(points.text) as { features: Array<{ id: string; properties: { thumb: string | null } }> }
    ).features.find((f) => f.id === id);
    expect(feature?.properties.thumb).toBe(`/media/${mediaId}/thumb.png`);

    await request(t.app).post(`/staff/v1/media/${mediaId}/hide`).set('Authorization', `Bearer ${staff}`);
    const after = await request(t.app).get('/open311/v2/bulk/requests.json');
    expect(
      (after.body as Array<{ service_request_id: string; media_url: string | null }>).find(
        (r) => r.service_request_id === id,
      )?.media_url,
    ).toBe(`${second} https://photos.example.org/2.jpg`);
    t.ctx.invalidate('figures');
    const hiddenPoints = JSON.parse(
      (await request(t.app).get('/dashboard/api/points.geojson?end_date=2026-11-25')).text,
    ) as {
      features: Array<{ id: string; properties: { thumb: string | null } }>;
    };
    expect(hiddenPoints.features.find((f) => f.id === id)?.properties.thumb).toBe(
      `/media/${/\/media\/([a-z2-7]{26})\./.exec(second)?.[1]}/thumb.png`,
    );
  });
});

describe('nothing left behind', () => {
  it('when the client disconnects in the middle of an upload, then no request and no file is left', async () => {
    const before = await counts();
    const server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const boundary = 'xxBOUNDARYxx';
    const head =
      `--${boundary}\r\nContent-Disposition: form-data; name="api_key"\r\n\r\n${client}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="service_code"\r\n\r\n${serviceCode}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="lat"\r\n\r\n${HEREFORD.lat}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="long"\r\n\r\n${HEREFORD.long}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="photo1"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    const photo = await jpegWithGps(400, 300);
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/open311/v2/requests.json',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': 100_000 },
    });
    req.on('error', () => undefined);
    req.write(head);
    req.write(photo.subarray(0, Math.floor(photo.length / 2)));
    // Cut the connection once the server is spooling the file; then wait until the server has let go of
    // it (removal is the server's work, on its own schedule: a loaded machine may take seconds).
    await until(() => filesIn(mediaDir).length > 0);
    req.destroy();
    await until(() => filesIn(mediaDir).length === 0);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(filesIn(mediaDir)).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('when stored files were never committed (a crash), then the worker sweep removes them after 30 minutes', async () => {
    const file = path.join(os.tmpdir(), `photos-crash-${process.pid}.png`);
    fs.writeFileSync(file, await png());
    const pending = await storeUploads(t.ctx, 'boston', [
      { field: 'media', name: 'p.png', path: file, size: 1 },
    ]);
    fs.rmSync(file);
    expect(pending).toHaveLength(1);
    expect(filesIn(mediaDir)).toHaveLength(2);
    expect((await tick(t.ctx)).mediaSwept).toBe(0);
    t.clock.advance(31 * 60_000);
    expect((await tick(t.ctx)).mediaSwept).toBe(1);
    expect(filesIn(mediaDir)).toEqual([]);
    expect((await counts()).media).toBe(0);
  });
});
