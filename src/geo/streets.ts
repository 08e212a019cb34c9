/**
 * Street first (issue #17): a written street name is matched to the city's streets before any house
 * number is looked at, so a typo can never land on the same number of an unrelated street. Candidates
 * come from address_streets (one row per distinct street key: a few thousand rows however many points)
 * and are scored here on how residents really get a street wrong:
 * - exact key: 1;
 * - the suffix dropped ("846 Hyde Park" for "HYDE PARK AVE"): 0.95;
 * - a directional dropped or added ("Washington St" for "N WASHINGTON ST"): 0.9;
 * - one or two letters wrong (Damerau–Levenshtein, two only in names of 10 letters or more, one from 3
 *   letters: "Hgar" is HAGAR), the first letter and the suffix agreeing: 0.85 − 0.05 a letter. A short name
 *   has other streets a letter away ("Waren": WARREN, WREN); they tie, and geocode.ts lets the number
 *   settle a tie only by a point of its own that no other tied street could hold. A numbered street is
 *   also compared spelt out ("E Fourrth St" is E 4TH ST, as "E Fourth St" is);
 * - anything else (a different suffix, "Washington Ave" for "WASHINGTON ST", is another street) only
 *   ranks suggestions, never a match.
 */
import type { Knex } from 'knex';
import { DIRECTIONALS, ORDINALS, SUFFIXES } from './usps-abbreviations';
import { preparedRaw } from '../db';

export interface StreetCandidate {
  key: string;
  score: number;
  /** Words dropped from the end of the written street to find it ("DARTMOUTH BOSTON" → "DARTMOUTH"). */
  dropped: string[];
  /** Address points on the street: of equal scores the longer street is the likelier ("Warren" is WARREN ST). */
  points: number;
}

/** A street match is taken when it scores this or more and nothing else comes within `STREET_LEAD`. */
export const STREET_CONFIDENT = 0.78;
export const STREET_LEAD = 0.04;

const isSuffix = (w: string | undefined) => w !== undefined && SUFFIXES.has(w);
const abbreviations: ReadonlySet<string> = new Set(DIRECTIONALS.values());
const isDirectional = (w: string | undefined) => w !== undefined && abbreviations.has(w);

/** The words of a street key without its suffix and directionals: "N WASHINGTON ST" → "WASHINGTON". */
function parts(key: string): { core: string; suffix: string | null; dirs: string } {
  const w = key.split(' ');
  let end = w.length;
  const dirs: string[] = [];
  if (end > 1 && isDirectional(w[end - 1])) dirs.push(w[--end] as string);
  let suffix: string | null = null;
  if (end > 1 && isSuffix(w[end - 1])) suffix = w[--end] as string;
  let start = 0;
  if (end - start > 1 && isDirectional(w[0])) dirs.push(w[start++] as string);
  return { core: w.slice(start, end).join(' '), suffix, dirs: dirs.sort().join(' ') };
}

/** Numeric ordinals spelt out ("4TH" → "FOURTH"): the normalised key holds the number, a resident's typo the word. */
const SPELT: ReadonlyMap<string, string> = new Map([...ORDINALS].map(([word, n]) => [n, word]));
const spelt = (core: string) =>
  core
    .split(' ')
    .map((w) => SPELT.get(w) ?? w)
    .join(' ');

/**
 * The written key with each misspelt ordinal word as its number ("E FOURRTH ST" → "E 4TH ST"): one letter
 * wrong in a word of five or more with the right first letter, so that the street is among those read.
 */
export function ordinalTypos(key: string): string {
  return key
    .split(' ')
    .map((w) => {
      if (w.length < 5 || ORDINALS.has(w) || /\d/.test(w)) return w;
      for (const [word, n] of ORDINALS) if (word[0] === w[0] && editDistance(w, word, 1) <= 1) return n;
      return w;
    })
    .join(' ');
}

/** Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps), bounded by `max`. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        (d[i - 1]?.[j] as number) + 1,
        (d[i]?.[j - 1] as number) + 1,
        (d[i - 1]?.[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (d[i - 2]?.[j - 2] as number) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return d[a.length]?.[b.length] as number;
}

/** How well the written street key `wanted` names the city's street `candidate` (see the file comment). */
export function streetScore(wanted: string, candidate: string, trigram = 0): number {
  if (wanted === candidate) return 1;
  // "HYDE PARK" for "HYDE PARK AVE": the written name is whole and only the type (and directional) is missing.
  if (candidate.startsWith(`${wanted} `)) {
    const rest = candidate.slice(wanted.length + 1).split(' ');
    if (rest.length <= 2 && rest.every((x, i) => (i === 0 ? isSuffix(x) : isDirectional(x)))) return 0.95;
  }
  const w = parts(wanted);
  const c = parts(candidate);
  const suffixOk = w.suffix === null || w.suffix === c.suffix;
  if (!suffixOk) return Math.min(0.6, trigram * 0.6);
  const dirsOk = w.dirs === c.dirs;
  if (w.core === c.core) {
    if (dirsOk) return 0.95; // only the suffix was dropped
    if (w.dirs === '' || c.dirs === '') return w.suffix === null && c.suffix !== null ? 0.88 : 0.9;
    return 0.5; // N vs S: another street
  }
  if (!dirsOk && w.dirs !== '') return Math.min(0.6, trigram * 0.6);
  const allowed = w.core.length >= 10 ? 2 : w.core.length >= 3 ? 1 : 0;
  // A street's first letter is rarely the typo, and changing it finds real other streets ("Bacon"/"Macon").
  const typos = (core: string) => (w.core[0] === core[0] ? editDistance(w.core, core, 2) : allowed + 1);
  const d = Math.min(typos(c.core), typos(spelt(c.core)));
  if (d <= allowed) return 0.85 - 0.05 * d - (w.suffix === null ? 0.02 : 0) - (dirsOk ? 0 : 0.03);
  return Math.min(0.6, trigram * 0.6);
}

/**
 * The city's streets a written street key may name, best first. When the whole key finds nothing
 * confident and it has more than one word, trailing words are tried as a place ("DARTMOUTH BOSTON").
 */
export async function matchStreets(
  knex: Knex,
  jurisdictionId: string,
  wanted: string,
  limit = 8,
): Promise<StreetCandidate[]> {
  const words = wanted.split(' ').filter((w) => w !== '');
  let best: StreetCandidate[] = [];
  for (let drop = 0; drop <= Math.min(2, words.length - 1); drop++) {
    // Only a place is dropped, never the street's own type or direction ("CLARENDON AVE" is not "CLARENDON").
    const last = words[words.length - drop];
    if (drop > 0 && (isSuffix(last) || DIRECTIONALS.has(last ?? ''))) break;
    const key = words.slice(0, words.length - drop).join(' ');
    // The 30 most similar streets by a nearest-neighbour scan of the GiST trigram index (the planner
    // always takes it; a `%` filter on so small a table seq-scans it, similarity() for every street),
    // with the street itself and the streets it starts ("HYDE PARK" → "HYDE PARK AVE") however many,
    // and the same for the key with its misspelt ordinals as numbers (few trigrams in common otherwise).
    const like = (k: string) => `${k.replace(/[\\%_]/g, (c) => `\\${c}`)} %`;
    const prefix = like(key);
    const ordinal = ordinalTypos(key);
    const rows = (
      await preparedRaw(
        knex,
        `SELECT street_key, points, similarity(street_key, ?) AS sim FROM (
           (SELECT street_key, points FROM address_streets WHERE jurisdiction_id = ?
            ORDER BY street_key <-> ? LIMIT 30)
           UNION SELECT street_key, points FROM address_streets
           WHERE jurisdiction_id = ? AND (street_key IN (?, ?) OR street_key LIKE ? OR street_key LIKE ?)) c
         WHERE street_key IN (?, ?) OR street_key LIKE ? OR street_key LIKE ? OR street_key % ?
         ORDER BY street_key = ? DESC, sim DESC LIMIT 30`,
        [
          key,
          jurisdictionId,
          key,
          jurisdictionId,
          key,
          ordinal,
          prefix,
          like(ordinal),
          key,
          ordinal,
          prefix,
          like(ordinal),
          key,
          key,
        ],
      )
    ).rows as Array<{ street_key: string; sim: number; points: number | string }>;
    const found = rows
      .map((r) => ({
        key: r.street_key,
        score: streetScore(key, r.street_key, Number(r.sim)) - drop * 0.01,
        dropped: words.slice(words.length - drop),
        points: Number(r.points),
      }))
      .sort((a, b) => b.score - a.score || b.points - a.points || a.key.localeCompare(b.key));
    if (drop === 0) best = found;
    if ((found[0]?.score ?? 0) >= STREET_CONFIDENT) return found.slice(0, limit);
  }
  return best.slice(0, limit);
}

/** The candidates close enough to the best to be taken together (the number or zip may decide). */
export function leaders(candidates: readonly StreetCandidate[]): StreetCandidate[] {
  const top = candidates[0];
  if (!top || top.score < STREET_CONFIDENT) return [];
  return candidates.filter((c) => c.score >= top.score - STREET_LEAD);
}
