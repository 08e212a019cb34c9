/**
 * `npm run bench:scale` (issue #20, point 5): how the everyday operations and the storage grow with the
 * number of requests, against a PostgreSQL database (BENCH_DATABASE_URL or DATABASE_URL) holding the demo
 * city and requests from `npm run bench:seed` (BENCH_ROWS tops it up first, as `npm run bench` does).
 * Run it at one size, grow the same database with `npm run bench:seed -- --rows N`, run it again: each run
 * adds (or replaces) its column in the BENCHMARKS.md section, which keeps the figures of the earlier
 * sizes in an HTML comment, and the last column is the ratio of the largest size to the smallest.
 * SCALE_FRESH=1 forgets the earlier sizes; SCALE_REPORT_ONLY=1 rewrites the section from them, measuring nothing.
 *
 * Measured, each at one connection for BENCH_SECONDS (latency is the per-operation cost; throughput is
 * bench/run.ts's business), against the real server (src/server.ts) as a child on 127.0.0.1:
 *  - POST a request (a few hundred of them), GET one request by id (ids drawn across the whole table),
 *    GET the default page (1000 rows, JSON), a 500 m radius page (≤ 1000 rows), an `updated_after` page;
 *  - the escalation sweep (harness.ts measureEscalation), in this process;
 *  - the CSV export, streamed from a fresh server (opendata.ts exportRun): seconds and peak RSS for the
 *    newest SCALE_EXPORT_ROWS (default 500,000) public requests (a date window: the same amount of work
 *    at every size), and for every public request while there are at most SCALE_FULL_EXPORT_MAX
 *    (default 2,000,000) of them (past that it takes tens of minutes on a shared machine);
 *  - table sizes (pg_total_relation_size), index sizes (pg_relation_size) and exact row counts.
 * It writes to the database (posts, escalations fired, an API key): use a benchmark database.
 */
import fs from 'node:fs';
import http from 'node:http';
import { openDatabase, type Database } from '../src/db/connect';
import {
  load,
  measureEscalation,
  portFree,
  prepare,
  requestMakers,
  SECONDS,
  SERVER_RUN,
  startServer,
  stop,
  waitReady,
} from './harness';
import { exportRun } from './opendata';
import { BENCHMARKS_FILE, machineLine, writeSection } from './report-file';

const URL_ = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const ROWS = Number(process.env.BENCH_ROWS ?? 0);
const PORT = Number(process.env.BENCH_SCALE_PORT ?? 4301);
const TITLE = 'Growth with the number of requests (issue #20)';
const DATA_MARK = 'bench-scale-data';
/** Tables listed one by one in the size table; the rest are summed. */
const MIN_LISTED_BYTES = 1 << 20;
const EXPORT_ROWS = Number(process.env.SCALE_EXPORT_ROWS ?? 500_000);
const FULL_EXPORT_MAX = Number(process.env.SCALE_FULL_EXPORT_MAX ?? 2_000_000);

interface Latency {
  requests: number;
  p50: number;
  p95: number;
  failed: number;
}

interface Exported {
  rows: number;
  seconds: number;
  mb: number;
  peakRssMb: number;
}

interface TableSize {
  rows: number;
  total: number;
  heap: number;
  indexes: Record<string, number>;
}

interface Column {
  /** service_requests rows when the run started. */
  requests: number;
  date: string;
  ops: Record<string, Latency>;
  escalation: { idleTick: number; dueTick: number; fired: number };
  /** The newest EXPORT_ROWS public requests (a date window). */
  export: Exported;
  /** Every public request; null when there were more than FULL_EXPORT_MAX. */
  fullExport: Exported | null;
  tables: Record<string, TableSize>;
  databaseBytes: number;
}

const OPS = [
  'POST a request',
  'GET one request by id',
  'GET requests, 1000 rows (JSON, default 90 days)',
  'GET requests, radius 500 m (≤ 1000 rows)',
  'GET requests, updated_after (3 days, ≤ 1000 rows)',
] as const;

