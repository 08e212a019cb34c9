/**
 * `npm run bench:opendata` (issue #9), against a PostgreSQL database that already holds about 1M requests
 * (BENCH_DATABASE_URL or DATABASE_URL; `npm run bench:seed` makes one). It only reads. It starts the real
 * server (src/server.ts) as a child on 127.0.0.1 and measures:
 *  - export memory: the peak RSS of a fresh server process while one client streams an export (the full
 *    CSV, a ~100k-row date window, the full GeoJSON and NDJSON), with rows and seconds, to show it is flat;
 *  - dashboard refresh: what the page fetches when the period or layer changes (summary, the layer's
 *    polygons, the request points), p50/p95 with autocannon at 1 and 4 connections, for a year and a month,
 *    both cached (the same period again, as a resident's refresh) and uncached (a new period each request).
 * Writes its section of BENCHMARKS.md. Benchmarks never run in jest.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { openDatabase } from '../src/db/connect';
import { load as harnessLoad, portFree, rssMb, SERVER_RUN, startServer, stop, waitReady } from './harness';
import { machineLine, writeSection } from './report-file';
import {
  buildRollups,
  dashboardLines,
  firstRequests,
  lastDayLoad,
  newPeriodsAtOnce,
  rollupKeeper,
  type Burst,
  type DayLoad,
  type FirstRun,
  type RollupBuild,
} from './dashboard-periods';

const URL_ = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const PORT = Number(process.env.BENCH_PORT ?? 4201);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RSS_TARGET_MB = 150;
const P95_TARGET_MS = 300;
const DAY_MS = 86_400_000;
// BENCH_PART=dashboard: only the dashboard's first requests (issue #21), printed, BENCHMARKS.md left alone;
// BENCH_PART=exports: only the export memory runs, printed.
const PART = process.env.BENCH_PART ?? 'all';
const FIRST_SAMPLES = Number(process.env.BENCH_FIRST_SAMPLES ?? 6);

interface ExportRun {
  name: string;
  rows: number;
  mb: number;
  restMb: number;
  seconds: number;
  bytes: number;
}

/**
 * Streams one export from a fresh server, counting rows by their separator, sampling RSS every 100 ms.
 * `gzip`: the client asks for it (Accept-Encoding) as a browser or curl --compressed does; the rows are
 * counted after gunzip and `bytes` is what crossed the wire.
 */
export async function exportRun(
  name: string,
  pathName: string,
  rowMark: string,
  gzip = false,
): Promise<ExportRun> {
  const server = startServer(PORT, { DATABASE_URL: URL_ });
  try {
    await waitReady(PORT, '/readyz', server);
    const pid = server.pid as number;
    await new Promise((r) => setTimeout(r, 1000));
    const restMb = rssMb(pid);
    let peak = restMb;
    const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
    const t0 = Date.now();
    const mark = Buffer.from(rowMark);
    const { marks, bytes } = await new Promise<{ marks: number; bytes: number }>((resolve, reject) => {
      const headers = gzip ? { 'Accept-Encoding': 'gzip' } : {};
      http
        .get({ host: '127.0.0.1', port: PORT, path: pathName, headers }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`${pathName}: HTTP ${res.statusCode}`));
          if (gzip && res.headers['content-encoding'] !== 'gzip')
            reject(
              new Error(`${pathName}: asked for gzip, got ${res.headers['content-encoding'] ?? 'none'}`),
            );
          let n = 0;
          let size = 0;
          let tail = Buffer.alloc(0);
          res.on('data', (c: Buffer) => (size += c.length));
          const body = gzip ? res.pipe(zlib.createGunzip()) : res;
          body.on('data', (c: Buffer) => {
            const b = Buffer.concat([tail, c]);
            for (let at = b.indexOf(mark); at >= 0; at = b.indexOf(mark, at + mark.length)) n += 1;
            tail = b.subarray(Math.max(0, b.length - mark.length + 1));
          });
          body.on('error', reject);
          body.on('end', () => resolve({ marks: n, bytes: size }));
        })
        .on('error', reject);
    });
    clearInterval(timer);
    peak = Math.max(peak, rssMb(pid));
    const rows = rowMark === '\n' ? marks - 1 : marks; // the CSV header is a line too
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    console.log(
      `${name}: ${rows} rows in ${seconds} s, ${Math.round(bytes / 1048576)} MB sent, rest ${restMb} MB, peak RSS ${peak} MB`,
    );
    return { name, rows, mb: peak, restMb, seconds, bytes };
  } finally {
    await stop(server);
  }
}

interface Load {
  p50: number;
  p95: number;
  rps: number;
  requests: number;
  non2xx: number;
}

