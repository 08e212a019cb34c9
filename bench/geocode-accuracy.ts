/**
 * `npm run bench:geocode`: the held-out accuracy check of issue #5. 1,000 Boston addresses from the demo
 * data, each altered the way people write them (lower case, "Street" for "St", dropped suffix, a
 * one-letter typo, ", Boston, MA 0xxxx" or no zip, extra spaces), geocoded with the server's geocoder.
 * Right: the same address point (or one at the same spot). Wrong: a confident match elsewhere (the
 * failure that sends crews to the wrong place). Refused: not found, with suggestions (the resident picks).
 * Uses BENCH_DATABASE_URL/DATABASE_URL, else an in-memory embedded database with the demo city.
 * Everything it changes (points removed, the intersections layer) happens in one transaction that is
 * rolled back, so it never damages the database it runs on.
 *
 * Tuning without touching the evaluation set: GEO_BENCH_SLICE=tune swaps the halves (layer from
 * July–December, evaluation on January–June; other address samples) and writes nothing to
 * BENCHMARKS.md. GEO_BENCH_DUMP=file.json writes every miss (wrong and refused) for analysis.
 * GEO_BENCH_FULL=1 scores every evaluated intersection of the half (one form each) instead of a sample of
 * 400, to count the rare confident wrong answers (without the search, whose column it leaves at 0), and
 * writes nothing to BENCHMARKS.md.
 */
import { openDatabase } from '../src/db/connect';
import { writeSection } from './report-file';
import { migrateLatest } from '../src/db/migrate';
import { hasJurisdiction, loadDemoCity } from '../src/demo/load-demo';
import fs from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { Knex } from 'knex';
import { geocode } from '../src/geo/geocode';
import { searchAddresses } from '../src/geo/address-search';
import { importIntersections, type IntersectionRecord } from '../src/geo/import';
import { metresBetween } from '../src/geo/interpolate';
import { medianIntersections } from '../src/demo/intersections-layer';

const REAL = '../shared/data/real311/boston_311_2015_by_type.csv.gz';
/**
 * Measured once, not by this script (it needs main's code beside this one): main's geocode() on a
 * database migrated by main and this geocode() on one migrated here, the same texts one after the other.
 */
const SPEED_BEFORE_AFTER =
  'p50 91.8 → 28.8 ms and p95 207.1 → 62.4 ms at load average 11–14 (an earlier run at load average ~10: p50 49.4 → 18.9 ms, p95 134.2 → 40.2 ms), about 3 times faster, on 2026-12-03';
/**
 * Measured once, not by this script (it needs the earlier code beside this one): the same texts (seed 7)
 * through ca53974's geocoder and this one, on one database, one after the other.
 */
const STREET_FIRST_BEFORE_AFTER =
  'Before and after the street-first change of 2026-12-04, this benchmark run on one database by ca53974\'s geocoder and then by this one (same texts). The change: src/geo/streets.ts compares a misspelt spelt-out ordinal spelt out ("E Fourrth St" is E 4TH ST) and lets names of 3 and 4 letters have one wrong letter ("Hgar St" is HAGAR ST); src/geo/geocode.ts lets the number settle a tie between likely streets only by a point of its own that no other tied street could hold (its numbers on both sides of it, or two places of that number), never by an interpolated number. A letter dropped or doubled: right 88.5% → 97.7% with the point in the file (0 wrong either way), confident wrong answers with the point removed 3 → 1 of 1,500. The type dropped: right 92.4% → 91.7% with the point in the file ("112 Warren", Warren Ave having a 112 and Warren St numbers on both sides of it, is now asked), with the point removed right 28.2% → 20.9% and confident wrong 15 → 7 (an interpolated number no longer settles "12 Chester" between Chester St and Chester Pl). The 1,000 altered addresses above: 97.8% → 98.5% right, 0 wrong either way. What is left with the point removed is what the file cannot show: the other street of the name has no numbers near it ("85 Linden" answered 85 Linden St when 85 Linden Rd was the one removed), or the removed point was the only one of its stretch.';
