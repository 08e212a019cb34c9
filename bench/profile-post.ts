/**
 * `tsx bench/profile-post.ts` (BENCH_DATABASE_URL, or BENCH_DATA_DIR for the embedded database): where a POST's time goes. Runs the real app in this
 * process, posts N requests one at a time, and totals the database time of each SQL statement shape.
 *
 * With CONNECTIONS=<n> (PostgreSQL only) it profiles under load instead: the server as a child process
 * (with CPU_PROF=1, under `--cpu-prof`, the profile written to /tmp/open311-post-prof), autocannon posting
 * for BENCH_SECONDS in the shape SHAPE (`scattered`: up to 300 m from random addresses; `spots`: the storm
 * day's 200 busy spots), and the CPU time per POST of the server and of PostgreSQL's backends.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../src/app';
import { createApiKey } from '../src/auth';
import { loadConfig } from '../src/config';
import { createContext } from '../src/context';
import { openDatabase } from '../src/db/connect';
import { load, prepare, quiet, requestMakers, startServer, stop, waitReady } from './harness';

async function main(): Promise<void> {
  if (process.env.CONNECTIONS) return underLoad(Number(process.env.CONNECTIONS));
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const dataDir = process.env.BENCH_DATA_DIR;
  if (!url && !dataDir) throw new Error('set BENCH_DATABASE_URL or BENCH_DATA_DIR');
  const n = Number(process.env.N ?? 300);
  const db = await openDatabase(
    url ? { kind: 'postgres', url, poolMax: 4 } : { kind: 'embedded', dataDir: dataDir as string },
  );
  const config = loadConfig({ LOG_LEVEL: 'silent', POST_RATE_LIMIT_PER_MINUTE: '1000000' });
  const ctx = createContext({ config, db, logger: pino({ level: 'silent' }) });
  const app = createApp(ctx);
  const key = (await createApiKey(db.knex, { name: 'profile', role: 'client', channel: 'web' }, new Date()))
    .secret;
  const points = (
    await db.knex.raw(
      'SELECT ST_Y(location::geometry) lat, ST_X(location::geometry) long FROM address_points ORDER BY random() LIMIT 500',
    )
  ).rows as Array<{ lat: number; long: number }>;
  const stats = new Map<string, { n: number; ms: number }>();
  const started = new Map<string, number>();
  db.knex.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
  db.knex.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
    const t = started.get(q.__knexQueryUid);
    if (t === undefined) return;
    const shape = q.sql.replace(/\s+/g, ' ').slice(0, 110);
    const s = stats.get(shape) ?? { n: 0, ms: 0 };
    s.n += 1;
    s.ms += performance.now() - t;
    stats.set(shape, s);
  });
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/open311/v2/requests.json',
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const p = points[i % points.length] as { lat: number; long: number };
    const body = new URLSearchParams({
      api_key: key,
      service_code: 'STRLGTOUT',
      lat: String(Number(p.lat) + 0.0001),
      long: String(p.long),
      'attribute[LIGHTS_OUT]': '2',
    }).toString();
    const t = performance.now();
    const status = await post(body);
    times.push(performance.now() - t);
    if (status !== 201 && status !== 200) console.log('status', status);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  console.log(
    `${n} POSTs, mean ${(total / n).toFixed(2)} ms, p50 ${times[Math.floor(n / 2)]?.toFixed(2)} p95 ${times[Math.floor(n * 0.95)]?.toFixed(2)}`,
  );
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
  let sqlMs = 0;
  for (const [shape, s] of rows) {
    sqlMs += s.ms;
    console.log(`${(s.ms / n).toFixed(3).padStart(8)} ms/post ${String(s.n / n).padStart(5)}x  ${shape}`);
  }
  console.log(`SQL ${(sqlMs / n).toFixed(2)} ms per POST of ${(total / n).toFixed(2)}`);
  server.close();
  await db.close();
}
/** CPU seconds (user + system, or system only) of a process, from /proc. */
function cpuSeconds(pid: number, systemOnly = false): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((systemOnly ? 0 : Number(fields[11])) + Number(fields[12])) / 100;
  } catch {
    return 0; // gone
  }
}

/** PostgreSQL's processes: the postmaster and its children (backends, walwriter, autovacuum...). */
function postgresPids(postmaster: number): number[] {
  const pids = [postmaster];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(fields[1]) === postmaster) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

async function underLoad(connections: number): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('set BENCH_DATABASE_URL');
  const db = await openDatabase({ kind: 'postgres', url, poolMax: 2 });
  const { key, points } = await prepare(db, 0);
  const dataDir = (await db.knex.raw('SHOW data_directory')).rows[0].data_directory as string;
  const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const port = 4199;
  // BASELINE=1: the same load on the bare Express + pg baseline (bench/baseline-server.ts), for comparison.
  const baseline = Boolean(process.env.BASELINE);
  const child = baseline
    ? fork(path.join(__dirname, 'baseline-server.ts'), {
        execArgv: [
          ...(process.env.CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/open311-post-prof'] : []),
          '--require',
          'tsx/cjs',
        ],
        env: { ...process.env, DATABASE_URL: url, PORT: String(port) },
      })
    : startServer(
        port,
        { DATABASE_URL: url },
        process.env.CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/open311-post-prof'] : [],
      );
  try {
    await waitReady(port, baseline ? '/services.json' : '/readyz', child);
    await quiet(db);
    const { postBody, spotBody } = requestMakers(points, key);
    const body = process.env.SHAPE === 'spots' ? spotBody(true) : postBody(true, 300);
    const opts = {
      port,
      path: baseline ? '/requests.json' : '/open311/v2/requests.json',
      method: 'POST' as const,
      body,
      connections,
    };
    await load({ ...opts, seconds: 2 }); // warm: prepared statements, caches, JIT
    const pgPids = postgresPids(postmaster);
    const pgCpu = () => pgPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const pid = child.pid as number;
    const [node0, sys0, pg0] = [cpuSeconds(pid), cpuSeconds(pid, true), pgCpu()];
    const l = await load(opts);
    const [node1, sys1, pg1] = [cpuSeconds(pid), cpuSeconds(pid, true), pgCpu()];
    const per = (s: number) => ((s * 1000) / l.requests).toFixed(2);
    console.log(
      `${baseline ? 'baseline, ' : ''}${process.env.SHAPE ?? 'scattered'}, ${connections} connections: ${l.rps} req/s, p50 ${l.p50} p95 ${l.p95} ms, ` +
        `${l.non2xx} non-2xx; CPU per POST: server ${per(node1 - node0)} ms (${per(sys1 - sys0)} in the kernel), PostgreSQL ${per(pg1 - pg0)} ms ` +
        `(load average ${os.loadavg()[0]?.toFixed(1)})`,
    );
  } finally {
    await stop(child);
    await db.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
