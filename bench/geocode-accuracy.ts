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
import { geocode } from '../src/geo/geocode';

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
