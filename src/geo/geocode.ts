/**
 * Forward geocoding from the city's own address points (issue #5): exact match on the normalised key,
 * then trigram similarity with the house number required to agree. A fuzzy match is only "confident"
 * when it is similar enough and clearly ahead of the next different candidate; otherwise the caller gets
 * suggestions instead of a guess (a crew sent to the wrong house is worse than a question).
 */
import type { Knex } from 'knex';
import { normaliseAddress, parseAddress } from './address-normalise';
import { SUFFIXES } from './usps-abbreviations';
import { addressesByKey, houseNumberOfKey, similarAddresses, type AddressMatch } from './locate';

export type GeocodeResult =
  { kind: 'match'; match: AddressMatch; exact: boolean } | { kind: 'none'; suggestions: AddressMatch[] };

const MIN_SIMILARITY = 0.45;
const MIN_LEAD = 0.08;

const houseNumberOf = (key: string): string | null => /^(\d[\dA-Z/-]*)\s/.exec(key)?.[1] ?? null;
const lastWord = (key: string): string => key.split(' ').at(-1) ?? '';

/**
 * The street type must agree when the text names one: "Washington Ave" is not "Washington St", however
 * similar the letters. A text without a type ("29 Hereford") may match any.
 */
function suffixAgrees(wanted: string, candidate: string): boolean {
  const w = lastWord(wanted);
  return !SUFFIXES.has(w) || lastWord(candidate) === w;
}

export async function geocode(knex: Knex, jurisdictionId: string, text: string): Promise<GeocodeResult> {
  const key = normaliseAddress(text);
  if (key === '') return { kind: 'none', suggestions: [] };
  const exact = await addressesByKey(knex, jurisdictionId, key);
  if (exact[0]) return { kind: 'match', match: exact[0], exact: true };

  const wantedNumber = parseAddress(text).houseNumber?.toUpperCase() ?? null;
  // Only points with the wanted number can be a match, so the candidates are drawn from those (fast at
  // any size); the suggestions for a number the street does not have come from the whole set.
  const keyNumber = houseNumberOfKey(key);
  const byNumber = wantedNumber !== null && keyNumber === wantedNumber;
  let candidates = await similarAddresses(knex, jurisdictionId, key, 10, byNumber ? keyNumber : null);
  if (byNumber && candidates.length === 0) candidates = await similarAddresses(knex, jurisdictionId, key, 10);
  const agreeing = candidates.filter(
    (c) => wantedNumber === null || houseNumberOf(normaliseAddress(c.address)) === wantedNumber,
  );
  const confident = agreeing.filter((c) => suffixAgrees(key, normaliseAddress(c.address)));
  const [best, ...rest] = confident;
  if (best && wantedNumber !== null && (best.similarity ?? 0) >= MIN_SIMILARITY) {
    const runnerUp = rest.find((c) => normaliseAddress(c.address) !== normaliseAddress(best.address));
    if (!runnerUp || (best.similarity ?? 0) - (runnerUp.similarity ?? 0) >= MIN_LEAD) {
      return { kind: 'match', match: best, exact: false };
    }
  }
  return { kind: 'none', suggestions: (agreeing.length > 0 ? agreeing : candidates).slice(0, 3) };
}
