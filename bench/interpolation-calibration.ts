/**
 * `npx tsx bench/interpolation-calibration.ts` (issue #17): how precise interpolated house numbers are,
 * to calibrate src/geo/interpolate.ts. Address points of the demo city (BENCH_DATABASE_URL, migrated and
 * loaded as `npm run bench:geocode` leaves it) are removed one at a time and placed from the rest of
 * their street as the geocoder would (the 80 numbers nearest, the zip given one time in six); the
 * points `npm run bench:geocode` evaluates are left out. Prints, for each kind of estimate, the error
 * against the removed point, and how many estimates interpolate() holds confident and how many of those
 * are further than 40 m (the benchmark's "right"). CALIBRATION_SEED and CALIBRATION_N choose the sample.
 * Writes nothing.
 */
import { openDatabase } from '../src/db/connect';
import { interpolate, metresBetween, type NumberedPoint } from '../src/geo/interpolate';
import { rng } from './geocode-accuracy';

type Point = NumberedPoint & { street_key: string };

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('set BENCH_DATABASE_URL');
  const db = await openDatabase({ kind: 'postgres', url });
  let rows: Point[];
  let evalIds: Set<string>;
  try {
    rows = (
      (
        await db.knex.raw(
          `SELECT id::text AS id, house_int AS num, street_key, address, zip,
           ST_Y(location::geometry) AS lat, ST_X(location::geometry) AS long
           FROM address_points WHERE jurisdiction_id = 'boston' AND house_int IS NOT NULL`,
        )
      ).rows as Point[]
    ).map((r) => ({ ...r, num: Number(r.num), lat: Number(r.lat), long: Number(r.long) }));
    const all = (await db
      .knex('address_points')
      .where('jurisdiction_id', 'boston')
      .whereNotNull('house_number')
      .orderBy('id')
      .select('id')) as Array<{ id: number }>;
    // The evaluated sample of bench/geocode-accuracy.ts (seed 17: 400 intersection draws, then 300
    // removed points, each followed by one draw for its alteration).
    const ir = rng(17);
    for (let i = 0; i < 400; i++) ir();
    evalIds = new Set();
    for (let i = 0; i < 300; i++) {
      evalIds.add(String(all[Math.floor(ir() * all.length)]?.id));
      ir();
    }
  } finally {
    await db.close();
  }
  const byStreet = new Map<string, Point[]>();
  for (const p of rows) byStreet.set(p.street_key, [...(byStreet.get(p.street_key) ?? []), p]);
  const r = rng(Number(process.env.CALIBRATION_SEED ?? 99));
  const n = Number(process.env.CALIBRATION_N ?? 8000);
  const kinds = new Map<string, number[]>();
  let tried = 0;
  let refused = 0;
  const confident: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = rows[Math.floor(r() * rows.length)] as Point;
    const zip = r() < 1 / 6 ? p.zip : null;
    if (evalIds.has(p.id)) continue;
    tried += 1;
    const pool = (byStreet.get(p.street_key) ?? [])
      .filter((q) => q.id !== p.id)
      .sort((a, b) => Math.abs(a.num - p.num) - Math.abs(b.num - p.num) || Number(a.id) - Number(b.id))
      .slice(0, 80);
    const res = interpolate(p.num, pool, zip);
    if (res.kind !== 'placed') {
      refused += 1;
      continue;
    }
    const err = metresBetween(res, p);
    const [lo, hi] = res.from as [NumberedPoint, NumberedPoint | undefined];
    const kind = hi
      ? lo.num % 2 === p.num % 2
        ? 'between numbers on its side'
        : 'across the street'
      : lo.num === p.num
        ? 'a range or lettered number starting with it'
        : 'snapped past the known numbers';
    kinds.set(kind, [...(kinds.get(kind) ?? []), err]);
    if (res.confident) confident.push(err);
  }
  const q = (v: number[], f: number) =>
    Math.round([...v].sort((a, b) => a - b)[Math.floor(v.length * f)] ?? 0);
  console.log(`${tried} removed points (seed ${process.env.CALIBRATION_SEED ?? 99}); ${refused} not placed`);
  for (const [kind, errs] of kinds)
    console.log(
      `  ${kind}: ${errs.length}, error median ${q(errs, 0.5)} / p90 ${q(errs, 0.9)} / p95 ${q(errs, 0.95)} m, ${errs.filter((e) => e > 40).length} further than 40 m`,
    );
  console.log(
    `  confident: ${confident.length} (${((confident.length / tried) * 100).toFixed(1)}%), ${confident.filter((e) => e > 40).length} further than 40 m`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