/** How residents write an intersection (bench/geo-scale.ts reuses them). */
export const FORMS = [
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
function realIntersections(tune: boolean): {
  layer: IntersectionRecord[];
  /** Every 2015 intersection (both halves), as the demo's own layer and a city's whole layer hold them. */
  complete: IntersectionRecord[];
  eval: Array<{ a: string; b: string; lat: number; long: number }>;
} {
  const rows = parse(zlib.gunzipSync(fs.readFileSync(REAL)), { columns: true }) as Row[];
  const firstHalf = new Map<string, Array<[number, number]>>();
  const allYear = new Map<string, Array<[number, number]>>();
  const evalByName = new Map<string, { a: string; b: string; lat: number; long: number }>();
  for (const r of rows) {
    const m = /^INTERSECTION (.+?) & (.+)$/.exec(r.LOCATION_STREET_NAME ?? '');
    if (r.Property_Type !== 'Intersection' || !m) continue;
    const lat = Number(r.LATITUDE);
    const long = Number(r.LONGITUDE);
    if (!Number.isFinite(lat) || lat < 42.2 || lat > 42.42) continue;
    const month = Number(r.OPEN_DT.slice(0, 2));
    const name = r.LOCATION_STREET_NAME;
    const every = allYear.get(name) ?? [];
    every.push([lat, long]);
    allYear.set(name, every);
    if (month <= 6 !== tune) {
      const list = firstHalf.get(name) ?? [];
      list.push([lat, long]);
      firstHalf.set(name, list);
    } else if (!evalByName.has(name))
      evalByName.set(name, { a: (m[1] as string).trim(), b: (m[2] as string).trim(), lat, long });
  }
  // The demo's own derivation (median point per name), from the tuning half only.
  const layer = medianIntersections(
    [...firstHalf].flatMap(([location, pts]) =>
      pts.map(([lat, long]) => ({ location, lat, long, zip: null })),
    ),
  );
  const complete = medianIntersections(
    [...allYear].flatMap(([location, pts]) => pts.map(([lat, long]) => ({ location, lat, long, zip: null }))),
  );
  return { layer, complete, eval: [...evalByName.values()] };
}

async function scoreIntersections(
  knex: Knex,
  sample: ReturnType<typeof realIntersections>['eval'],
  r: () => number,
  withSearch = true,
) {
  const t = { right: 0, wrong: 0, refused: 0, searchRight: 0, n: sample.length };
  const wrong: string[] = [];
  const misses: Miss[] = [];
  /** The right answers too (GEO_BENCH_DUMP): to see which a stricter rule would lose. */
  const rights: Array<{ text: string; got: string[]; d: number }> = [];
  const errors: number[] = [];
  // The method's own error: its best estimate, answered or only suggested.
  const estimates: number[] = [];
  const times: number[] = [];
  for (const x of sample) {
    const text = (FORMS[Math.floor(r() * FORMS.length)] as (typeof FORMS)[number])(x.a, x.b);
    const t0 = performance.now();
    const res = await geocode(knex, 'boston', text);
    times.push(performance.now() - t0);
    const best = res.kind === 'match' ? res.match : res.suggestions.find((m) => m.match === 'intersection');
    if (best) estimates.push(metresBetween(best, x));
    if (res.kind === 'none') {
      t.refused += 1;
      misses.push({ text, kind: 'refused', got: res.suggestions.map((m) => m.address), truth: x });
    } else {
      const d = metresBetween(res.match, x);
      errors.push(d);
      if (d <= 60) {
        t.right += 1;
        rights.push({ text, got: [res.match.address], d: Math.round(d) });
      } else {
        t.wrong += 1;
        if (wrong.length < 5) wrong.push(`"${text}" → ${res.match.address} ${Math.round(d)} m off`);
        misses.push({
          text,
          kind: 'wrong',
          got: [res.match.address],
          d: Math.round(d),
          truth: x,
          acc: res.match.accuracyM,
        });
      }
    }
    if (withSearch) {
      const [top] = await searchAddresses(knex, 'boston', text, 5);
      if (top && metresBetween(top, x) <= 60) t.searchRight += 1;
    }
  }
  const at = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.floor(v.length * q)] ?? 0;
  return {
    ...t,
    examples: wrong,
    misses,
    rights,
    median: at(errors, 0.5),
    p90: at(errors, 0.9),
    estimated: estimates.length,
    estimateRight: estimates.filter((d) => d <= 60).length,
    estimateMedian: at(estimates, 0.5),
    estimateP90: at(estimates, 0.9),
    p95ms: at(times, 0.95),
  };
}

