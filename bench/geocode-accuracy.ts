/**
 * `npm run bench:geocode`: the held-out accuracy check of issue #5. 1,000 Boston addresses from the demo
 * data, each altered the way people write them (lower case, "Street" for "St", dropped suffix, a
 * one-letter typo, ", Boston, MA 0xxxx" or no zip, extra spaces), geocoded with the server's geocoder.
 * Right: the same address point (or one at the same spot). Wrong: a confident match elsewhere (the
 * failure that sends crews to the wrong place). Refused: not found, with suggestions (the resident picks).
 * Uses BENCH_DATABASE_URL/DATABASE_URL, else an in-memory embedded database with the demo city.
 */
import { openDatabase } from '../src/db/connect';
import { writeSection } from './report-file';
import { migrateLatest } from '../src/db/migrate';
import { hasJurisdiction, loadDemoCity } from '../src/demo/load-demo';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { Knex } from 'knex';
import { geocode } from '../src/geo/geocode';
import { searchAddresses } from '../src/geo/address-search';
import { importIntersections, type IntersectionRecord } from '../src/geo/import';
import { metresBetween } from '../src/geo/interpolate';

const REAL = '../shared/data/real311/boston_311_2015_by_type.csv.gz';
const FORMS = [
  (a: string, b: string) => `${a} & ${b}`,
  (a: string, b: string) => `${strip(a).toLowerCase()} and ${strip(b).toLowerCase()}`,
  (a: string, b: string) => `corner of ${strip(a)} and ${strip(b)}`,
  (a: string, b: string) => `${b} at ${a}`,
  (a: string, b: string) => `${strip(a)} / ${strip(b)}`,
  (a: string, b: string) => `INTERSECTION of ${a} & ${b}  Boston  MA`,
];
const strip = (s: string) => s.replace(/ (St|Ave|Rd|Pl|Ter|Sq|Blvd|Ct|Way|Dr|Pk|Hwy|Pkwy)$/, '');

interface Row {
  OPEN_DT: string;
  LOCATION_STREET_NAME: string;
  LATITUDE: string;
  LONGITUDE: string;
  Property_Type: string;
}

/**
 * Real intersection reports of 2015: the layer is built from January–June (median point per name, as a
 * city's own intersection points would be), the evaluation drawn from July–December, so a third of the
 * evaluated intersections are absent from the layer and fall back to the computed method.
 */
function realIntersections(): {
  layer: IntersectionRecord[];
  eval: Array<{ a: string; b: string; lat: number; long: number }>;
} {
  const rows = parse(zlib.gunzipSync(fs.readFileSync(REAL)), { columns: true }) as Row[];
  const firstHalf = new Map<string, Array<[number, number]>>();
  const evalByName = new Map<string, { a: string; b: string; lat: number; long: number }>();
  for (const r of rows) {
    const m = /^INTERSECTION (.+?) & (.+)$/.exec(r.LOCATION_STREET_NAME ?? '');
    if (r.Property_Type !== 'Intersection' || !m) continue;
    const lat = Number(r.LATITUDE);
    const long = Number(r.LONGITUDE);
    if (!Number.isFinite(lat) || lat < 42.2 || lat > 42.42) continue;
    const month = Number(r.OPEN_DT.slice(0, 2));
    const name = r.LOCATION_STREET_NAME;
    if (month <= 6) {
      const list = firstHalf.get(name) ?? [];
      list.push([lat, long]);
      firstHalf.set(name, list);
    } else if (!evalByName.has(name))
      evalByName.set(name, { a: (m[1] as string).trim(), b: (m[2] as string).trim(), lat, long });
  }
  const median = (v: number[]) => v.sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;
  const layer = [...firstHalf].map(([name, pts]) => {
    const m = /^INTERSECTION (.+?) & (.+)$/.exec(name) as RegExpExecArray;
    return {
      streetA: m[1] as string,
      streetB: m[2] as string,
      lat: median(pts.map((p) => p[0])),
      long: median(pts.map((p) => p[1])),
    };
  });
  return { layer, eval: [...evalByName.values()] };
}

