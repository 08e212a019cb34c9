/**
 * Graceful shutdown behind a load balancer (probe finding: under keep-alive load, SIGTERM reset requests
 * sent on open connections just as the server closed them). The server of src/server.ts
 * (gracefulServer) on a real port, with keep-alive clients: after shutdown(), what SIGTERM calls, every
 * request sent gets an HTTP answer, those answered after it say `Connection: close`, /readyz is 503 while
 * /healthz stays 200, idle connections are closed after their grace, and the server then stops. Timers are
 * moved by hand: nothing sleeps.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { gracefulServer, IDLE_GRACE_MS, type ShutdownTimers } from '../src/http';
import { startTestServer, type TestServer } from './helpers/app';
import { answer, type Answer } from './helpers/net';

/** Timers the test fires itself. */
class ManualTimers implements ShutdownTimers {
  private next = 1;
  pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };
  /** Runs the timers of `ms` set so far (each once). */
  fire(ms: number): number {
    const due = [...this.pending].filter(([, t]) => t.ms === ms);
    for (const [id, t] of due) {
      this.pending.delete(id);
      t.fn();
    }
    return due.length;
  }
}

type Outcome = Answer | { error: string };

/** One HTTP/1.1 request on a raw socket, and the answer's status line and Connection header. */
const rawAnswer = (socket: net.Socket, path: string) =>
  new Promise<{ status: number; connection: string | null }>((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = text.slice(0, end);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        connection: /\r\nconnection: *([^\r]*)/i.exec(head)?.[1]?.toLowerCase() ?? null,
      });
    };
    if (socket.readyState !== 'open') return reject(new Error(`connection closed before ${path} was sent`));
    socket.on('data', onData);
    socket.once('error', reject);
    // Closed without an answer (reset or not): what this test is about.
    socket.once('close', () => reject(new Error(`connection closed with no answer to ${path}`)));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`);
  });

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

it('when the server is told to stop under keep-alive load, then every request sent gets an answer, the late ones say Connection: close, and it stops', async () => {
  const timers = new ManualTimers();
  // Requests to /slow are held until the test lets them go: half have sent their headers already (no
  // `Connection: close` can be added to those any more), half not yet.
  const gates: Array<() => void> = [];
  let held = 0;
  const web = gracefulServer(
    (req, res) => {
      if (!req.url?.startsWith('/slow')) return t.app(req, res);
      const early = req.url.endsWith('early');
      if (early) res.writeHead(200, { 'Content-Type': 'text/plain' }).write('started ');
      held += 1;
      gates.push(() => {
        if (!early) res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('done');
      });
    },
    { lifecycle: t.ctx.lifecycle, timers },
  );
  const server = web.server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const connect = () =>
    new Promise<net.Socket>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
    });

  const LOOPS = 8;
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
  const get = (path: string) => answer(http.get({ port, host: '127.0.0.1', path, agent }));
  // Open keep-alive connections, idle in the agent's pool.
  await Promise.all(Array.from({ length: LOOPS }, () => get('/healthz')));
  // Raw keep-alive connections: one answered then idle (it sends again after the signal), one silent.
  const idle = await connect();
  expect((await rawAnswer(idle, '/healthz')).status).toBe(200);
  const silent = await connect();
  const silentClosed = new Promise<void>((resolve) => silent.on('close', () => resolve()));

  /** A client: its held request, then request after request on the same connection until told to close. */
  let stopAt = Infinity;
  const loop = async (i: number): Promise<Outcome[]> => {
    const out: Outcome[] = [];
    try {
      out.push(await get(i % 2 === 0 ? '/slow?early' : '/slow?late'));
      while (out.length < 50 && (out.at(-1) as Answer).connection !== 'close') {
        const a = await get('/open311/v2/services.json');
        if (Date.now() < stopAt) out.length = 1; // only the answers after the signal are looked at
        out.push(a);
      }
    } catch (err) {
      out.push({ error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
    return out;
  };
  const loops = Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
  for (let i = 0; i < 500 && held < LOOPS; i++) await new Promise((r) => setImmediate(r));
  expect(held).toBe(LOOPS);

  stopAt = Date.now();
  const stopped = web.shutdown({ now: t.clock.now(), drainMs: 7_000 });
  expect(t.ctx.lifecycle.stopping).toBe(true);
  // Readiness turns 503 at once; liveness does not change.
  expect((await request(t.app).get('/readyz')).status).toBe(503);
  expect((await request(t.app).get('/healthz')).status).toBe(200);
  // A request on a connection that was idle when the signal came is answered, and told to close.
  expect(await rawAnswer(idle, '/readyz')).toEqual({ status: 503, connection: 'close' });

  for (const release of gates) release();
  const outcomes = await loops;
  for (const [i, out] of outcomes.entries()) {
    expect({ loop: i, errors: out.filter((o) => 'error' in o) }).toEqual({ loop: i, errors: [] });
    const answers = out as Answer[];
    // The held request: those whose headers went before the signal kept the connection open, and the
    // client's next request on it was answered too; every connection ended on a `Connection: close`.
    expect(answers[0]!.body).toMatch(/done$/);
    if (i % 2 === 1) expect(answers[0]!.connection).toBe('close');
    expect(answers.at(-1)!.connection).toBe('close');
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.length).toBeLessThanOrEqual(2);
  }

  // The silent connection is closed after its idle grace; then the server has stopped.
  let settled = false;
  void stopped.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  expect(settled).toBe(false);
  expect(timers.fire(IDLE_GRACE_MS)).toBeGreaterThan(0);
  await silentClosed;
  expect(await stopped).toEqual({ drained: true, cutOff: 0 });
  agent.destroy();
  idle.destroy();
  // No longer accepting: a new connection is refused (never reset after its request was sent).
  await expect(get('/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
}, 30_000);
