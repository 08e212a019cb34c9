/**
 * Media on S3-compatible storage (issue #18.4): the same uploads against s3rver, an S3 server started here
 * in-process on a free port (so CI needs nothing else), streamed through the server or redirected to a
 * presigned URL.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import exifr from 'exifr';
import S3rver from 's3rver';
import request from 'supertest';
import { createApp } from '../src/app';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, disableDuplicateDetection, plainService } from './helpers/fixtures';
import { jpegWithGps, png } from './helpers/images';

const BUCKET = 'open311-media';
let s3: S3rver;
let s3Dir: string;
let mediaDir: string;
let endpoint: string;
let client: S3Client;
let t: TestServer;
let apiKey: string;
let serviceCode: string;

const objects = async () =>
  ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key);

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

beforeAll(async () => {
  s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'photos-s3rver-'));
  mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photos-s3-spool-'));
  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = (await s3.run()) as AddressInfo;
  endpoint = `http://127.0.0.1:${port}`;
  client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  t = await startTestServer({
    PUBLIC_URL: 'https://311.example.test',
    MEDIA_DIR: mediaDir,
    MEDIA_S3_BUCKET: BUCKET,
    MEDIA_S3_ENDPOINT: endpoint,
    MEDIA_S3_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
  await disableDuplicateDetection(t);
  serviceCode = (await plainService(t)).serviceCode;
});
beforeEach(async () => {
  await resetWrites(t.db);
  apiKey = await t.key('client', 'mobile');
});
afterAll(async () => {
  await t.close();
  client.destroy();
  await s3.close();
  fs.rmSync(s3Dir, { recursive: true, force: true });
  fs.rmSync(mediaDir, { recursive: true, force: true });
});

const post = () =>
  request(t.app)
    .post('/open311/v2/requests.json')
    .field('api_key', apiKey)
    .field('service_code', serviceCode)
    .field('lat', String(HEREFORD.lat))
    .field('long', String(HEREFORD.long));

describe('media on S3-compatible storage', () => {
  it('when a photo is posted, then it is stored in the bucket without its GPS data and served through the server', async () => {
    const before = await objects();
    const res = await post().attach('media', await jpegWithGps(400, 300), 'IMG_1.jpg');
    expect(res.status).toBe(201);
    const id = res.body[0].service_request_id as string;
    const r = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0] as { media_url: string };
    const mediaId = /\/media\/([a-z2-7]{26})\.jpg$/.exec(r.media_url)?.[1] as string;
    expect(mediaId).toBeDefined();
    const added = (await objects()).filter((k) => !before.includes(k));
    expect(added.sort()).toEqual(
      [`${mediaId.slice(0, 2)}/${mediaId}.jpg`, `${mediaId.slice(0, 2)}/${mediaId}.thumb.jpg`].sort(),
    );
    const file = await request(t.app).get(`/media/${mediaId}.jpg`).buffer(true).parse(binary);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('image/jpeg');
    expect(file.headers['cache-control']).toBe('public, max-age=3600, s-maxage=300');
    expect(await exifr.gps(file.body as Buffer).catch(() => undefined)).toBeUndefined();
    expect(fs.readdirSync(mediaDir).filter((f) => f !== 'tmp')).toEqual([]); // nothing kept on local disk
  });

  it('when MEDIA_S3_REDIRECT is on, then GET /media redirects to a presigned URL that serves the file', async () => {
    const res = await post().attach('photo1', await png(), 'a.png');
    const [row] = await t.db.knex('media').select('id');
    expect(res.status).toBe(201);
    const config = Object.freeze({
      ...t.ctx.config,
      mediaS3: { ...(t.ctx.config.mediaS3 as NonNullable<typeof t.ctx.config.mediaS3>), redirect: true },
    });
    const app = createApp({ ...t.ctx, config });
    const redirect = await request(app).get(`/media/${row.id}.png`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toMatch(new RegExp(`^${endpoint}/${BUCKET}/.+X-Amz-Signature=`));
    const fetched = await fetch(redirect.headers.location as string);
    expect(fetched.status).toBe(200);
    expect(
      Buffer.from(await fetched.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('when the request is refused after its photos were stored, then they are removed from the bucket', async () => {
    const before = await objects();
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .field('api_key', apiKey)
      .field('service_code', 'no-such-service')
      .field('lat', String(HEREFORD.lat))
      .field('long', String(HEREFORD.long))
      .attach('photo1', await png(), 'ok.png');
    expect(res.status).toBe(400);
    expect(await objects()).toEqual(before);
    expect(await t.db.knex('media').count('* as n')).toEqual([{ n: expect.anything() }]);
    expect(Number((await t.db.knex('media').count<{ n: string }[]>('* as n'))[0]?.n)).toBe(0);
  });
});
