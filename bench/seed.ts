/**
 * `npm run bench:seed -- --rows 1000000 [--database-url URL | --data-dir DIR]`: realistic requests for the
 * demo city, generated inside the database (generate_series), in batches with a progress bar:
 * - service mix: the demo requests' mix (real 2015 Boston cases per service);
 * - locations: real Boston address points, a few metres of jitter;
 * - time: spread over the last 365 days; about 10% open (the most recent ones more often);
 * - history: 1 to 5 entries per request.
 * The demo city must be loaded (the server does it on first start, or `npm run seed:demo`).
 */
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { openDatabase, type Database } from '../src/db/connect';
import { migrateLatest } from '../src/db/migrate';
import { hasJurisdiction, loadDemoCity } from '../src/demo/load-demo';

const BATCH = 50_000;

export async function seedRequests(
  db: Database,
  rows: number,
  now: Date,
  onProgress?: (n: number) => void,
): Promise<void> {
  const k = db.knex;
  await k.raw(
    'CREATE TEMP TABLE IF NOT EXISTS bench_services AS SELECT s.id, s.agency_id, count(r.id) + 1 AS weight FROM services s LEFT JOIN service_requests r ON r.service_id = s.id WHERE NOT s.is_private GROUP BY s.id',
  );
  // Each address point's districts, worked out once here (tens of thousands of points) rather than for
  // every generated request: the 15 m of jitter rarely crosses a boundary, and this keeps seeding 10M
  // requests to inserts (a per-request lookup ran at ~3,600 rows/s on a shared 2-core machine).
  await k.raw(
    `CREATE TEMP TABLE IF NOT EXISTS bench_addresses AS SELECT row_number() OVER (ORDER BY p.id) AS n, p.id, p.address, p.zip, p.location,
       coalesce((SELECT jsonb_object_agg(d.layer, d.name) FROM districts d WHERE ST_Intersects(d.geom, p.location::geometry)), '{}'::jsonb) AS districts
     FROM address_points p`,
  );
  const addresses = Number((await k.raw('SELECT count(*)::int AS n FROM bench_addresses')).rows[0].n);
  // Cumulative weights so a uniform random number picks a service with the demo's mix.
  await k.raw(
    'CREATE TEMP TABLE IF NOT EXISTS bench_mix AS SELECT id, agency_id, (sum(weight) OVER (ORDER BY id) - weight)::float8 / sum(weight) OVER () AS lo, sum(weight) OVER (ORDER BY id)::float8 / sum(weight) OVER () AS hi FROM bench_services',
  );
  const before = Number(
    (await k.raw('SELECT coalesce(max(id), 0)::bigint AS id FROM service_requests')).rows[0].id,
  );
  for (let done = 0; done < rows; done += BATCH) {
    const n = Math.min(BATCH, rows - done);
    await k.transaction(async (trx) => {
      await trx.raw(
        `INSERT INTO service_requests (jurisdiction_id, service_id, agency_id, detailed_status, description, requested_at, updated_at, closed_at,
           expected_at, address, address_id, zipcode, location, channel, districts, next_escalation_at)
         SELECT 'boston', m.id, m.agency_id, g.status, 'Generated for benchmarks', g.requested, coalesce(g.closed, g.requested), g.closed,
           g.requested + interval '3 days', a.address, a.id, a.zip,
           ST_Project(a.location, random() * 15, random() * 2 * pi())::geography, g.channel, a.districts,
           CASE WHEN g.closed IS NULL THEN g.requested + interval '2 days' END
         FROM (
           SELECT r1, r2, requested,
             CASE WHEN open_roll < 0.1 THEN NULL ELSE requested + (random() * interval '20 days') END AS closed,
             CASE WHEN open_roll < 0.1 THEN 'open' ELSE 'fixed' END AS status,
             (ARRAY['phone','mobile','web','staff','email'])[1 + floor(random() * 5)::int] AS channel
           FROM (SELECT random() AS r1, 1 + floor(random() * ?)::int AS r2, ?::timestamptz - random() * interval '365 days' AS requested, random() AS open_roll
                 FROM generate_series(1, ?)) s
         ) g
         JOIN bench_mix m ON g.r1 >= m.lo AND g.r1 < m.hi
         JOIN bench_addresses a ON a.n = g.r2`,
        [addresses, now, n],
      );
    });
    onProgress?.(done + n);
  }
  // History for the rows generated now (ids past `before`): 1 to 5 entries per request, by id (a random()
  // there does not refer to the row, so it was evaluated once: every request of a run had the same count).
  await k.raw(
    `INSERT INTO request_history (request_id, jurisdiction_id, occurred_at, kind, public, actor_type, actor_label, detailed_status, summary)
     SELECT r.id, r.jurisdiction_id, r.requested_at + (i * interval '1 hour'), CASE WHEN i = 0 THEN 'created' ELSE 'note' END, i > 0, 'system', 'bench', r.detailed_status, 'Generated'
     FROM service_requests r CROSS JOIN LATERAL generate_series(0, (r.id % 5)::int) i
     WHERE r.id > ? AND r.description = 'Generated for benchmarks'`,
    [before],
  );
  await k.raw('ANALYZE');
}

async function main(): Promise<void> {
  const program = new Command('bench:seed')
    .option('--rows <n>', 'requests to generate', '1000000')
    .option('--database-url <url>', 'PostgreSQL (default: DATABASE_URL)')
    .option('--data-dir <dir>', 'embedded database directory (when no URL)', './data')
    .parse(process.argv);
  const o = program.opts<{ rows: string; databaseUrl?: string; dataDir: string }>();
  const url = o.databaseUrl ?? process.env.DATABASE_URL;
  const db = await openDatabase(
    url ? { kind: 'postgres', url, poolMax: 2 } : { kind: 'embedded', dataDir: o.dataDir },
  );
  const rows = Number(o.rows);
  try {
    await migrateLatest(db.knex);
    if (!(await hasJurisdiction(db.knex))) await loadDemoCity(db.knex, new Date());
    const bar = new cliProgress.SingleBar(
      { format: 'requests |{bar}| {value}/{total} {rate} rows/s {duration}s' },
      cliProgress.Presets.shades_classic,
    );
    const t0 = Date.now();
    bar.start(rows, 0, { rate: 0 });
    await seedRequests(db, rows, new Date(), (n) =>
      bar.update(n, { rate: Math.round(n / ((Date.now() - t0) / 1000)) }),
    );
    bar.stop();
    console.log(
      `${rows} requests with histories in ${((Date.now() - t0) / 1000).toFixed(1)} s (${db.describe})`,
    );
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