async function scoreIntersections(
  knex: Knex,
  sample: ReturnType<typeof realIntersections>['eval'],
  r: () => number,
) {
  const t = { right: 0, wrong: 0, refused: 0, searchRight: 0, n: sample.length };
  const wrong: string[] = [];
  const errors: number[] = [];
  for (const x of sample) {
    const text = (FORMS[Math.floor(r() * FORMS.length)] as (typeof FORMS)[number])(x.a, x.b);
    const res = await geocode(knex, 'boston', text);
    if (res.kind === 'none') t.refused += 1;
    else {
      const d = metresBetween(res.match, x);
      errors.push(d);
      if (d <= 60) t.right += 1;
      else {
        t.wrong += 1;
        if (wrong.length < 5) wrong.push(`"${text}" → ${res.match.address} ${Math.round(d)} m off`);
      }
    }
    const [top] = await searchAddresses(knex, 'boston', text, 5);
    if (top && metresBetween(top, x) <= 60) t.searchRight += 1;
  }
  errors.sort((a, b) => a - b);
  return {
    ...t,
    examples: wrong,
    median: errors[Math.floor(errors.length / 2)] ?? 0,
    p90: errors[Math.floor(errors.length * 0.9)] ?? 0,
  };
}

export function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const LONG: Record<string, string> = {
  St: 'Street',
  Ave: 'Avenue',
  Rd: 'Road',
  Pl: 'Place',
  Ter: 'Terrace',
  Sq: 'Square',
  Blvd: 'Boulevard',
  Ct: 'Court',
  Pk: 'Park',
};

