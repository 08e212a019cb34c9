/**
 * Issue #15.4: graceful shutdown under keep-alive load, on the real server process. After SIGTERM the
 * server answers what is in flight with `Connection: close`, closes idle keep-alive sockets, lets an
 * in-flight request finish (a write to the database), and exits 0 well within the 10 s budget.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { usePostgres } from './helpers/template';
import { scratchPostgresDatabase } from './helpers/db';
import { answer, freePort, type Answer } from './helpers/net';

const ROOT = path.resolve(__dirname, '..');
const ADMIN = 'shutdown-test-admin-key-0123';

/** A database for the server: a clone of the test template on PostgreSQL, a fresh data dir embedded. */
async function serverDatabase(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  if (!usePostgres()) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-shutdown-'));
    return { env: { DATA_DIR: dir }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const scratch = await scratchPostgresDatabase('shutdown', 'template');
  return { env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
}

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`the server exited during start-up (${child.exitCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get({ port, host: '127.0.0.1', path: '/readyz', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the server was not ready after 120 s');
}

it('when SIGTERM arrives under keep-alive load, then in-flight requests finish, connections close, and the exit code is 0 within 10 s', async () => {
  const port = await freePort();
  const db = await serverDatabase();
  const output: string[] = [];
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DEMO: 'false',
      ADMIN_API_KEY: ADMIN,
      WORKER: 'inline',
      WORKER_INTERVAL_MS: '200',
      ...db.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  try {
    await waitReady(port, child);

    // An idle keep-alive connection: one answered request, then the socket stays open.
    const idle = net.connect(port, '127.0.0.1');
    const idleClosed = new Promise<number>((resolve) => idle.on('close', () => resolve(Date.now())));
    idle.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`);
    await new Promise((resolve) => idle.once('data', resolve));

    // Keep-alive load: two sockets sending request after request (each reads the database).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    let sigtermAt = Infinity;
    /** Per load loop, the answers that arrived after SIGTERM was sent. */
    const load = async (): Promise<Answer[]> => {
      const after: Answer[] = [];
      for (;;) {
        try {
          const a = await answer(http.get({ port, host: '127.0.0.1', path: '/readyz', agent }));
          if (Date.now() > sigtermAt) after.push(a);
        } catch {
          return after; // refused once the server stops accepting: the load is over
        }
      }
    };
    const loads = Promise.all([load(), load()]);

    // A request in flight: its body is only half sent when SIGTERM arrives.
    const body = JSON.stringify({ name: 'created during shutdown', role: 'client' });
    const inflight = http.request({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/admin/v1/api-keys',
      agent: new http.Agent({ keepAlive: true }),
      headers: {
        Authorization: `Bearer ${ADMIN}`,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        // The server answers 100 Continue once it has parsed the headers and is handling the request:
        // proof that the request is in flight (not still unread in a socket buffer) before SIGTERM.
        Expect: '100-continue',
      },
    });
    const inflightAnswer = answer(inflight);
    const handling = new Promise((resolve) => inflight.once('continue', resolve));
    inflight.flushHeaders();
    await handling;
    inflight.write(body.slice(0, 10));

    sigtermAt = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    inflight.end(body.slice(10));

    const created = await inflightAnswer;
    expect(created.status).toBe(201);
    expect(created.connection).toBe('close');
    expect(JSON.parse(created.body).name).toBe('created during shutdown');

    const exit = await exited;
    const afterSigterm = await loads;
    agent.destroy();
    expect({ code: exit.code, output: output.join('') }).toEqual({ code: 0, output: expect.any(String) });
    expect(exit.at - sigtermAt).toBeLessThan(10_000);
    expect(await idleClosed).toBeLessThanOrEqual(exit.at + 100);
    // The server stopped answering on open connections: on each, at most the answer already on its way
    // when the signal arrived, then one saying `Connection: close`.
    // The server stopped answering on open connections (it used to go on until the watchdog): a few
    // answers may have been on their way before the signal was handled, and none keeps the socket after
    // a `Connection: close`.
    for (const answers of afterSigterm) {
      expect(answers.length).toBeLessThanOrEqual(5);
      const closeAt = answers.findIndex((a) => a.connection === 'close');
      if (closeAt >= 0) expect(closeAt).toBe(answers.length - 1);
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await db.drop();
  }
}, 180_000);
