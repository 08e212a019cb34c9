/** What the load benchmarks share: an autocannon run with exact percentiles, RSS, child processes, ports. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';
import { createApiKey } from '../src/auth';
import type { Database } from '../src/db/connect';
import { migrateLatest } from '../src/db/migrate';
import { hasJurisdiction, loadDemoCity } from '../src/demo/load-demo';
import { seedRequests } from './seed';
import { createCache } from '../src/cache';
import { Calendars } from '../src/sla/calendar-store';
import { sweepEscalations } from '../src/escalation';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** How many busy spots the storm-day POST scenario reports at. */
export const SPOTS = 200;

export interface Load {
  /** Responses received. */
  requests: number;
  rps: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

export async function load(opts: {
  port: number;
  path: string | (() => string);
  method?: 'GET' | 'POST';
  body?: () => string;
  connections: number;
  seconds?: number;
}): Promise<Load> {
  const times: number[] = [];
  const pathOf = typeof opts.path === 'string' ? () => opts.path as string : opts.path;
  const options: autocannon.Options = {
    url: `http://127.0.0.1:${opts.port}`,
    connections: opts.connections,
    duration: opts.seconds ?? SECONDS,
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
    requests: times.length,
    rps: round(r.requests.average),
    mean: round(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)),
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    p99: round(percentile(times, 99)),
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** One GET on loopback: how long it took and its status (0: timed out or failed). */
export function timedGet(
  port: number,
  path: string,
  timeoutMs = 30_000,
): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (r) =>
      r.resume().on('end', () => resolve({ ms: performance.now() - t0, status: r.statusCode ?? 0 })),
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ ms: performance.now() - t0, status: 0 });
    });
    req.on('error', () => resolve({ ms: performance.now() - t0, status: 0 }));
  });
}