/** One address as a resident might write it; `how` names the alteration (bench/geo-scale.ts reuses it). */
export function alter(address: string, zip: string | null, r: () => number): { text: string; how: string } {
  const words = address.split(' ');
  const kinds = ['lower', 'long suffix', 'no suffix', 'typo', 'city and zip', 'no zip, spaces'];
  const how = kinds[Math.floor(r() * kinds.length)] as string;
  const last = words[words.length - 1] as string;
  switch (how) {
    case 'lower':
      return { text: address.toLowerCase(), how };
    case 'long suffix':
      return { text: [...words.slice(0, -1), LONG[last] ?? last].join(' '), how };
    case 'no suffix':
      return { text: words.length > 2 && LONG[last] ? words.slice(0, -1).join(' ') : address, how };
    case 'typo': {
      // One letter of the street name dropped or doubled (never the house number).
      const i = 1 + Math.floor(r() * (words.length - 1));
      const w = words[i] as string;
      if (w.length < 4) return { text: address, how };
      const j = 1 + Math.floor(r() * (w.length - 2));
      words[i] = r() < 0.5 ? w.slice(0, j) + w.slice(j + 1) : w.slice(0, j) + w[j] + w.slice(j);
      return { text: words.join(' '), how };
    }
    case 'city and zip':
      return { text: `${address}, Boston, MA ${zip ?? ''}`.trim(), how };
    default:
      return { text: `  ${address.replace(/ /g, '  ')}  `, how };
  }
}

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const db = await openDatabase(url ? { kind: 'postgres', url } : { kind: 'embedded' });
  try {
    await migrateLatest(db.knex);
    if (!(await hasJurisdiction(db.knex))) await loadDemoCity(db.knex, new Date());
    const r = rng(2015);
    const all = (await db
      .knex('address_points')
      .where('jurisdiction_id', 'boston')
      .whereNotNull('house_number')
      .orderBy('id')
      .select('id', 'address', 'zip')) as Array<{ id: number; address: string; zip: string | null }>;
    const sample = Array.from(
      { length: 1000 },
      () => all[Math.floor(r() * all.length)] as (typeof all)[number],
    );
    const tally = { right: 0, wrong: 0, refused: 0 };
    const byKind = new Map<string, { n: number; right: number }>();
    const wrongExamples: string[] = [];
    const t0 = performance.now();
    for (const a of sample) {
      const { text, how } = alter(a.address, a.zip, r);
      const res = await geocode(db.knex, 'boston', text);
      const k = byKind.get(how) ?? { n: 0, right: 0 };
      k.n += 1;
      if (res.kind === 'none') tally.refused += 1;
      else if (res.match.id === String(a.id) || res.match.address === a.address) {
        tally.right += 1;
        k.right += 1;
      } else {
        tally.wrong += 1;
        if (wrongExamples.length < 5)
          wrongExamples.push(`"${text}" → ${res.match.address} (expected ${a.address})`);
      }
      byKind.set(how, k);
    }
    const ms = (performance.now() - t0) / sample.length;
    const lines = [
      `Written by \`npm run bench:geocode\` on ${new Date().toISOString().slice(0, 10)} (${db.describe}): 1,000 Boston addresses from the demo data (39,308 points), altered as residents write them, geocoded by the server's geocoder (exact key, then trigram + house number + street type). Mean ${ms.toFixed(1)} ms per address, one at a time.`,
      '',
      '| result | share | target |',
      '|---|---|---|',
      `| geocoded to the right address | ${(tally.right / 10).toFixed(1)}% | ≥ 95% — ${tally.right >= 950 ? 'met' : '**not met**'} |`,
      `| wrong address returned as confident | ${(tally.wrong / 10).toFixed(1)}% | 0 — ${tally.wrong === 0 ? 'met' : '**not met**'} |`,
      `| refused with suggestions | ${(tally.refused / 10).toFixed(1)}% | – |`,
      '',
      `By alteration: ${[...byKind].map(([kind, v]) => `${kind} ${Math.round((v.right / v.n) * 100)}% of ${v.n}`).join('; ')}.`,
      ...(wrongExamples.length
        ? ['', 'Wrong matches (first five):', ...wrongExamples.map((w) => `- ${w}`)]
        : []),
      '',
    ];
    // (a) intersections, with and without the imported layer.
    const real = realIntersections();
    const ir = rng(17);
    const ixSample = Array.from(
      { length: 400 },
      () => real.eval[Math.floor(ir() * real.eval.length)] as (typeof real.eval)[number],
    );
    await db.knex('intersections').where('jurisdiction_id', 'boston').delete();
    const computed = await scoreIntersections(db.knex, ixSample, rng(18));
    await importIntersections(
      db.knex,
      'boston',
      (async function* () {
        let i = 0;
        for (const rec of real.layer) yield [++i, rec] as [number, IntersectionRecord];
      })(),
      { replace: true },
    );
    const withLayer = await scoreIntersections(db.knex, ixSample, rng(18));
    const pct = (k: number, n: number) => `${((k / n) * 100).toFixed(1)}%`;
    lines.push(
      `Intersections (issue #17): 400 real 2015 intersection reports from July–December, written in six forms residents use ("A & B", "a and b", "corner of A and B", "B at A", "A / B", the city's "INTERSECTION of A & B  Boston  MA"), scored by distance to the city's own coordinates (≤ 60 m right). The layer is the median point of each intersection's January–June reports (${real.layer.length} intersections), so evaluated intersections missing from it use the computed method.`,
      '',
      '| method | right on POST | wrong but confident | refused | top search suggestion right | median error | p90 error |',
      '|---|---|---|---|---|---|---|',
      ...(
        [
          ['computed from address points only', computed],
          ['with the intersections layer', withLayer],
        ] as const
      ).map(([name, x]) => {
        return `| ${name} | ${pct(x.right, x.n)} | ${pct(x.wrong, x.n)} | ${pct(x.refused, x.n)} | ${pct(x.searchRight, x.n)} | ${Math.round(x.median)} m | ${Math.round(x.p90)} m |`;
      }),
      '',
      ...(computed.examples.length
        ? ['Wrong (computed, first five):', ...computed.examples.map((w) => `- ${w}`), '']
        : []),
    );
    // (b) addresses whose point is removed before geocoding: interpolation.
    const removed = Array.from(
      { length: 300 },
      () => all[Math.floor(ir() * all.length)] as (typeof all)[number],
    );
    const truth = new Map<number, { lat: number; long: number }>();
    for (const a of removed) {
      const row = (
        await db.knex.raw(
          'SELECT ST_Y(location::geometry) AS lat, ST_X(location::geometry) AS long FROM address_points WHERE id = ?',
          [a.id],
        )
      ).rows[0];
      if (row) truth.set(a.id, { lat: Number(row.lat), long: Number(row.long) });
    }
    await db
      .knex('address_points')
      .whereIn(
        'id',
        removed.map((a) => a.id),
      )
      .delete();
    const b = { right: 0, wrong: 0, refused: 0 };
    const bWrong: string[] = [];
    for (const a of removed) {
      const p = truth.get(a.id);
      if (!p) continue;
      const { text } = alter(a.address, a.zip, ir);
      const res = await geocode(db.knex, 'boston', text);
      if (res.kind === 'none') b.refused += 1;
      else if (metresBetween(res.match, p) <= 40) b.right += 1;
      else {
        b.wrong += 1;
        if (bWrong.length < 5)
          bWrong.push(
            `"${text}" → ${res.match.address} (${res.match.match}) ${Math.round(metresBetween(res.match, p))} m off`,
          );
      }
    }
    lines.push(
      `Absent numbers (issue #17): 300 address points removed from the data, then geocoded as residents write them (same alterations); right when within 40 m of the removed point.`,
      '',
      `| right | wrong but confident | refused |`,
      '|---|---|---|',
      `| ${pct(b.right, 300)} | ${pct(b.wrong, 300)} | ${pct(b.refused, 300)} |`,
      '',
      ...(bWrong.length ? ['Wrong (first five):', ...bWrong.map((w) => `- ${w}`), ''] : []),
    );
    console.log(lines.join('\n'));
    writeSection('Geocoding accuracy (issue #5)', lines);
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