async function one<T>(db: Database, sql: string, bindings: readonly unknown[] = []): Promise<T> {
  return ((await db.knex.raw(sql, bindings as never)).rows as T[])[0] as T;
}

/** Ids of public requests drawn uniformly over the whole id range, so the reads are not all warm. */
async function sampleIds(db: Database, n: number): Promise<string[]> {
  const rows = (
    await db.knex.raw(
      `WITH b AS (SELECT min(id) AS lo, max(id) AS hi FROM service_requests)
       SELECT r.id FROM (SELECT (b.lo + floor(random() * (b.hi - b.lo + 1)))::bigint AS id FROM b, generate_series(1, ?)) x
       JOIN service_requests r ON r.id = x.id JOIN services s ON s.id = r.service_id
       WHERE NOT s.is_private`,
      [n * 2],
    )
  ).rows as Array<{ id: string | number }>;
  return rows.slice(0, n).map((r) => String(r.id));
}

async function get(pathName: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    http
      .get({ host: '127.0.0.1', port: PORT, path: pathName }, (r) => r.resume().on('end', resolve))
      .on('error', reject),
  );
}

async function measureRequests(db: Database, key: string, points: Array<[number, number]>) {
  const { postBody, radius } = requestMakers(points, key);
  const ids = await sampleIds(db, 2000);
  if (ids.length === 0) throw new Error('no public requests to read: seed the database first');
  const layer = (await one<{ layer: string | null }>(db, 'SELECT max(layer) AS layer FROM districts')).layer;
  const server = startServer(PORT, { DATABASE_URL: URL_ });
  const ops: Record<string, Latency> = {};
  try {
    await waitReady(PORT, '/readyz', server);
    // The server computes the dashboard's opening view at start; asking for it waits until that is done,
    // so the measurements below do not share the database with it.
    const day = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 10);
    await get(
      `/dashboard/api/summary?start_date=${day(-90 * 86_400_000)}&end_date=${day(86_400_000)}&layer=${layer ?? 'ward'}`,
    );
    const since = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const pick = () => ids[Math.floor(Math.random() * ids.length)] as string;
    const runs: Array<[(typeof OPS)[number], Parameters<typeof load>[0]]> = [
      [
        'POST a request',
        {
          port: PORT,
          path: '/open311/v2/requests.json',
          method: 'POST',
          body: postBody(true),
          connections: 1,
        },
      ],
      [
        'GET one request by id',
        { port: PORT, path: () => `/open311/v2/requests/${pick()}.json`, connections: 1 },
      ],
      [
        'GET requests, 1000 rows (JSON, default 90 days)',
        { port: PORT, path: '/open311/v2/requests.json', connections: 1 },
      ],
      [
        'GET requests, radius 500 m (≤ 1000 rows)',
        { port: PORT, path: radius('/open311/v2/requests.json'), connections: 1 },
      ],
      [
        'GET requests, updated_after (3 days, ≤ 1000 rows)',
        { port: PORT, path: `/open311/v2/requests.json?updated_after=${since}`, connections: 1 },
      ],
    ];
    for (const [name, opts] of runs) {
      const l = await load({ ...opts, seconds: SECONDS });
      ops[name] = { requests: l.requests, p50: l.p50, p95: l.p95, failed: l.errors + l.non2xx };
      console.log(`${name}: p50 ${l.p50} ms, p95 ${l.p95} ms (${l.requests} requests, ${l.non2xx} non-2xx)`);
    }
  } finally {
    await stop(server);
  }
  return ops;
}

