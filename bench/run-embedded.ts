/**
 * `npm run bench:embedded`: the server on the embedded database (PGlite + PostGIS, one connection).
 * 1. What a new user meets (issue #21, target 5): `npm start`'s defaults (demo city, migrations, inline
 *    worker) on a fresh data dir: time to ready (first start), RSS at rest, then a restart on the same dir:
 *    time to ready and RSS at rest. BENCH_STARTS=n repeats this on n fresh dirs (the medians are reported).
 * 2. Load, with 100,000 requests (BENCH_ROWS), in a data dir of its own (BENCH_DATA_DIR, default a temp
 *    folder kept between runs). BENCH_ONLY=<regex> runs only the matching load scenarios.
 * BENCH_LOAD=0 stops after part 1 (printed only). BENCH_TSX=1 runs part 1's server through tsx even when
 * dist/ is current (scripts/launch.sh), to compare the two in one sitting.
 * BENCH_SERVER_ROOT=<checkout> runs another checkout's server (e.g. the main branch) with this benchmark,
 * for a before/after in one sitting; BENCH_NO_WRITE=1 prints without writing BENCHMARKS.md.
 * No baseline: the bare Express + pg baseline needs PostgreSQL; the PostgreSQL section of BENCHMARKS.md
 * has the ratios. Writes its own section of BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/connect';
import {
  load,
  measureEscalation,
  portFree,
  prepare,
  requestMakers,
  rssMb,
  SECONDS,
  startServer,
  stop,
  timedGet,
  waitReady,
  type Load,
  percentile,
} from './harness';
import { machineLine, writeSection } from './report-file';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const DATA_DIR = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), 'open311-bench-embedded');
const PORT = 4103;
const ROOT = path.resolve(process.env.BENCH_SERVER_ROOT ?? path.join(__dirname, '..'));
const STARTS = Number(process.env.BENCH_STARTS ?? 1);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : null;
/** How long the server is left alone after it answers before its RSS is read. */
const SETTLE_MS = 10_000;

/**
 * The server of ROOT as `npm start` runs it (scripts/launch.sh: the build in dist/ when it is current, else
 * the sources through tsx; BENCH_TSX=1 forces tsx), with its defaults but the port.
 */
function startDefaultServer(dataDir: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(PORT) };
  for (const name of ['DATABASE_URL', 'DEMO', 'MIGRATE_ON_START', 'WORKER']) delete env[name];
  env.LOG_LEVEL = 'warn';
  if (process.env.BENCH_TSX === '1') env.OPEN311_TSX = '1';
  // launch.sh execs node: the child's pid is the server's.
  const child = spawn('sh', ['scripts/launch.sh', 'server'], { cwd: ROOT, env, stdio: 'inherit' });
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return child;
}

