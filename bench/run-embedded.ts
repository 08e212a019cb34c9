/**
 * `npm run bench:embedded`: the server on the embedded database (PGlite + PostGIS, one connection) with
 * 100,000 requests (BENCH_ROWS), in a data dir of its own (BENCH_DATA_DIR, default a temp folder kept
 * between runs). No baseline: the bare Express + pg baseline needs PostgreSQL; the PostgreSQL section of
 * BENCHMARKS.md has the ratios. Writes its own section of BENCHMARKS.md.
 */
import type { ChildProcess } from 'node:child_process';
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
  waitReady,
  type Load,
} from './harness';
import { machineLine, writeSection } from './report-file';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const DATA_DIR = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), 'open311-bench-embedded');
const PORT = 4103;

async function main(): Promise<void> {
  if (!(await portFree(PORT))) throw new Error(`port ${PORT} is in use: stop what holds it first`);
  // The data dir has one owner at a time: seed and sample first, then hand it to the server.
  let db = await openDatabase({ kind: 'embedded', dataDir: DATA_DIR });
  const t0 = Date.now();
  const { key, points } = await prepare(db, ROWS);
  const prepared = Math.round((Date.now() - t0) / 1000);
  const total = Number((await db.knex('service_requests').count({ n: '*' }))[0]?.n);
  await db.close();

  const server: ChildProcess = startServer(PORT, { DATABASE_URL: '', DATA_DIR });
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
    for (const [name, opts, target] of scenarios) {
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
  const lines = [
    machineLine('embedded PGlite with PostGIS (WebAssembly, one connection, data on disk)'),
    '',
    `Data: ${total.toLocaleString('en-US')} requests on the Boston demo city (opening the data dir and topping it up to the wanted rows took ${prepared} s in this run). Each scenario ran ${SECONDS} s; load generator in the same process group on the same 2 cores.`,
    '',
    'The embedded database is one PostgreSQL backend in WebAssembly inside the server process: every query waits its turn on one connection and shares the event loop with HTTP, so throughput is bounded by one core and queries never overlap. Its memory is the WebAssembly heap of PGlite (the PostgreSQL backend, its buffers and PostGIS) inside the server process, about 0.9 GB at rest at this size, against about 0.13 GB for the same server on PostgreSQL. It is for laptops, demos and small towns; a city in production runs PostgreSQL (section above).',
    '',
    '| scenario | server | target | result |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.name} | ${fmt(row.r)} | ${row.target} | – |`),
    `| escalation sweep, nothing due | ${escalation.idleTick} ms per tick | reported | – |`,
    `| escalation sweep, 1,000 due | ${escalation.dueTick} ms (${escalation.fired} steps fired) | reported | – |`,
    `| server memory (RSS) | ${rssRest} MB at rest, ${rssLoad} MB peak under load | reported | – |`,
  ];
  writeSection(`Embedded database (PGlite) at ${ROWS.toLocaleString('en-US')} requests (issue #7)`, lines);
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