async function measureSizes(
  db: Database,
): Promise<{ tables: Record<string, TableSize>; databaseBytes: number }> {
  const rels = (
    await db.knex.raw(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint AS total, pg_relation_size(c.oid)::bigint AS heap
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'knex_%'
          AND c.relname <> 'spatial_ref_sys'
        ORDER BY c.relname`,
    )
  ).rows as Array<{ name: string; total: string; heap: string }>;
  const idx = (
    await db.knex.raw(
      `SELECT t.relname AS tbl, i.relname AS name, pg_relation_size(i.oid)::bigint AS bytes
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' ORDER BY i.relname`,
    )
  ).rows as Array<{ tbl: string; name: string; bytes: string }>;
  const tables: Record<string, TableSize> = {};
  for (const r of rels) {
    // Exact counts: a few seconds on the largest tables, and estimates would blur the per-row figures.
    const rows = Number((await one<{ n: string }>(db, 'SELECT count(*) AS n FROM ??', [r.name])).n);
    tables[r.name] = { rows, total: Number(r.total), heap: Number(r.heap), indexes: {} };
  }
  for (const i of idx) {
    const t = tables[i.tbl];
    if (t) t.indexes[i.name] = Number(i.bytes);
  }
  const databaseBytes = Number(
    (await one<{ b: string }>(db, 'SELECT pg_database_size(current_database())::bigint AS b')).b,
  );
  return { tables, databaseBytes };
}

// ---- the report ---------------------------------------------------------------------------------------

const n = (v: number) => v.toLocaleString('en-US');
const mb = (bytes: number) => `${n(Math.round(bytes / 1048576))} MB`;
const label = (c: Column) => `${Math.round((c.requests / 1e6) * 10) / 10}M`;
const per100k = (e: Exported) => Math.round((e.seconds / Math.max(1, e.rows)) * 1e5 * 100) / 100;
const ratio = (a: number, b: number) => (a > 0 && b > 0 ? `${Math.round((b / a) * 100) / 100}×` : '–');

function readColumns(): Column[] {
  if (process.env.SCALE_FRESH === '1' || !fs.existsSync(BENCHMARKS_FILE)) return [];
  const text = fs.readFileSync(BENCHMARKS_FILE, 'utf8');
  const m = new RegExp(`<!-- ${DATA_MARK} (.*?) -->`).exec(text);
  return m ? (JSON.parse(m[1] as string) as Column[]) : [];
}

