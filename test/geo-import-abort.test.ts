/**
 * Probe finding (outside, 2026-12-04): a client that hung up in the middle of a geography upload left the
 * import waiting for the rest of the file inside its transaction, for good. On the embedded database (one
 * connection) every database route hung until a restart; on PostgreSQL each such upload kept one pool
 * connection "idle in transaction". The import now ends when the upload is cut off, and writes nothing.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';

let t: TestServer;
let server: http.Server;
beforeAll(async () => {
  t = await startTestServer();
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await t.close();
});

const ROW = '12,MAIN ST,02101,42.3601,-71.0589\n';

/** Starts a CSV upload of address points, sends some rows, then drops the connection. */
async function uploadAndHangUp(): Promise<void> {
  const { port } = server.address() as AddressInfo;
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/admin/v1/jurisdictions/boston/geography/addresses?dry_run=true',
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'text/csv' }, // chunked: no length
  });
  req.on('error', () => undefined); // the hang-up is the point
  req.write('house_number,street,zip,lat,long\n');
  for (let i = 0; i < 200; i++) req.write(ROW);
  // Some rows reach the import (it is reading, inside its transaction) before the client goes.
  await new Promise((r) => setTimeout(r, 300));
  req.destroy();
}

/**
 * Sends a whole gzip upload, large once decompressed, and hangs up while the import is still reading it
 * (the rest waits in the request's buffer, which the socket's close discards).
 */
async function uploadWholeAndHangUp(): Promise<void> {
  const { port } = server.address() as AddressInfo;
  const file = zlib.gzipSync(`house_number,street,zip,lat,long\n${ROW.repeat(200_000)}`);
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/admin/v1/jurisdictions/boston/geography/addresses?dry_run=true',
    headers: {
      Authorization: `Bearer ${ADMIN_KEY}`,
      'Content-Type': 'text/csv',
      'Content-Encoding': 'gzip',
      'Content-Length': file.length,
    },
  });
  req.on('error', () => undefined);
  await new Promise<void>((r) => req.end(file, r));
  await new Promise((r) => setTimeout(r, 300));
  req.destroy();
}

it.each([
  ['mid-upload', uploadAndHangUp],
  ['after sending the whole file, before the import has read it', uploadWholeAndHangUp],
])(
  'when a client hangs up %s, then the import ends and the database serves the next requests',
  async (_, hangUp) => {
    const before = Number((await t.db.knex('address_points').count({ n: '*' }))[0]?.n);
    await hangUp();
    // On the embedded database this waited for the held connection for ever (the test's timeout fails it).
    const next = await request(t.app)
      .post('/admin/v1/jurisdictions/boston/geography/addresses?dry_run=true')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .type('text/csv')
      .send(`house_number,street,zip,lat,long\n${ROW}`);
    expect(next.status).toBe(200);
    expect((await request(t.app).get('/open311/v2/services.json')).status).toBe(200);
    expect(Number((await t.db.knex('address_points').count({ n: '*' }))[0]?.n)).toBe(before);
    if (t.db.kind === 'postgres') {
      // No connection is left inside the dropped import's transaction.
      for (let i = 0; ; i++) {
        const rows = (
          await t.db.knex.raw(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
          )
        ).rows as { n: number }[];
        if (rows[0]?.n === 0) break;
        if (i > 100) throw new Error(`${rows[0]?.n} connection(s) left idle in a transaction`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  },
  20_000,
);

/**
 * Probe leftover (2026-12-05): a file sent as it is, over GEO_IMPORT_MAX_MB, was read and its rows checked
 * for minutes before the 413. A declared length over the cap is now refused before the body is read, and
 * the connection closed (Node would otherwise read the rest of the body to keep it).
 */
it('when an upload declares a length over the cap, then 413 before its body is sent, and the connection closes', async () => {
  const { port } = server.address() as AddressInfo;
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/admin/v1/jurisdictions/boston/geography/addresses',
    headers: {
      Authorization: `Bearer ${ADMIN_KEY}`,
      'Content-Type': 'text/csv',
      'Content-Length': 4 * 1024 ** 3, // 4 GB said, a few bytes sent: the answer cannot wait for the rest
    },
  });
  req.on('error', () => undefined);
  try {
    req.write('house_number,street,zip,lat,long\n');
    // Without the check, no answer came until the 4 GB had been read (the test's timeout fails it).
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    await new Promise((r) => res.once('end', r));
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(body)).toEqual([
      {
        code: 413,
        description: expect.stringMatching(/^The addresses file is larger than \d+ MB once decompressed/),
      },
    ]);
  } finally {
    req.destroy();
  }
});
