/**
 * `npm run bench` (PostgreSQL: BENCH_DATABASE_URL or DATABASE_URL): every scenario first against the bare
 * Express + pg baseline (bench/baseline-server.ts), then against the server, in the same run, and writes
 * BENCHMARKS.md with the machine, the date, absolute figures, ratios and the targets met or not.
 * Load stays on loopback and each scenario is bounded in time (BENCH_SECONDS, default 8).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createApiKey } from '../src/auth';
import { openDatabase, type Database } from '../src/db/connect';
import { migrateLatest } from '../src/db/migrate';
import { hasJurisdiction, loadDemoCity } from '../src/demo/load-demo';
import { sweepEscalations } from '../src/sla/escalation';
import { seedRequests } from './seed';

const ROOT = path.resolve(__dirname, '..');
const URL_ = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const BASE_PORT = 4101;
const OURS_PORT = 4102;

interface Load {
  rps: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

async function load(opts: {
  port: number;
  path: string | (() => string);
  method?: 'GET' | 'POST';
  body?: () => string;
  connections: number;
}): Promise<Load> {
  const times: number[] = [];
  const pathOf = typeof opts.path === 'string' ? () => opts.path as string : opts.path;
  const options: autocannon.Options = {
    url: `http://127.0.0.1:${opts.port}`,
    connections: opts.connections,
    duration: SECONDS,
    requests: [
      {
        method: opts.method ?? 'GET',
        setupRequest: (req) => ({
          ...req,
          path: pathOf(),
          ...(opts.body
            ? { body: opts.body(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
            : {}),
        }),
      },
    ],
  };
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) =>
      times.push(ms),
    );
  });
  times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    rps: round(r.requests.average),
    mean: round(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)),
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    p99: round(percentile(times, 99)),
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Stops a child and waits for it (at once when it has already exited). */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = http.createServer().once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function waitReady(port: number, pathName: string): Promise<void> {
  for (let i = 0; i < 120; i += 1) {
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: pathName }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`port ${port} not ready`);
}