function report(columns: Column[], pg: string): string[] {
  const cols = [...columns].sort((a, b) => a.requests - b.requests);
  const first = cols[0] as Column;
  const last = cols[cols.length - 1] as Column;
  const many = cols.length > 1;
  const head = (what: string) => [
    `| ${what} | ${cols.map((c) => `${label(c)} requests`).join(' | ')} |${many ? ` ${label(last)} / ${label(first)} |` : ''}`,
    `|---|${cols.map(() => '---|').join('')}${many ? '---|' : ''}`,
  ];
  const row = (name: string, show: (c: Column) => string, value: (c: Column) => number) =>
    `| ${name} | ${cols.map(show).join(' | ')} |${many ? ` ${ratio(value(first), value(last))} |` : ''}`;

  const lines = [
    machineLine(`PostgreSQL ${pg}`),
    '',
    `Written by \`npm run bench:scale\` (bench/scale.ts), once per size on the same database, grown between runs with \`npm run bench:seed\` (bench/seed.ts: the demo mix over 365 days, ~10% open, 1–5 history entries per request). Each operation ran ${SECONDS} s at one connection against the server (${SERVER_RUN}, a child, WORKER=off) on loopback, so p50/p95 are the cost of one operation; the number of operations is in brackets. Run at the lowest CPU and I/O priority on a 2-core machine shared with other work: single figures are noisy (±30% between runs is usual), ratios far from 1 are not. Dates of the columns: ${cols.map((c) => `${label(c)} ${c.date}`).join(', ')}.`,
    '',
    'The columns are the sizes actually measured; nothing in them is extrapolated.',
    '',
    '### Operations',
    '',
    ...head('operation (p50 / p95)'),
    ...OPS.map((op) =>
      row(
        op,
        (c) => {
          const l = c.ops[op];
          return l
            ? `${l.p50} / ${l.p95} ms (${n(l.requests)}${l.failed ? `, ${l.failed} failed` : ''})`
            : '–';
        },
        (c) => c.ops[op]?.p50 ?? 0,
      ),
    ),
    row(
      'escalation sweep, nothing due (median of 7 ticks)',
      (c) => `${c.escalation.idleTick} ms`,
      (c) => c.escalation.idleTick,
    ),
    row(
      'escalation sweep, 1,000 due',
      (c) => `${n(c.escalation.dueTick)} ms (${n(c.escalation.fired)} steps)`,
      (c) => c.escalation.dueTick,
    ),
    row(
      `CSV export of the newest ${n(EXPORT_ROWS)} public requests (date window), fresh server`,
      (c) => `${c.export.seconds} s for ${n(c.export.rows)} rows, ${n(c.export.mb)} MB`,
      (c) => c.export.seconds,
    ),
    row(
      'the same, seconds per 100k rows',
      (c) => `${per100k(c.export)} s`,
      (c) => per100k(c.export),
    ),
    row(
      'the same, peak RSS of the server',
      (c) => `${c.export.peakRssMb} MB`,
      (c) => c.export.peakRssMb,
    ),
    row(
      'full CSV export (every public request), fresh server',
      (c) =>
        c.fullExport
          ? `${c.fullExport.seconds} s for ${n(c.fullExport.rows)} rows (${per100k(c.fullExport)} s per 100k), peak RSS ${c.fullExport.peakRssMb} MB`
          : `not run (over ${n(FULL_EXPORT_MAX)} rows)`,
      (c) => c.fullExport?.seconds ?? 0,
    ),
    '',
    'The ratio column is for p50 (latencies) or the figure itself; 10× rows means 10× for anything linear in the table size, ~1× for an index lookup.',
    '',
    '### Storage',
    '',
    `Exact row counts; sizes from pg_total_relation_size (table + indexes + TOAST) and pg_relation_size (each index), after the run's own writes. Tables under ${mb(MIN_LISTED_BYTES)} at every size are summed in the last row.`,
    '',
    ...head('table: rows, total size'),
  ];
  const names = Object.keys(last.tables).filter((t) =>
    cols.some((c) => (c.tables[t]?.total ?? 0) >= MIN_LISTED_BYTES),
  );
  names.sort((a, b) => (last.tables[b]?.total ?? 0) - (last.tables[a]?.total ?? 0));
  for (const t of names)
    lines.push(
      row(
        t,
        (c) => (c.tables[t] ? `${n(c.tables[t].rows)} rows, ${mb(c.tables[t].total)}` : '–'),
        (c) => c.tables[t]?.total ?? 0,
      ),
    );
  const rest = (c: Column) =>
    Object.entries(c.tables)
      .filter(([t]) => !names.includes(t))
      .reduce((s, [, v]) => s + v.total, 0);
  lines.push(
    row(`the ${Object.keys(last.tables).length - names.length} other tables`, (c) => mb(rest(c)), rest),
  );
  lines.push(
    row(
      'whole database (pg_database_size)',
      (c) => mb(c.databaseBytes),
      (c) => c.databaseBytes,
    ),
  );
  lines.push('', '### Indexes of the tables that grow, and bytes per row', '');
  const growing = names.filter((t) => (last.tables[t]?.rows ?? 0) >= 100_000);
  lines.push(
    `| index | ${cols.map((c) => `${label(c)} requests`).join(' | ')} | bytes per row at ${label(last)} |`,
    `|---|${cols.map(() => '---|').join('')}---|`,
  );
  for (const t of growing) {
    const tl = last.tables[t] as TableSize;
    const per = (bytes: number) => (tl.rows > 0 ? n(Math.round(bytes / tl.rows)) : '–');
    lines.push(
      `| **${t}** (heap) | ${cols.map((c) => mb(c.tables[t]?.heap ?? 0)).join(' | ')} | ${per(tl.heap)} |`,
    );
    const idxNames = Object.keys(tl.indexes).sort((a, b) => (tl.indexes[b] ?? 0) - (tl.indexes[a] ?? 0));
    for (const i of idxNames)
      lines.push(
        `| ${i} | ${cols.map((c) => mb(c.tables[t]?.indexes[i] ?? 0)).join(' | ')} | ${per(tl.indexes[i] ?? 0)} |`,
      );
  }
  lines.push(
    '',
    'What these figures mean for 100M requests and many cities: docs/decisions/0010-past-one-machine.md.',
    '',
    `<!-- ${DATA_MARK} ${JSON.stringify(cols)} -->`,
  );
  return lines;
}