interface Miss {
  text: string;
  kind: 'wrong' | 'refused';
  got: string[];
  d?: number;
  acc?: number | undefined;
  truth: { lat: number; long: number };
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

/** A word with one inner letter dropped or doubled (never the first: residents rarely get it wrong). */
function dropOrDouble(w: string, r: () => number): string {
  const j = 1 + Math.floor(r() * (w.length - 2));
  return r() < 0.5 ? w.slice(0, j) + w.slice(j + 1) : w.slice(0, j) + w[j] + w.slice(j);
}

/** An address's words without its street type ("846 Hyde Park" for "846 Hyde Park Ave"); null without one. */
function withoutType(words: string[]): string | null {
  return words.length > 2 && LONG[words[words.length - 1] as string] ? words.slice(0, -1).join(' ') : null;
}

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
      return { text: withoutType(words) ?? address, how };
    case 'typo': {
      // One letter of the street name dropped or doubled (never the house number).
      const i = 1 + Math.floor(r() * (words.length - 1));
      const w = words[i] as string;
      if (w.length < 4) return { text: address, how };
      words[i] = dropOrDouble(w, r);
      return { text: words.join(' '), how };
    }
    case 'city and zip':
      return { text: `${address}, Boston, MA ${zip ?? ''}`.trim(), how };
    default:
      return { text: `  ${address.replace(/ /g, '  ')}  `, how };
  }
}

/** One alteration only, of the street (never the number): a letter dropped or doubled, or the type dropped. */
export function alterStreet(address: string, kind: 'typo' | 'no suffix', r: () => number): string | null {
  const words = address.split(' ');
  if (kind === 'no suffix') return withoutType(words);
  const i = 1 + Math.floor(r() * (words.length - 2));
  const w = words[i] as string;
  if (words.length < 3 || w.length < 3) return null;
  words[i] = dropOrDouble(w, r);
  return words.join(' ');
}

/**
 * Street first (issue #17): texts with one alteration of the street, each geocoded with its point in the
 * file and again with the point removed (a savepoint rolled back), where a tie between likely streets
 * settled by the number would be a guess. Right: within 40 m of the point.
 */