async function load(pathOf: () => string, connections: number): Promise<Load> {
  const r = await harnessLoad({ port: PORT, path: pathOf, connections, seconds: SECONDS });
  return {
    p50: Math.round(r.p50),
    p95: Math.round(r.p95),
    rps: Math.round(r.rps * 10) / 10,
    requests: r.requests,
    non2xx: r.non2xx + r.errors,
  };
}

const iso = (d: Date) => d.toISOString().slice(0, 19);

async function main(): Promise<void> {
  if (!URL_)
    throw new Error('set BENCH_DATABASE_URL or DATABASE_URL (PostgreSQL + PostGIS with ~1M requests)');
  if (!(await portFree(PORT)))
    throw new Error(`port ${PORT} is in use: stop what runs there, or set BENCH_PORT`);
  const db = await openDatabase({ kind: 'postgres', url: URL_, poolMax: 2 });
  let facts: {
    total: number;
    pub: number;
    newest: Date;
    windowStart: Date;
    pg: string;
    layer: string;
    layers: string[];
  };
  try {
    const one = async <T>(sql: string): Promise<T> => ((await db.knex.raw(sql)).rows as T[])[0] as T;
    const counts = await one<{ total: number; pub: number; newest: Date }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE NOT s.is_private)::int AS pub, max(r.requested_at) AS newest
         FROM service_requests r JOIN services s ON s.id = r.service_id`,
    );
    // The window holding the newest ~100k public requests.
    const w = await one<{ at: Date }>(
      `SELECT r.requested_at AS at FROM service_requests r JOIN services s ON s.id = r.service_id
        WHERE NOT s.is_private ORDER BY r.requested_at DESC OFFSET 100000 LIMIT 1`,
    );
    const v = await one<{ pg: string }>("SELECT split_part(version(), ' ', 2) AS pg");
    const layer = await one<{ layer: string }>('SELECT max(layer) AS layer FROM districts');
    const all = (await db.knex.raw('SELECT DISTINCT layer FROM districts ORDER BY layer')).rows as Array<{
      layer: string;
    }>;
    facts = {
      total: counts.total,
      pub: counts.pub,
      newest: new Date(counts.newest),
      windowStart: new Date(w.at),
      pg: v.pg,
      layer: layer.layer,
      layers: all.map((l) => l.layer),
    };
  } finally {
    await db.close();
  }
  console.log(`${facts.total} requests (${facts.pub} public); PostgreSQL ${facts.pg}`);
  const windowEnd = new Date(facts.newest.getTime() + 1000);
  const windowQ = `start_date=${iso(facts.windowStart)}Z&end_date=${iso(windowEnd)}Z`;

  if (PART === 'dashboard') return dashboardOnly(facts);

  // (a) Export memory, each in a fresh server process.
  const exportsRun: ExportRun[] = [];
  exportsRun.push(await exportRun('CSV, every public request', '/open311/v2/bulk/requests.csv', '\n'));
  exportsRun.push(
    await exportRun('CSV, newest ~100k (date window)', `/open311/v2/bulk/requests.csv?${windowQ}`, '\n'),
  );
  exportsRun.push(
    await exportRun(
      'GeoJSON, every public request',
      '/open311/v2/bulk/requests.geojson',
      '{"type":"Feature",',
    ),
  );
  exportsRun.push(await exportRun('NDJSON, every public request', '/open311/v2/bulk/requests.ndjson', '\n'));
  // NDJSON has no header line.
  const nd = exportsRun[exportsRun.length - 1] as ExportRun;
  nd.rows += 1;
  // The same full exports compressed by the server, as a client asking for gzip gets them.
  exportsRun.push(
    await exportRun('CSV, every public request, gzip', '/open311/v2/bulk/requests.csv', '\n', true),
  );
  exportsRun.push(
    await exportRun(
      'GeoJSON, every public request, gzip',
      '/open311/v2/bulk/requests.geojson',
      '{"type":"Feature",',
      true,
    ),
  );
  if (PART === 'exports') return;

  // (b) Dashboard refresh: one fresh server, warmed with one request of each kind; the rollups first.
  const rollup = await buildRollups(URL_);
  const server = startServer(PORT, { DATABASE_URL: URL_ });
  const loads: Array<{ name: string; c: number; l: Load }> = [];
  let openingFirstMs = 0;
  let firsts: FirstRun[] = [];
  const bursts: Burst[] = [];
  let dayLoad: DayLoad | undefined;
  let earlierLoad: DayLoad | undefined;
  try {
    await waitReady(PORT, '/readyz', server);
    const end = new Date(
      Date.UTC(facts.newest.getUTCFullYear(), facts.newest.getUTCMonth(), facts.newest.getUTCDate() + 1),
    );
    const keeper = await rollupKeeper(URL_ as string);
    try {
      ({
        firsts,
        load: dayLoad,
        earlier: earlierLoad,
      } = await firstRequestSets(facts.layers, end, keeper?.pass));
      await keeper?.pass();
      bursts.push(await newPeriodsAtOnce(PORT, end, facts.layers));
    } finally {
      await keeper?.close();
    }
    const periods = [
      { label: 'year', start: new Date(end.getTime() - 365 * DAY_MS) },
      { label: 'month', start: new Date(end.getTime() - 30 * DAY_MS) },
    ];
    const q = (start: Date, e: Date) => `start_date=${iso(start)}Z&end_date=${iso(e)}Z`;
    let unique = 0;
    const run = async (name: string, pathOf: () => string) => {
      await new Promise<void>((resolve) =>
        http.get(`http://127.0.0.1:${PORT}${pathOf()}`, (r) => r.resume().on('end', resolve)),
      );
      for (const c of [1, 4]) {
        const l = await load(pathOf, c);
        console.log(
          `${name}, ${c} conn: p50 ${l.p50} ms, p95 ${l.p95} ms, ${l.rps} req/s (${l.requests} requests)`,
        );
        loads.push({ name, c, l });
      }
    };
    // The page's opening view (the last 90 days, ward layer), which the server warms at start: one
    // request at once (it joins the warm-up if that is still running), then the usual load.
    const day = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 10);
    const opening = `/dashboard/api/summary?start_date=${day(-90 * DAY_MS)}&end_date=${day(DAY_MS)}&layer=${facts.layer}`;
    const t0 = performance.now();
    await new Promise<void>((resolve) =>
      http.get(`http://127.0.0.1:${PORT}${opening}`, (r) => r.resume().on('end', resolve)),
    );
    openingFirstMs = Math.round(performance.now() - t0);
    console.log(`opening view, first request after start: ${openingFirstMs} ms`);
    await run('summary, opening view (last 90 days, warmed at start)', () => opening);
    // Cached first: the uncached runs leave computations running behind them when they stop.
    for (const p of periods) {
      const period = q(p.start, end);
      await run(
        `summary, ${p.label}, same period (cached)`,
        () => `/dashboard/api/summary?${period}&layer=${facts.layer}`,
      );
      await run(
        `request points, ${p.label}, same period (cached)`,
        () => `/dashboard/api/points.geojson?${period}`,
      );
    }
    await run(`area polygons (${facts.layer})`, () => `/dashboard/api/layers/${facts.layer}.geojson`);
    for (const p of periods) {
      // A new end second each request: never a cache hit, the cost of a period nobody asked for yet.
      await run(`summary, ${p.label}, new period each request (uncached)`, () => {
        unique += 1;
        return `/dashboard/api/summary?${q(p.start, new Date(end.getTime() - unique * 1000))}&layer=${facts.layer}`;
      });
      await new Promise((r) => setTimeout(r, 20_000)); // let the computations left running finish
    }
  } finally {
    await stop(server);
  }
  writeReport(
    facts,
    exportsRun,
    loads,
    openingFirstMs,
    dashboardLines(firsts, bursts, rollup, dayLoad, earlierLoad),
  );
}