async function main(): Promise<void> {
  if (process.env.SCALE_REPORT_ONLY === '1') {
    const columns = readColumns();
    if (columns.length === 0) throw new Error(`no bench:scale figures in ${BENCHMARKS_FILE}`);
    writeSection(TITLE, report(columns, process.env.SCALE_PG ?? '15'));
    return;
  }
  if (!URL_)
    throw new Error('set BENCH_DATABASE_URL or DATABASE_URL (PostgreSQL + PostGIS with the seeded requests)');
  for (const port of [PORT, Number(process.env.BENCH_PORT ?? 4201)])
    if (!(await portFree(port))) throw new Error(`port ${port} is in use: stop what runs there first`);
  const db = await openDatabase({ kind: 'postgres', url: URL_, poolMax: 2 });
  let column: Column;
  let pg: string;
  try {
    const { key, points } = await prepare(db, ROWS);
    pg = (await one<{ pg: string }>(db, "SELECT split_part(version(), ' ', 2) AS pg")).pg;
    const requests = Number((await one<{ n: string }>(db, 'SELECT count(*) AS n FROM service_requests')).n);
    console.log(`${n(requests)} requests; PostgreSQL ${pg}`);
    await db.knex.raw('ANALYZE');
    const ops = await measureRequests(db, key, points);
    const escalation = await measureEscalation(db);
    console.log(`escalation: idle ${escalation.idleTick} ms, 1,000 due ${escalation.dueTick} ms`);
    const exported = (e: Awaited<ReturnType<typeof exportRun>>): Exported => ({
      rows: e.rows,
      seconds: e.seconds,
      mb: Math.round(e.bytes / 1048576),
      peakRssMb: e.mb,
    });
    const w = await one<{ at: Date; newest: Date; pub: string }>(
      db,
      `SELECT (SELECT r.requested_at FROM service_requests r JOIN services s ON s.id = r.service_id
                WHERE NOT s.is_private ORDER BY r.requested_at DESC OFFSET ? LIMIT 1) AS at,
              (SELECT max(requested_at) FROM service_requests) AS newest,
              (SELECT count(*) FROM service_requests r JOIN services s ON s.id = r.service_id WHERE NOT s.is_private) AS pub`,
      [EXPORT_ROWS - 1],
    );
    const iso = (d: Date) => `${new Date(d).toISOString().slice(0, 19)}Z`;
    const windowed = exported(
      await exportRun(
        `CSV, newest ${EXPORT_ROWS} public requests`,
        `/open311/v2/bulk/requests.csv?start_date=${iso(w.at)}&end_date=${iso(new Date(new Date(w.newest).getTime() + 1000))}`,
        '\n',
      ),
    );
    const fullExport =
      Number(w.pub) <= FULL_EXPORT_MAX
        ? exported(await exportRun('CSV, every public request', '/open311/v2/bulk/requests.csv', '\n'))
        : null;
    const sizes = await measureSizes(db);
    column = {
      requests,
      date: new Date().toISOString().slice(0, 16).replace('T', ' '),
      ops,
      escalation,
      export: windowed,
      fullExport,
      ...sizes,
    };
  } finally {
    await db.close();
  }
  const columns = readColumns().filter((c) => label(c) !== label(column));
  columns.push(column);
  const lines = report(columns, pg);
  writeSection(TITLE, lines);
  console.log(lines.filter((l) => !l.startsWith('<!--')).join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
