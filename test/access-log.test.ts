import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createContext } from '../src/context';
import { createLogger, httpLogger } from '../src/http';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { plainService, HEREFORD } from './helpers/fixtures';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

/** The app as the server builds it, logging at LOG_LEVEL into an array of parsed lines. */
function appLoggingAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({ ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: level });
  const logger = createLogger(config.logLevel, sink);
  const ctx = createContext({ config, db: t.db, logger, clock: t.clock.now });
  const app = createApp(ctx);
  const access = () => lines.filter((l) => 'responseTime' in l);
  return { app, ctx, lines, access, raw };
}

describe('access log', () => {
  it('when a request succeeds at LOG_LEVEL=info, then one line names method, route, status, duration, request id and client', async () => {
    const { app, access } = appLoggingAt('info');
    const res = await request(app).get('/open311/v2/requests/12345.json?page_size=1').expect(404);
    const ok = await request(app).get('/open311/v2/services.json').expect(200);

    const lines = access();
    expect(lines).toHaveLength(2);
    const [miss, line] = lines as [Record<string, unknown>, Record<string, unknown>];
    expect(line).toMatchObject({
      level: 30,
      route: '/open311/v2/services.:format',
      status: 200,
      req: { id: ok.headers['x-request-id'], method: 'GET', url: '/open311/v2/services.json' },
      client: expect.stringMatching(/127\.0\.0\.1|::1/),
    });
    expect(typeof line.responseTime).toBe('number');
    expect(line.msg).toMatch(/^GET \/open311\/v2\/services\.:format 200 \d+ ms$/);
    expect(miss).toMatchObject({
      level: 30,
      status: 404,
      route: '/open311/v2/requests/:service_request_id.:format',
      req: { id: res.headers['x-request-id'] },
    });
  });

  it('when a client posts with its key and personal data, then the line carries the key id but neither the secret nor the personal data', async () => {
    const { app, access, raw } = appLoggingAt('info');
    const s = await plainService(t);
    const secret = await t.key('client', 'mobile');
    const keyRow = (await t.db.knex('api_keys').orderBy('id', 'desc').first('id')) as { id: number | string };
    await request(app)
      .post(`/open311/v2/requests.json?api_key=${secret}&email=jane%40example.com`)
      .type('form')
      .send({
        service_code: s.serviceCode,
        lat: HEREFORD.lat,
        long: HEREFORD.long,
        email: 'resident@example.com',
        first_name: 'Jane',
        phone: '617-555-0100',
      })
      .expect(201);
    await request(app).get('/admin/v1/api-keys').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(200);

    const [post, admin] = access() as [Record<string, unknown>, Record<string, unknown>];
    expect(post).toMatchObject({
      route: '/open311/v2/requests.:format',
      status: 201,
      key_id: String(keyRow.id),
    });
    expect(admin).toMatchObject({ route: '/admin/v1/api-keys', status: 200, key_id: 'env' });
    const all = raw.join('');
    for (const leak of [secret, 'jane', 'resident@example.com', 'Jane', '617-555-0100', ADMIN_KEY]) {
      expect(all).not.toContain(leak);
    }
  });

  it('when LOG_LEVEL=warn, then successful and client-error requests write no line', async () => {
    const { app, access, raw } = appLoggingAt('warn');
    await request(app).get('/open311/v2/services.json').expect(200);
    await request(app).get('/nothing-here').expect(404);
    expect(access()).toEqual([]);
    expect(raw).toEqual([]);
  });

  it('when the client goes away before its answer is sent, then at LOG_LEVEL=warn one warning, not an error', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const app = express();
    app.use(httpLogger(createLogger('warn', sink)));
    let closed!: () => void;
    const gone = new Promise<void>((r) => (closed = r));
    // An answer that starts and never ends, as a long export does when the client hangs up.
    app.get('/long', (_req, res) => {
      res.on('close', () => setImmediate(closed));
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      res.write('id\n');
    });
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/long' }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => undefined);
        req.on('timeout', reject);
      });
      await gone;
      expect(lines).toEqual([
        expect.objectContaining({ level: 40, msg: expect.stringMatching(/^GET .* 200: Aborted$/) }),
      ]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('when a request fails with a 500, then at LOG_LEVEL=warn (the lean logger) the error and access lines are those written at info', async () => {
    const run = async (level: string) => {
      const { app, ctx, lines, access } = appLoggingAt(level);
      ctx.catalog.services = () => Promise.reject(new Error('the catalogue is unreachable'));
      const res = await request(app).get('/open311/v2/services.json').expect(500);
      const line = access()[0] as Record<string, unknown> & { req: { id: string } };
      const unhandled = lines.find((l) => l.msg === 'unhandled error') as { req: { id: string } };
      expect(line.req.id).toBe(res.headers['x-request-id']);
      expect(unhandled.req.id).toBe(res.headers['x-request-id']);
      return { line, count: access().length };
    };
    const info = await run('info');
    const warn = await run('warn');
    expect(warn.count).toBe(1);
    for (const { line } of [info, warn])
      expect(line).toMatchObject({
        level: 50,
        route: '/open311/v2/services.:format',
        status: 500,
        res: { statusCode: 500 },
        req: { method: 'GET', url: '/open311/v2/services.json' },
        err: { message: 'failed with status code 500' },
        msg: 'GET /open311/v2/services.:format 500: failed with status code 500',
      });
  });

  it('when the database is away (503), then the access line is a warning without a placeholder stack, at either level', async () => {
    for (const level of ['info', 'warn']) {
      const { app, ctx, access, lines } = appLoggingAt(level);
      ctx.catalog.services = () =>
        Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
        );
      await request(app).get('/open311/v2/services.json').expect(503);
      expect(access()).toHaveLength(1);
      const line = access()[0] as { level: number; err: { message: string; stack?: string } };
      expect(line.level).toBe(40);
      expect(line.err).toEqual({
        type: 'Error',
        message: 'failed with status code 503',
        stack: 'Error: failed with status code 503',
      });
      // No line of the request at error level: an alert on errors does not fire once per request of an outage.
      expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    }
  });
});