async function prepare(db: Database): Promise<{ key: string; points: Array<[number, number]> }> {
  await migrateLatest(db.knex);
  if (!(await hasJurisdiction(db.knex))) await loadDemoCity(db.knex, new Date());
  const have = Number((await db.knex('service_requests').count({ n: '*' }))[0]?.n);
  if (have < ROWS) {
    console.log(`seeding ${ROWS - have} requests...`);
    const t0 = Date.now();
    await seedRequests(db, ROWS - have, new Date(), (n) => n % 200_000 === 0 && console.log(`  ${n}`));
    console.log(`  seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const key = (await createApiKey(db.knex, { name: 'bench', role: 'client', channel: 'web' }, new Date()))
    .secret;
  const points = (
    (
      await db.knex.raw(
        'SELECT ST_Y(location::geometry) lat, ST_X(location::geometry) long FROM address_points ORDER BY random() LIMIT 2000',
      )
    ).rows as Array<{ lat: number; long: number }>
  ).map((p) => [Number(p.lat), Number(p.long)] as [number, number]);
  return { key, points };
}

async function bulkExportRss(pid: number): Promise<{ rows: number; mb: number; seconds: number }> {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200);
  const t0 = Date.now();
  const lines = await new Promise<number>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: OURS_PORT, path: '/open311/v2/bulk/requests.csv' }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          for (const b of c) if (b === 10) n += 1;
        });
        res.on('end', () => resolve(n - 1));
      })
      .on('error', reject);
  });
  clearInterval(timer);
  return { rows: lines, mb: peak, seconds: Math.round((Date.now() - t0) / 100) / 10 };
}

async function main(): Promise<void> {
  if (!URL_)
    throw new Error('set BENCH_DATABASE_URL or DATABASE_URL (PostgreSQL + PostGIS); see README, Benchmarks');
  const db = await openDatabase({ kind: 'postgres', url: URL_, poolMax: 4 });
  const { key, points } = await prepare(db);
  const pg = (
    await db.knex.raw("SELECT split_part(version(), ' ', 2) AS pg, postgis_lib_version() AS postgis")
  ).rows[0] as { pg: string; postgis: string };
  const total = Number((await db.knex('service_requests').count({ n: '*' }))[0]?.n);
  const open = Number((await db.knex('service_requests').where('status', 'open').count({ n: '*' }))[0]?.n);

  for (const port of [BASE_PORT, OURS_PORT]) {
    if (!(await portFree(port)))
      throw new Error(`port ${port} is in use (a server left from an earlier run?): stop it first`);
  }
  const env = {
    ...process.env,
    DATABASE_URL: URL_,
    LOG_LEVEL: 'warn',
    WORKER: 'off',
    DEMO: 'false',
    MIGRATE_ON_START: 'false',
    POST_RATE_LIMIT_PER_MINUTE: '1000000',
  };
  const baseline: ChildProcess = fork(path.join(__dirname, 'baseline-server.ts'), {
    execArgv: ['--require', 'tsx/cjs'],
    env: { ...env, PORT: String(BASE_PORT) },
    stdio: 'inherit',
  });
  // Children never outlive an interrupted run.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      baseline.kill('SIGTERM');
      ours.kill('SIGTERM');
      process.exit(130);
    });
  }
  let ours: ChildProcess = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...env, PORT: String(OURS_PORT), HOST: '127.0.0.1' },
    stdio: 'inherit',
  });
  try {
    await waitReady(BASE_PORT, '/services.json');
    await waitReady(OURS_PORT, '/readyz');
    const oursPid = ours.pid as number;
    const rssRest = rssMb(oursPid);
    const pick = () => points[Math.floor(Math.random() * points.length)] as [number, number];
    const postBody = (withKey: boolean) => () => {
      const [lat, long] = pick();
      return new URLSearchParams({
        ...(withKey ? { api_key: key } : {}),
        service_code: 'STRLGTOUT',
        lat: String(lat + 0.0001),
        long: String(long),
        'attribute[LIGHTS_OUT]': '2',
      }).toString();
    };
    const radius = (prefix: string) => () => {
      const [lat, long] = pick();
      return `${prefix}?lat=${lat}&long=${long}&radius=500`;
    };
    const bbox = (prefix: string) => () => {
      const [lat, long] = pick();
      return `${prefix}?bbox=${long - 0.004},${lat - 0.003},${long + 0.004},${lat + 0.003}`;
    };
    const since = new Date(Date.now() - 3 * 86_400_000).toISOString();

    const rows: Array<{
      name: string;
      base: Load | null;
      ours: Load;
      target: string;
      met: (b: Load | null, o: Load) => boolean;
    }> = [];
    const run = async (
      name: string,
      b: Parameters<typeof load>[0] | null,
      o: Parameters<typeof load>[0],
      target: string,
      met: (b: Load | null, o: Load) => boolean,
    ) => {
      process.stdout.write(`${name}... `);
      const base = b ? await load(b) : null;
      const mine = await load(o);
      console.log(`baseline ${base?.rps ?? '-'} req/s, ours ${mine.rps} req/s, ours p95 ${mine.p95} ms`);
      rows.push({ name, base, ours: mine, target, met });
    };
    let rssLoad = 0;
    const sampler = setInterval(() => (rssLoad = Math.max(rssLoad, rssMb(oursPid))), 250);

    await run(
      'POST requests, 16 connections',
      { port: BASE_PORT, path: '/requests.json', method: 'POST', body: postBody(false), connections: 16 },
      {
        port: OURS_PORT,
        path: '/open311/v2/requests.json',
        method: 'POST',
        body: postBody(true),
        connections: 16,
      },
      '≥ 50% of baseline throughput, p95 < 25 ms',
      (b, o) => o.rps >= 0.5 * (b?.rps ?? 0) && o.p95 < 25,
    );
    await run(
      'POST requests, 64 connections',
      { port: BASE_PORT, path: '/requests.json', method: 'POST', body: postBody(false), connections: 64 },
      {
        port: OURS_PORT,
        path: '/open311/v2/requests.json',
        method: 'POST',
        body: postBody(true),
        connections: 64,
      },
      '≥ 50% of baseline throughput',
      (b, o) => o.rps >= 0.5 * (b?.rps ?? 0),
    );
    await run(
      'GET requests, 1000 rows, JSON',
      { port: BASE_PORT, path: '/requests.json', connections: 8 },
      { port: OURS_PORT, path: '/open311/v2/requests.json', connections: 8 },
      'mean latency ≤ 1.5× baseline',
      (b, o) => o.mean <= 1.5 * (b?.mean ?? Infinity),
    );
    await run(
      'GET requests, 1000 rows, XML',
      { port: BASE_PORT, path: '/requests.xml', connections: 8 },
      { port: OURS_PORT, path: '/open311/v2/requests.xml', connections: 8 },
      'mean latency ≤ 2× baseline',
      (b, o) => o.mean <= 2 * (b?.mean ?? Infinity),
    );
    await run(
      'GET requests, lat/long radius=500',
      { port: BASE_PORT, path: radius('/requests.json'), connections: 8 },
      { port: OURS_PORT, path: radius('/open311/v2/requests.json'), connections: 8 },
      'p95 < 10 ms',
      (_b, o) => o.p95 < 10,
    );
    await run(
      'GET requests, bbox (~700 m)',
      { port: BASE_PORT, path: bbox('/requests.json'), connections: 8 },
      { port: OURS_PORT, path: bbox('/open311/v2/requests.json'), connections: 8 },
      'p95 < 10 ms',
      (_b, o) => o.p95 < 10,
    );
    const nearby = (prefix: string, extra: string) => () =>
      `${radius(prefix)().replace('radius=500', 'radius=150')}${extra}`;
    await run(
      'GET requests, nearby for a mobile app (radius 150, 1 connection)',
      { port: BASE_PORT, path: nearby('/requests.json', ''), connections: 1 },
      {
        port: OURS_PORT,
        path: nearby('/open311/v2/requests.json', '&status=open&page_size=20&sort=distance'),
        connections: 1,
      },
      'p95 < 10 ms',
      (_b, o) => o.p95 < 10,
    );
    await run(
      'GET requests, updated_after (3 days)',
      { port: BASE_PORT, path: `/requests.json?updated_after=${since}`, connections: 8 },
      { port: OURS_PORT, path: `/open311/v2/requests.json?updated_after=${since}`, connections: 8 },
      'reported',
      () => true,
    );
    await run(
      'GET services (from memory)',
      { port: BASE_PORT, path: '/services.json', connections: 16 },
      { port: OURS_PORT, path: '/open311/v2/services.json', connections: 16 },
      'reported',
      () => true,
    );
    await run(
      'GET one service definition',
      null,
      { port: OURS_PORT, path: '/open311/v2/services/REQPOTHL.json', connections: 16 },
      'reported',
      () => true,
    );
    clearInterval(sampler);

    // The escalation sweep, run here against the same database.
    await db.knex.raw(
      "UPDATE service_requests SET next_escalation_at = now() + interval '30 days' WHERE status = 'open'",
    );
    // Steady state: the bulk UPDATE above leaves dead index entries that autovacuum would clear.
    await db.knex.raw('VACUUM ANALYZE service_requests');
    await sweepEscalations(db.knex, new Date());
    const ticks: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const t = performance.now();
      await sweepEscalations(db.knex, new Date());
      ticks.push(performance.now() - t);
    }
    const idleTick = Math.round((ticks.sort((a, b) => a - b)[3] as number) * 10) / 10;
    // 1,000 open requests whose ladder has not fired yet, all overdue past 150%.
    await db.knex.raw(
      `UPDATE service_requests SET requested_at = now() - interval '60 days', expected_at = now() - interval '30 days',
         next_escalation_at = now() - interval '1 minute'
       WHERE id IN (SELECT r.id FROM service_requests r WHERE r.status = 'open'
                    AND NOT EXISTS (SELECT 1 FROM request_escalations e WHERE e.request_id = r.id) ORDER BY r.id LIMIT 1000)`,
    );
    const t0 = performance.now();
    const fired = await sweepEscalations(db.knex, new Date(), 1000);
    const dueTick = Math.round(performance.now() - t0);

    // The export's memory is measured in a fresh server process, not one still holding the load tests' heap.
    await stop(ours);
    ours = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/server.ts'], {
      cwd: ROOT,
      env: { ...env, PORT: String(OURS_PORT), HOST: '127.0.0.1' },
      stdio: 'inherit',
    });
    await waitReady(OURS_PORT, '/readyz');
    const bulk = await bulkExportRss(ours.pid as number);
    writeReport({ pg, total, open, rows, rssRest, rssLoad, idleTick, dueTick, fired, bulk });
  } finally {
    await Promise.all([stop(baseline), stop(ours)]);
    await db.close();
  }
}

function writeReport(r: {
  pg: { pg: string; postgis: string };
  total: number;
  open: number;
  rows: Array<{
    name: string;
    base: Load | null;
    ours: Load;
    target: string;
    met: (b: Load | null, o: Load) => boolean;
  }>;
  rssRest: number;
  rssLoad: number;
  idleTick: number;
  dueTick: number;
  fired: number;
  bulk: { rows: number; mb: number; seconds: number };
}): void {
  const yes = (ok: boolean) => (ok ? 'met' : '**not met**');
  const fmt = (l: Load | null) =>
    l
      ? `${l.rps} req/s; p50 ${l.p50} / p95 ${l.p95} / p99 ${l.p99} ms${l.non2xx + l.errors > 0 ? `; ${l.non2xx} non-2xx, ${l.errors} errors` : ''}`
      : '–';
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; PostgreSQL ${r.pg.pg}, PostGIS ${r.pg.postgis} (local, durability settings of scripts/pg-local.sh: fsync off).`,
    '',
    `Data: ${r.total.toLocaleString('en-US')} requests (${r.open.toLocaleString('en-US')} open) on the Boston demo city (39,308 address points), generated by \`npm run bench:seed\`. Each scenario ran ${SECONDS} s against the baseline (bare Express + pg, same SQL, \`bench/baseline-server.ts\`) and then ${SECONDS} s against the server, in this one run, load generator (autocannon) in the same 2-core machine. Ratios are what carries to other machines.`,
    '',
    '| scenario | baseline | server | ratio (server / baseline throughput) | target | result |',
    '|---|---|---|---|---|---|',
    ...r.rows.map(
      (row) =>
        `| ${row.name} | ${fmt(row.base)} | ${fmt(row.ours)} | ${row.base ? (Math.round((row.ours.rps / row.base.rps) * 100) / 100).toString() : '–'} | ${row.target} | ${row.target === 'reported' ? '–' : yes(row.met(row.base, row.ours))} |`,
    ),
    `| escalation sweep, nothing due | – | ${r.idleTick} ms per tick | – | < 20 ms | ${yes(r.idleTick < 20)} |`,
    `| escalation sweep, 1,000 due | – | ${r.dueTick} ms (${r.fired} steps fired) | – | < 1 s | ${yes(r.dueTick < 1000)} |`,
    `| server memory (RSS) | – | ${r.rssRest} MB at rest, ${r.rssLoad} MB peak under load | – | < 300 MB under load | ${yes(r.rssLoad < 300)} |`,
    `| bulk CSV export of every public request | – | ${r.bulk.rows.toLocaleString('en-US')} rows in ${r.bulk.seconds} s, peak RSS ${r.bulk.mb} MB | – | < 150 MB | ${yes(r.bulk.mb < 150)} |`,
    '',
    'How to run this: README.md, "Benchmarks". What bounds the figures that miss their target, and what was fixed: docs/decisions/0002-performance.md.',
    '',
  ];
  // Keep the geocoding accuracy section written by `npm run bench:geocode`.
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const geocoding = fs.existsSync(file)
    ? (/\n## Geocoding accuracy[\s\S]*$/.exec(fs.readFileSync(file, 'utf8'))?.[0] ?? '')
    : '';
  fs.writeFileSync(file, `${lines.join('\n')}${geocoding}`);
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
