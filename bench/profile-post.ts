/**
 * `tsx bench/profile-post.ts` (BENCH_DATABASE_URL, or BENCH_DATA_DIR for the embedded database): where a POST's time goes. Runs the real app in this
 * process, posts N requests one at a time, and totals the database time of each SQL statement shape.
 */
import http from 'node:http';
import pino from 'pino';
import { createApp } from '../src/app';
import { createApiKey } from '../src/auth';
import { loadConfig } from '../src/config';
import { createContext } from '../src/context';
import { openDatabase } from '../src/db/connect';

async function main(): Promise<void> {
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
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