async function scoreStreetFirst(
  knex: Knex,
  all: Array<{ id: number; address: string; zip: string | null }>,
  kind: 'typo' | 'no suffix',
  n: number,
  r: () => number,
) {
  const t = { n: 0, right: 0, wrong: 0, rmRight: 0, rmWrong: 0, examples: [] as string[] };
  while (t.n < n) {
    const a = all[Math.floor(r() * all.length)] as (typeof all)[number];
    const text = alterStreet(a.address, kind, r);
    if (text === null || text === a.address) continue;
    t.n += 1;
    const p = (
      await knex.raw(
        'SELECT ST_Y(location::geometry) AS lat, ST_X(location::geometry) AS long FROM address_points WHERE id = ?',
        [a.id],
      )
    ).rows[0] as { lat: number; long: number };
    const at = { lat: Number(p.lat), long: Number(p.long) };
    const res = await geocode(knex, 'boston', text);
    if (res.kind === 'match') {
      if (metresBetween(res.match, at) <= 40) t.right += 1;
      else t.wrong += 1;
    }
    const sp = await (knex as Knex.Transaction).transaction();
    await sp('address_points').where('id', a.id).delete();
    const res2 = await geocode(sp, 'boston', text);
    await sp.rollback();
    if (res2.kind === 'match') {
      const d = metresBetween(res2.match, at);
      if (d <= 40) t.rmRight += 1;
      else {
        t.rmWrong += 1;
        if (t.examples.length < 5)
          t.examples.push(
            `"${text}" (${a.address} removed) → ${res2.match.address} (${res2.match.match}) ${Math.round(d)} m off`,
          );
      }
    }
  }
  return t;
}

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const db = await openDatabase(url ? { kind: 'postgres', url } : { kind: 'embedded' });
  try {
    await migrateLatest(db.knex);
    if (!(await hasJurisdiction(db.knex))) await loadDemoCity(db.knex, new Date());
    const trx = await db.knex.transaction();
    try {
      await measure(trx, db.describe);
    } finally {
      await trx.rollback();
    }
  } finally {
    await db.close();
  }
}