/**
 * The first requests of every period ending at `end`, and again ending a day earlier when `end`'s last day
 * holds many times a usual day (the load benchmark's posts land on today; `always`: in any case), so the
 * table also shows a first request over the city's own days.
 */
async function firstRequestSets(
  layers: string[],
  end: Date,
  pass: (() => Promise<void>) | undefined,
  always = false,
): Promise<{ firsts: FirstRun[]; load: DayLoad; earlier?: DayLoad }> {
  const load = await lastDayLoad(URL_ as string, end);
  const firsts = await firstRequests(PORT, end, layers, FIRST_SAMPLES, pass);
  if (!always && load.lastDay <= 3 * load.typicalDay) return { firsts, load };
  const before = new Date(end.getTime() - DAY_MS);
  const earlier = await lastDayLoad(URL_ as string, before);
  firsts.push(...(await firstRequests(PORT, before, layers, FIRST_SAMPLES, pass, ', ending a day earlier')));
  return { firsts, load, earlier };
}

/** BENCH_PART=dashboard: the first requests of every period and layer, and 8 at once, printed. */
async function dashboardOnly(facts: { newest: Date; layers: string[]; layer: string }): Promise<void> {
  const rollup: RollupBuild | null = await buildRollups(URL_ as string);
  const keeper = await rollupKeeper(URL_ as string);
  // BENCH_SERVER_ROOT: another checkout's server (main's, to compare in one sitting); the rollup is kept
  // by this checkout's code.
  const server = startServer(PORT, { DATABASE_URL: URL_ }, [], process.env.BENCH_SERVER_ROOT);
  try {
    await waitReady(PORT, '/readyz', server);
    // The server warms the page's opening view at start (src/dashboard/warm.ts): wait for it (its two
    // requests join the warm-up), so the first samples do not share the machine with it.
    const day = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 10);
    const opening = `start_date=${day(-90 * DAY_MS)}&end_date=${day(DAY_MS)}`;
    for (const path of [
      `/dashboard/api/summary?${opening}&layer=${facts.layer}`,
      `/dashboard/api/points.geojson?${opening}`,
    ])
      await new Promise<void>((resolve) =>
        http.get(`http://127.0.0.1:${PORT}${path}`, (r) => r.resume().on('end', resolve)),
      );
    const end = new Date(
      Date.UTC(facts.newest.getUTCFullYear(), facts.newest.getUTCMonth(), facts.newest.getUTCDate() + 1),
    );
    const { firsts, load, earlier } = await firstRequestSets(facts.layers, end, keeper?.pass, true);
    await keeper?.pass();
    const bursts = [await newPeriodsAtOnce(PORT, end, facts.layers)];
    await keeper?.pass();
    bursts.push(await newPeriodsAtOnce(PORT, end, facts.layers));
    console.log(dashboardLines(firsts, bursts, rollup, load, earlier).join('\n'));
  } finally {
    await keeper?.close();
    await stop(server);
  }
}