/** Milliseconds from `since` until GET /readyz answers 200 (polled every 50 ms, for up to 10 minutes). */
async function timeToReady(child: ChildProcess, since: number): Promise<number> {
  while (Date.now() - since < 600_000) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get({ host: '127.0.0.1', port: PORT, path: '/readyz' }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server was not ready in 10 minutes');
}

interface StartFigures {
  firstMs: number;
  firstRss: number;
  restartMs: number;
  restartRss: number;
}

/** A first start on a fresh data dir and a restart on it, as a new user's `npm start`. */
async function measureStarts(): Promise<StartFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-bench-first-'));
  try {
    const once = async () => {
      const t0 = Date.now();
      const server = startDefaultServer(dir);
      try {
        const ms = await timeToReady(server, t0);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        return { ms, rss: rssMb(server.pid as number) };
      } finally {
        await stop(server);
      }
    };
    const first = await once();
    const again = await once();
    return { firstMs: first.ms, firstRss: first.rss, restartMs: again.ms, restartRss: again.rss };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * harness.startServer's server (bench settings: no demo, no migrations, no rate limit) from ROOT, with the
 * inline worker: the embedded database refuses WORKER=off (no separate worker could open it).
 */
const startServerAt = (root: string, env: NodeJS.ProcessEnv): ChildProcess =>
  startServer(PORT, { WORKER: 'inline', ...env }, [], root);

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function main(): Promise<void> {
  if (!(await portFree(PORT))) throw new Error(`port ${PORT} is in use: stop what holds it first`);
  const starts: StartFigures[] = [];
  for (let i = 0; i < STARTS; i += 1) {
    const s = await measureStarts();
    console.log(
      `first start ${(s.firstMs / 1000).toFixed(1)} s, ${s.firstRss} MB at rest; restart ${(s.restartMs / 1000).toFixed(1)} s, ${s.restartRss} MB at rest`,
    );
    starts.push(s);
  }
  const startsOf = (k: keyof StartFigures) => median(starts.map((s) => s[k]));
  if (process.env.BENCH_LOAD === '0') return;

  // The data dir has one owner at a time: seed and sample first, then hand it to the server.
  let db = await openDatabase({ kind: 'embedded', dataDir: DATA_DIR });
  const t0 = Date.now();
  const { key, points } = await prepare(db, ROWS);
  const prepared = Math.round((Date.now() - t0) / 1000);
  const total = Number((await db.knex('service_requests').count({ n: '*' }))[0]?.n);
  await db.close();

  const server: ChildProcess = startServerAt(ROOT, { DATABASE_URL: '', DATA_DIR });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      server.kill('SIGTERM');
      process.exit(130);
    });
  const rows: Array<{ name: string; r: Load; target: string }> = [];
  let rssRest = 0;
  let rssLoad = 0;
  try {
    await waitReady(PORT, '/readyz', server);
    // The start-up's background work first: the dashboard's first warm-up runs 2 s after listen on the
    // embedded database (src/server.ts), a few seconds of queries at this size that would land in the
    // first scenario.
    await new Promise((r) => setTimeout(r, 3_000));
    await settled(PORT);
    const pid = server.pid as number;
    rssRest = rssMb(pid);
    const sampler = setInterval(() => (rssLoad = Math.max(rssLoad, rssMb(pid))), 250);
    const { postBody, radius, bbox } = requestMakers(points, key);
    const scenarios: Array<[string, Parameters<typeof load>[0], string]> = [
      [
        'POST requests, 16 connections',
        {
          port: PORT,
          path: '/open311/v2/requests.json',
          method: 'POST',
          body: postBody(true),
          connections: 16,
        },
        'reported',
      ],
      [
        'GET requests, 1000 rows, JSON',
        { port: PORT, path: '/open311/v2/requests.json', connections: 4 },
        'reported',
      ],
      [
        'GET requests, 1000 rows, XML',
        { port: PORT, path: '/open311/v2/requests.xml', connections: 4 },
        'reported',
      ],
      [
        'GET requests, lat/long radius=500',
        { port: PORT, path: radius('/open311/v2/requests.json'), connections: 4 },
        'reported',
      ],
      [
        'GET requests, bbox (~700 m)',
        { port: PORT, path: bbox('/open311/v2/requests.json'), connections: 4 },
        'reported',
      ],
      [
        'GET services (from memory)',
        { port: PORT, path: '/open311/v2/services.json', connections: 16 },
        'reported',
      ],
    ];
    for (const [name, opts, target] of scenarios.filter(([name]) => !ONLY || ONLY.test(name))) {
      // The one connection still works through the requests the last scenario left in flight (16 XML
      // pages of ~7 s each): the next scenario starts once the database answers /readyz promptly again,
      // else it measures that backlog (the "GET services" row answered nothing after the XML one).
      await settled(PORT);
      process.stdout.write(`${name}... `);
      const r = await load(opts);
      console.log(`${r.rps} req/s, p95 ${r.p95} ms`);
      rows.push({ name, r, target });
    }
    clearInterval(sampler);
  } finally {
    await stop(server);
  }
  db = await openDatabase({ kind: 'embedded', dataDir: DATA_DIR });
  let escalation: Awaited<ReturnType<typeof measureEscalation>>;
  try {
    escalation = await measureEscalation(db);
  } finally {
    await db.close();
  }

  const fmt = (l: Load) =>
    `${l.rps} req/s; p50 ${l.p50} / p95 ${l.p95} / p99 ${l.p99} ms${l.non2xx + l.errors > 0 ? `; ${l.non2xx} non-2xx, ${l.errors} errors` : ''}`;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    machineLine('embedded PGlite with PostGIS (WebAssembly, one connection, data on disk)'),
    '',
    `A new user's \`npm start\` (demo city, migrations, inline worker) on a fresh data dir, then a restart on it${STARTS > 1 ? ` (median of ${STARTS} fresh dirs)` : ''}; RSS read ${SETTLE_MS / 1000} s after the server first answers /readyz. Load average ${os.loadavg()[0]?.toFixed(1)} at the end of the run.`,
    '',
    '| start-up | result | target |',
    '|---|---|---|',
    `| first start, fresh data dir | ${secs(startsOf('firstMs'))} | < 15 s |`,
    `| RSS at rest after the first start | ${startsOf('firstRss')} MB | < 300 MB |`,
    `| restart | ${secs(startsOf('restartMs'))} | < 3 s |`,
    `| RSS at rest after a restart | ${startsOf('restartRss')} MB | < 300 MB |`,
    '',
    `Data: ${total.toLocaleString('en-US')} requests on the Boston demo city (opening the data dir and topping it up to the wanted rows took ${prepared} s in this run). Each scenario ran ${SECONDS} s; load generator in the same process group on the same 2 cores.`,
    '',
    `The embedded database is one PostgreSQL backend in WebAssembly inside the server process: every query waits its turn on one connection and shares the event loop with HTTP, so throughput is bounded by one core and queries never overlap. Its memory is the WebAssembly heap of PGlite (the PostgreSQL backend, its buffers and PostGIS) inside the server process: ${rssRest} MB at rest at this size in this run (the last row), where the same server on PostgreSQL holds about 110 MB (the PostgreSQL section). It is for laptops, demos and small towns; a city in production runs PostgreSQL (section above).`,
    '',
    '| scenario | server | target | result |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.name} | ${fmt(row.r)} | ${row.target} | – |`),
    `| escalation sweep, nothing due | ${escalation.idleTick} ms per tick | reported | – |`,
    `| escalation sweep, 1,000 due | ${escalation.dueTick} ms (${escalation.fired} steps fired) | reported | – |`,
    `| server memory (RSS) | ${rssRest} MB at rest, ${rssLoad} MB peak under load | reported | – |`,
  ];
  if (!process.env.BENCH_NO_WRITE && !ONLY && ROOT === path.resolve(__dirname, '..'))
    writeSection(`Embedded database (PGlite) at ${ROWS.toLocaleString('en-US')} requests (issue #7)`, lines);
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/** Waits (at most 3 minutes) until /readyz, which asks the database, answers within 250 ms. */
async function settled(port: number): Promise<void> {
  const deadline = performance.now() + 180_000;
  for (;;) {
    const r = await timedGet(port, '/readyz');
    if ((r.status === 200 && r.ms <= 250) || performance.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