async function measure(knex: Knex, describe: string): Promise<void> {
  {
    const loadAt = [os.loadavg()[0] as number];
    const tune = process.env.GEO_BENCH_SLICE === 'tune';
    const full = process.env.GEO_BENCH_FULL === '1';
    const dump: Record<string, Miss[]> = {};
    const r = rng(tune ? 1984 : 2015);
    const all = (await knex('address_points')
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
      const res = await geocode(knex, 'boston', text);
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
        (dump.addresses ??= []).push({
          text,
          kind: 'wrong',
          got: [res.match.address],
          truth: { lat: 0, long: 0 },
        });
      }
      byKind.set(how, k);
    }
    const ms = (performance.now() - t0) / sample.length;
    const lines = [
      `Written by \`npm run bench:geocode\` on ${new Date().toISOString().slice(0, 10)} (${describe}): 1,000 Boston addresses from the demo data (39,308 points), altered as residents write them, geocoded by the server's geocoder (exact key, then trigram + house number + street type). Mean ${ms.toFixed(1)} ms per address, one at a time.`,
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
    const real = realIntersections(tune);
    const ir = rng(tune ? 71 : 17);
    const drawn = Array.from(
      { length: 400 },
      () => real.eval[Math.floor(ir() * real.eval.length)] as (typeof real.eval)[number],
    );
    const ixSample = full ? real.eval : drawn;
    await knex('intersections').where('jurisdiction_id', 'boston').delete();
    const computed = await scoreIntersections(knex, ixSample, rng(18), !full);
    await importIntersections(
      knex,
      'boston',
      (async function* () {
        let i = 0;
        for (const rec of real.layer) yield [++i, rec] as [number, IntersectionRecord];
      })(),
      // The layer built from reports may hold a row the import refuses (one street name twice): skip it.
      { replace: true, allowRejects: true },
    );
    const withLayer = await scoreIntersections(knex, ixSample, rng(18), !full);
    await importIntersections(
      knex,
      'boston',
      (async function* () {
        let i = 0;
        for (const rec of real.complete) yield [++i, rec] as [number, IntersectionRecord];
      })(),
      { replace: true, allowRejects: true },
    );
    const withComplete = await scoreIntersections(knex, ixSample, rng(18), !full);
    loadAt.push(os.loadavg()[0] as number);
    const LOAD_DURING = `${Math.min(...loadAt).toFixed(0)}–${Math.max(...loadAt).toFixed(0)}`;
    const inLayer = (layer: IntersectionRecord[]) => {
      const names = new Set(layer.map((l) => `${l.streetA} & ${l.streetB}`));
      return ixSample.filter((x) => names.has(`${x.a} & ${x.b}`)).length;
    };
    dump.computed = computed.misses;
    dump.withLayer = withLayer.misses;
    dump.computedRight = computed.rights as Miss[];
    dump.withLayerRight = withLayer.rights as Miss[];
    dump.withComplete = withComplete.misses;
    dump.withCompleteRight = withComplete.rights as Miss[];
    const pct = (k: number, n: number) => `${((k / n) * 100).toFixed(1)}%`;
    lines.push(
      `Intersections (issue #17): 400 real 2015 intersection reports from July–December, written in six forms residents use ("A & B", "a and b", "corner of A and B", "B at A", "A / B", the city's "INTERSECTION of A & B  Boston  MA"), scored by distance to the city's own coordinates (≤ 60 m right). Two layers: the median point of each intersection's January–June reports only (${real.layer.length} intersections, built as the demo builds its own: src/demo/intersections-layer.ts), which holds ${inLayer(real.layer)} of the 400 evaluated intersections (the others fall back to the computed method); and a complete layer of every intersection reported in 2015 (${real.complete.length}, the demo's own), as a city's layer holds every intersection of its streets. The complete layer's point for an evaluated intersection includes that report's own coordinates (the city gives one point per intersection: 99.7% of names with several reports have one coordinate), so that row measures finding the right junction from what residents write, not the geometry. Thresholds were chosen on the other half (GEO_BENCH_SLICE=tune: January–June evaluated, the layer from July–December).`,
      '',
      '| method | right on POST | wrong but confident | refused (with suggestions) | top search suggestion right | error of confident answers, median / p90 | best estimate (answered or first suggestion) within 60 m, median / p90 error | geocode p95 |',
      '|---|---|---|---|---|---|---|---|',
      ...(
        [
          ['computed from address points only', computed],
          ['with a January–June layer', withLayer],
          ['with a complete layer', withComplete],
        ] as const
      ).map(([name, x]) => {
        return `| ${name} | ${pct(x.right, x.n)} | ${pct(x.wrong, x.n)} | ${pct(x.refused, x.n)} | ${pct(x.searchRight, x.n)} | ${Math.round(x.median)} / ${Math.round(x.p90)} m | ${pct(x.estimateRight, x.n)} (of ${x.estimated} estimated), ${Math.round(x.estimateMedian)} / ${Math.round(x.estimateP90)} m | ${x.p95ms.toFixed(1)} ms |`;
      }),
      '',
      `Method (src/geo/meet.ts, src/geo/intersection-geocode.ts). For each pair of likely streets (both names matched as address streets are, plus streets named only in the layer), the layer point if there is one, else computed from address points: the closest pair of points, one per street, within 250 m; a principal-axis line through each street's 16 points nearest it (within 220 m); where the lines cross at ≥ 25° within 90 m of the pair's midpoint, the crossing, else the midpoint. On the tuning half, where both streets have points (3,121 of 3,742 intersections), the crossing put 79% within 60 m of the city's point and the midpoint alone 74% (8 fitted points: 78%). A computed point is answered on POST only when the lines cross at ≥ 40°, the closest pair is ≤ 20 m apart, the points lie within 20 m (rms) of their lines and the streets meet nowhere else; a layer point unless the address points show the streets also meeting ≥ 400 m away or the layer's points for the junction disagree by more than 60 m (two points for one pair of streets, as a layer built from reports can hold); and only one place may remain after the zip or neighbourhood given. Everything else is a 400 whose first suggestion is the estimate (hence "top search suggestion right"). Why the computed figure is low: about 17% of the intersections name a street without a single address point (public alleys, parkways, squares), and where both have points the error has a long tail (wide avenues, set-back corner buildings, curves): on the tuning half no threshold on these signals answers more than ~11% with fewer than 4 of 3,742 wrong (≤ 20 m gap: 10.8% answered, 4 wrong; ≤ 30 m: 14.1%, 7; ≤ 40 m with ≤ 40 m shift: 18.2%, 8; ≤ 60 m: 20.5%, 10). The 90% target for the computed method is not met and no threshold on these signals meets it: it needs the city's own intersection points (the layer; the demo loads one derived from its 2015 reports) or centrelines. With a layer, what remains is coverage: the January–June layer holds ${inLayer(real.layer)} of the 400 and answers nearly all of those; a complete layer answers ${pct(withComplete.right, withComplete.n)} (the rest: names of two streets of one name, "Hull / Hull Street", public alleys the point file lacks, and written names that fit two junctions, asked rather than guessed).`,
      '',
      `Speed (src/geo/streets.ts, src/geo/intersection-geocode.ts, migrations 20261203500017 and 20261204150001). A text costs two round trips whatever the number of likely streets. First the names, four queries at once: each written name against the address streets by a nearest-neighbour scan of a GiST trigram index (\`ORDER BY street_key <-> name LIMIT 30\`, ~1–2 ms; before wave 1 a \`%\` filter the planner ran as a sequential scan computing similarity() for each of ~3,500 streets, 10–30 ms a name) and against the layer's street names by text_pattern_ops indexes (~0.5 ms). Then, at once, the layer's rows for every pair of likely streets and one query for the address points of the pairs that need them: only the points in each street's grid cells within reach of the other's (at most 24 points a cell), and none at all for a pair the layer places, unless the two streets' cells touch somewhere far enough from its junctions for their points to show them meeting there too (the one thing the points can change about a layer answer). Wave 1, interleaved on the same 300 intersection texts (the tuning half's misses, the hardest), main's code on a database built by main against this code: ${SPEED_BEFORE_AFTER}. Wave 3 (no points where they cannot change the answer, a cap per cell) moved no answer: the rows above and every miss and right answer the tuning half dumps are the same before and after; its speed is measured at 500,000 points (next section). The geocode p95 column is this benchmark's own timing on the shared machine (load average ${LOAD_DURING}): the ratio is the figure to trust.`,
      '',
      ...(computed.examples.length
        ? ['Wrong (computed, first five):', ...computed.examples.map((w) => `- ${w}`), '']
        : []),
      ...(withLayer.wrong + withComplete.wrong > 0
        ? [
            'The wrong answers below are written names that fit two junctions where neither the layer nor the address points know the second. The evaluated report is at Milk St & India Pl (July), which the benchmark writes "corner of Milk and India" (it drops suffixes); India Pl has no address point and is not in the January–June layer, so the only India the geocoder knows is India St, and its junction with Milk St (the city\'s own point, 75 m away) is answered. With the complete layer both junctions are known and it is asked. The same on the tuning half: "Arborway / Centre" for Arborway Ter & Centre St and "stuart and clarendon" for Stuart St & Clarendon Sq. Why it passes the confidence rules (wave 3): no rule misfires. The computed meeting is 21 m from the city\'s own point for India St & Milk St (its closest pair is 0 m apart, 171-175 Milk St and 25-27 India St being one corner building at one coordinate; the fitted lines cross at 73°, the points 14 m rms off them), and the January–June layer holds that junction once; the answer is right for the street it names, and what makes it wrong is a street nothing the geocoder holds names. No rule on what it holds separates this class, scored on every evaluated intersection of each half (3,742 tuning and 4,198 held-out texts, one form each, not only the 400): a written name without a type matched to a street of fewer than 5 points refuses 17 of 346 right computed answers and 388 of 2,415 right layer answers on the tuning half and catches none of its wrong ones; a closest pair of 0 m (one building) refuses 79 of 346; fewer than 4 points to fit a line through, 28. Those full runs (`GEO_BENCH_FULL=1`) also show that the zeros of the 400-text samples are the luck of the draw: before the rule below, confident wrong answers were 8 of 2,422 (tuning) and 9 of 2,444 (held-out) with the January–June layer, 2 of 351 and 4 of 368 computed, and 3 of 3,566 and 2 of 3,996 with the complete layer. Two of the tuning half\'s are a street written without a type whose other street of that name the geocoder does hold, that pair dropped because its closest points were more than 40 m beyond the best pair\'s (a short street\'s few houses stand back from its corner): "corner of Centre and Goldsmith" answered Centre St & Goldsmith St, 1,062 m from the city\'s point for Centre St & Goldsmith Pl (Goldsmith Pl\'s one point is 67 m from Centre St), and "dorchester and w second" answered Dorchester St & W Second St, 1,318 m off (Dorchester Ave\'s meeting, 85 m apart, dropped). Changed (the project\'s rule: a confident wrong answer sends a crew to the wrong place, a refusal shows the resident the right place as a suggestion): such a pair is now kept up to 80 m beyond the best pair, so the text is asked, where a street written without a type has another street of that name meeting the same cross street as the best pair more than 400 m from the best pair\'s place (another place, as for two meetings of one pair; src/geo/intersection-geocode.ts, `untypedSibling`). Without the 400 m, it would also ask wherever that other street is a court or terrace off the same corner: on the tuning half, 6 right computed answers, 28 with the January–June layer and 33 with the complete layer refused for the same wrong ones. Chosen on the tuning half only (full runs, before → after): computed 349 right and 2 wrong → 349 and 1; January–June layer 2,414 and 8 → 2,411 and 6; complete layer 3,563 and 3 → 3,561 and 3 (the right answers refused, with one layer or both: "Atherton / Washington", "corner of Centre and Columbus", where Centre Pl meets Columbus Ave 541 m away, and "corner of Dorchester and Old Colony"). Held-out, run once: computed 364 and 4 → 362 and 4; January–June layer 2,435 and 9 → 2,431 and 9; complete layer 3,994 and 2 → 3,990 and 2 (none of its wrong answers is of this class; the right answers refused, in one setting or more: "corner of Centre and Columbus", "dorchester and old colony", "Erie / Washington", "corner of Bartlett and Green"). The 400-text rows above did not move on either half (held-out complete layer 96.0% right on POST, every top search suggestion the same), the condition the project set for taking it.',
            '',
          ]
        : []),
      ...(withLayer.examples.length
        ? ['Wrong (with the January–June layer, first five):', ...withLayer.examples.map((w) => `- ${w}`), '']
        : []),
      ...(withComplete.examples.length
        ? ['Wrong (with the complete layer, first five):', ...withComplete.examples.map((w) => `- ${w}`), '']
        : []),
    );
    // Street first: one alteration of the street, the point present and then removed.
    const sr = rng(tune ? 8 : 7);
    const streetFirst = [
      ['a letter dropped or doubled', await scoreStreetFirst(knex, all, 'typo', 1500, sr)],
      ['the type dropped', await scoreStreetFirst(knex, all, 'no suffix', 1500, sr)],
    ] as const;
    lines.push(
      'Street first (issue #17): 1,500 texts with one alteration of the street only, each geocoded with its point in the file and again with that point removed (where a guess between likely streets would show); right within 40 m of the point.',
      '',
      '| street written with | right, point in the file | wrong but confident | right, point removed | wrong but confident, point removed |',
      '|---|---|---|---|---|',
      ...streetFirst.map(
        ([name, x]) =>
          `| ${name} | ${pct(x.right, x.n)} | ${pct(x.wrong, x.n)} | ${pct(x.rmRight, x.n)} | ${pct(x.rmWrong, x.n)} (${x.rmWrong}) |`,
      ),
      '',
      STREET_FIRST_BEFORE_AFTER,
      '',
      ...streetFirst.flatMap(([name, x]) =>
        x.examples.length
          ? [`Wrong with the point removed (${name}):`, ...x.examples.map((w) => `- ${w}`), '']
          : [],
      ),
    );
    // (b) addresses whose point is removed before geocoding: interpolation.
    const removed = Array.from(
      { length: 300 },
      () => all[Math.floor(ir() * all.length)] as (typeof all)[number],
    );
    const truth = new Map<number, { lat: number; long: number }>();
    for (const a of removed) {
      const row = (
        await knex.raw(
          'SELECT ST_Y(location::geometry) AS lat, ST_X(location::geometry) AS long FROM address_points WHERE id = ?',
          [a.id],
        )
      ).rows[0];
      if (row) truth.set(a.id, { lat: Number(row.lat), long: Number(row.long) });
    }
    await knex('address_points')
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
      const res = await geocode(knex, 'boston', text);
      if (res.kind === 'none') {
        b.refused += 1;
        (dump.absent ??= []).push({
          text,
          kind: 'refused',
          got: res.suggestions.map((m) => m.address),
          truth: p,
        });
      } else if (metresBetween(res.match, p) <= 40) {
        b.right += 1;
        (dump.absentRight ??= []).push({
          text,
          kind: 'wrong',
          got: [res.match.address],
          acc: res.match.accuracyM,
          truth: p,
        });
      } else {
        b.wrong += 1;
        if (bWrong.length < 5)
          bWrong.push(
            `"${text}" → ${res.match.address} (${res.match.match}) ${Math.round(metresBetween(res.match, p))} m off`,
          );
        (dump.absent ??= []).push({
          text,
          kind: 'wrong',
          got: [res.match.address],
          d: Math.round(metresBetween(res.match, p)),
          acc: res.match.accuracyM,
          truth: p,
        });
      }
    }
    lines.push(
      `Absent numbers (issue #17): 300 address points removed from the data, then geocoded as residents write them (same alterations); right when within 40 m of the removed point.`,
      '',
      `| right | wrong but confident | refused |`,
      '|---|---|---|',
      `| ${pct(b.right, 300)} | ${pct(b.wrong, 300)} | ${pct(b.refused, 300)} |`,
      '',
      "An absent number is answered on POST only when src/geo/interpolate.ts holds its estimate confident; otherwise the estimate leads the suggestions. The rule was calibrated with `npx tsx bench/interpolation-calibration.ts`: 7,919 demo points removed one at a time and placed from the rest of their street (none of the points evaluated here; the zip given one time in six). The error of each kind of estimate (median / p90 / p95): between two numbers on its side 7 / 24 / 36 m (4,623 estimates); across the street 38 / 73 / 105 m (656); snapped past the known numbers 28 / 61 / 111 m (816); a building whose range or lettered number starts with it 0 / 27 / 55 m (352). The accuracy reported (`location_accuracy_m`) is now that 90th percentile: 8 m + 17% of the neighbours' distance on its side, 50 m + 25% across, 40 m + 4 m a number snapped, where it claimed 25–45 m across and 15–20 m snapped (optimistic) and was right on its side. Confident: between two numbers on its side at most 20 numbers and 100 m apart, at most 6 m a number (a longer gap is a park, a corner or a bend), and, where the other side's numbers bracket it too, their estimate within 60 m; a range or lettered number only when the other side agrees. On the calibration set: 2,391 answered (30.2%), 10 of them further than 40 m (0.4%: mostly a street of one name in another neighbourhood whose own numbers near it were all removed); another seed, 2,394 and 8. The previous rule (estimated accuracy ≤ 20 m) answered 1,941 of 7,934 with 38 further (2%). The 98% target is out of reach for numbers the file lacks: 19% of removed points cannot be placed at all (no neighbour on the street within reach, or two stretches of the name), and answering the estimates across the street or snapped would be wrong one time in three. A street of one name in two places with numbers within 20 of it is refused, and a lesser street (a typo and a directional) never answers when the best street cannot place the number.",
      '',
      ...(bWrong.length ? ['Wrong (first five):', ...bWrong.map((w) => `- ${w}`), ''] : []),
    );
    console.log(lines.join('\n'));
    if (process.env.GEO_BENCH_DUMP)
      fs.writeFileSync(process.env.GEO_BENCH_DUMP, JSON.stringify(dump, null, 1));
    if (!tune && !full) writeSection('Geocoding accuracy (issue #5)', lines);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