function writeReport(
  facts: { total: number; pub: number; pg: string },
  exportsRun: ExportRun[],
  loads: Array<{ name: string; c: number; l: Load }>,
  openingFirstMs: number,
  firstLines: string[],
): void {
  const yes = (ok: boolean) => (ok ? 'met' : '**not met**');
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [
    machineLine(`PostgreSQL ${facts.pg}`),
    '',
    `Written by \`npm run bench:opendata\` (bench/opendata.ts): ${n(facts.total)} requests (${n(facts.pub)} public) from \`npm run bench:seed\`, the server (${SERVER_RUN}) started as a child (WORKER=off, LOG_LEVEL=warn), the client in the same process as the measurement, on loopback. Anything else running on the 2 cores makes seconds and latencies noisy; the RSS figures are not.`,
    '',
    `Export memory: rows are counted by line ends (CSV, NDJSON) or features (GeoJSON); counts can differ by a few rows between exports when something writes to the database meanwhile. The peak RSS of a fresh server process (sampled every 100 ms) while one client streams the export; "at rest" is the same process before the request. Target < ${RSS_TARGET_MB} MB, the same at 100k and 1M rows.`,
    '',
    '| export | rows | seconds | MB sent | RSS at rest | peak RSS | target | result |',
    '|---|---|---|---|---|---|---|---|',
    ...exportsRun.map(
      (e) =>
        `| ${e.name} | ${n(e.rows)} | ${e.seconds} | ${Math.round(e.bytes / 1048576)} | ${e.restMb} MB | ${e.mb} MB | < ${RSS_TARGET_MB} MB | ${yes(e.mb < RSS_TARGET_MB)} |`,
    ),
    '',
    `Dashboard refresh: a change of period or layer makes the page fetch the summary, the layer's polygons and the request points (src/dashboard/public/dashboard.js). Each ran ${SECONDS} s with autocannon. The summary and the points are cached per jurisdiction, period and layer (fresh 60 s, then served for up to 10 min while one refresh runs; src/dashboard/data.ts), so a refresh of a period already asked is the cached figure; "uncached" asks a new period each request, the cost of the first visitor of a period. The page's opening view (last 90 days, ward layer) is computed by the server at start and every 4 minutes (src/dashboard/warm.ts): its first request, sent the moment the server was ready, took ${openingFirstMs} ms (it waits for the warm-up when that is still running). Target p95 < ${P95_TARGET_MS} ms.`,
    '',
    '| request | connections | p50 | p95 | req/s | target | result |',
    '|---|---|---|---|---|---|---|',
    ...loads.map(({ name, c, l }) =>
      l.requests === 0
        ? `| ${name} | ${c} | none answered within autocannon's 10 s timeout | | 0${l.non2xx ? ` (${l.non2xx} errors)` : ''} | p95 < ${P95_TARGET_MS} ms | **not met** |`
        : `| ${name} | ${c} | ${l.p50} ms | ${l.p95} ms | ${l.rps}${l.non2xx ? ` (${l.non2xx} errors)` : ''} | p95 < ${P95_TARGET_MS} ms | ${yes(l.p95 < P95_TARGET_MS && l.non2xx === 0)} |`,
    ),
    '',
    ...firstLines,
    '',
    'What bounds these figures: docs/decisions/0002-performance.md.',
  ];
  writeSection('Open data at 1M requests (issue #9)', lines);
  console.log(lines.join('\n'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