export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Stops a child and waits for it (at once when it has already exited). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = http.createServer().once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export async function waitReady(port: number, pathName: string, child?: ChildProcess): Promise<void> {
  for (let i = 0; i < 240; i += 1) {
    if (child && child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
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

/**
 * Waits (at most `maxMs`) until no other session of this database runs a statement for a second: the
 * server's start-up work (the dashboard warm-up scans every request) must not overlap the first scenario.
 */
export async function quiet(db: Database, maxMs = 90_000): Promise<void> {
  const until = Date.now() + maxMs;
  await new Promise((r) => setTimeout(r, 2000)); // the warm-up starts its queries a moment after listening
  let calm = 0;
  while (calm < 4 && Date.now() < until) {
    const n = Number(
      (
        await db.knex.raw(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()",
        )
      ).rows[0].n,
    );
    calm = n === 0 ? calm + 1 : 0;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Request bodies and paths drawn at random from real address points (lat, long). */
export function requestMakers(points: Array<[number, number]>, key: string) {
  const pick = () => points[Math.floor(Math.random() * points.length)] as [number, number];
  /** The storm day's busy spots: the first `SPOTS` points, each reported again and again. */
  const spots = points.slice(0, SPOTS);
  const pickSpot = () => spots[Math.floor(Math.random() * spots.length)] as [number, number];
  const body =
    (from: () => [number, number]) =>
    (withKey: boolean, jitterMetres = 0) =>
    () => {
      const [lat, long] = from();
      const dLat = ((Math.random() * 2 - 1) * jitterMetres) / 111_320;
      const dLong = ((Math.random() * 2 - 1) * jitterMetres) / (111_320 * Math.cos((lat * Math.PI) / 180));
      return new URLSearchParams({
        ...(withKey ? { api_key: key } : {}),
        service_code: 'STRLGTOUT',
        lat: String(lat + 0.0001 + dLat),
        long: String(long + dLong),
        'attribute[LIGHTS_OUT]': '2',
      }).toString();
    };
  return {
    pick,
    /** A light-out report 11 m north of a random address, or up to `jitterMetres` further in any direction. */
    postBody: body(pick),
    /**
     * The storm-day shape: a light-out report at one of 200 busy spots, up to `jitterMetres` (default 10)
     * from it, so that nearly every post joins the open report already there (the duplicate rule's 50 m).
     */
    spotBody: (withKey: boolean, jitterMetres = 10) => body(pickSpot)(withKey, jitterMetres),
    radius: (prefix: string) => () => {
      const [lat, long] = pick();
      return `${prefix}?lat=${lat}&long=${long}&radius=500`;
    },
    bbox: (prefix: string) => () => {
      const [lat, long] = pick();
      return `${prefix}?bbox=${long - 0.004},${lat - 0.003},${long + 0.004},${lat + 0.003}`;
    },
  };
}

/** Migrates, loads the demo city, tops the requests up to `rows`, and makes a key and 2,000 points. */
export async function prepare(
  db: Database,
  rows: number,
): Promise<{ key: string; points: Array<[number, number]> }> {
  await migrateLatest(db.knex);
  if (!(await hasJurisdiction(db.knex))) await loadDemoCity(db.knex, new Date());
  const have = Number((await db.knex('service_requests').count({ n: '*' }))[0]?.n);
  if (have < rows) {
    console.log(`seeding ${rows - have} requests...`);
    const t0 = Date.now();
    await seedRequests(db, rows - have, new Date(), (n) => n % 200_000 === 0 && console.log(`  ${n}`));
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

/**
 * The escalation sweep over the whole table: the median of 7 ticks with nothing due, then one tick with
 * 1,000 open requests past 150% of their response level (every step of the ladder due).
 */
export async function measureEscalation(
  db: Database,
): Promise<{ idleTick: number; dueTick: number; fired: number }> {
  await db.knex.raw(
    "UPDATE service_requests SET next_escalation_at = now() + interval '30 days' WHERE status = 'open'",
  );
  // Steady state: the bulk UPDATE above leaves dead index entries that autovacuum would clear.
  await db.knex.raw('VACUUM ANALYZE service_requests');
  // As the worker has them (ctx.calendars): cached across ticks.
  const calendars = new Calendars(
    db.knex,
    createCache(() => new Date(), { max: 10, ttlMs: 60_000 }),
  );
  await sweepEscalations(db.knex, new Date(), calendars);
  const ticks: number[] = [];
  for (let i = 0; i < 7; i += 1) {
    const t = performance.now();
    await sweepEscalations(db.knex, new Date(), calendars);
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
  const fired = await sweepEscalations(db.knex, new Date(), calendars, 1000);
  const dueTick = Math.round(performance.now() - t0);

  return { idleTick, dueTick, fired };
}

/**
 * How benchmarks run the server: the compiled build (dist/src/server.js), as the container image and
 * `npm start` run it, built first when it is missing or older than a source (the test of
 * scripts/launch.sh); `BENCH_TSX=1` runs src/server.ts through tsx instead (what every benchmark did until
 * 3 December 2026: tsx keeps its transforms and source maps, 30–100 MB of RSS a compiled server does not
 * hold). A checkout older than `scripts/launch.sh fresh` runs through tsx.
 */
export const SERVER_RUN =
  process.env.BENCH_TSX === '1'
    ? 'src/server.ts through tsx (BENCH_TSX=1)'
    : `the compiled build, \`node ${v8Memory(path.resolve(__dirname, '..')).join(' ')} dist/src/server.js\`, as the image runs it`;

/** The V8 memory flags checkout `root` runs its server with (scripts/launch.sh's V8_MEMORY; none if older). */
function v8Memory(root: string): string[] {
  const launcher = path.join(root, 'scripts/launch.sh');
  const flags = fs.existsSync(launcher) ? /^V8_MEMORY=(.*)$/m.exec(fs.readFileSync(launcher, 'utf8')) : null;
  return flags ? flags[1]!.split(' ').filter(Boolean) : [];
}

/** node's arguments for the server of checkout `root` (see SERVER_RUN), building it if needed. */
function serverEntry(root: string): string[] {
  const tsx = ['--require', 'tsx/cjs', 'src/server.ts'];
  if (process.env.BENCH_TSX === '1' || !fs.existsSync(path.join(root, 'scripts/build.sh'))) return tsx;
  // The launcher's own test of a current build (0: current, 1: not; 64: a launcher without it, older).
  const fresh = () => spawnSync('sh', ['scripts/launch.sh', 'fresh'], { cwd: root }).status;
  const before = fresh();
  if (before === 64) return tsx;
  if (before !== 0) {
    console.log(`bench: building ${root} (npm run build) to run the compiled server`);
    const built = spawnSync('sh', ['scripts/build.sh'], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0 || fresh() !== 0) throw new Error(`bench: the build of ${root} failed`);
  }
  return [...v8Memory(root), 'dist/src/server.js'];
}

/**
 * The server as a child on loopback `port`, as benchmarks run it (SERVER_RUN): no worker, no demo
 * load, no migrations, quiet logs; `env` adds to or overrides that (DATABASE_URL, DATA_DIR...), `nodeArgs`
 * go to node (`--cpu-prof`); `root` is the checkout whose server runs. The child is stopped when this
 * process exits.
 */
export function startServer(
  port: number,
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
  /** The checkout whose server runs (another one's, to compare code in one sitting). */
  root = path.resolve(__dirname, '..'),
): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, ...serverEntry(root)], {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      WORKER: 'off',
      DEMO: 'false',
      MIGRATE_ON_START: 'false',
      POST_RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: 'inherit',
  });
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return child;
}
