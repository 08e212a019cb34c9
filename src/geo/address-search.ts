/**
 * Address search for clients (issue #5): autocomplete from a partial address, or reverse lookup from a
 * point, so a mobile app can let residents pick an address the server will accept.
 */
import type { Knex } from 'knex';
import { normaliseAddress } from './address-normalise';
import { geocode } from './geocode';
import { geocodeIntersection } from './intersection-geocode';
import { roundPlace } from './geocode-result';
import { parseIntersection } from './intersection-parse';
import {
  HOUSE_NUMBER_SQL,
  houseNumberOfKey,
  nearestAddresses,
  TRIGRAM_THRESHOLD,
  type AddressMatch,
} from './locate';
import { latOf, longOf } from './postgis';

export const MAX_SUGGESTIONS = 10;

/**
 * Ranked suggestions: addresses whose key starts with the query first (autocomplete while typing),
 * then trigram-similar ones (typos), best first. When the text starts with a house number, the similar
 * ones are those with that number (a resident types the number first and right; at 500,000 points a
 * trigram search over every key takes ~300 ms, over one number's points ~2 ms: bench/geo-scale.ts).
 */
export async function searchAddresses(
  knex: Knex,
  jurisdictionId: string,
  q: string,
  limit = MAX_SUGGESTIONS,
): Promise<AddressMatch[]> {
  const key = normaliseAddress(q);
  if (key.length < 2) return [];
  // Issue #17: an intersection is offered as such, and a number the file lacks as its interpolated place.
  const placed = await geocode(knex, jurisdictionId, q);
  if (placed.kind === 'match' && placed.match.match === 'intersection') return [placed.match];
  if (placed.kind === 'none' && placed.suggestions[0]?.match === 'intersection')
    return placed.suggestions.slice(0, limit);
  if (parseIntersection(q)) {
    const completed = await completeIntersection(knex, jurisdictionId, q, limit);
    if (completed.length > 0) return completed;
  }
  const found = await searchPoints(knex, jurisdictionId, key, limit);
  // Street first: what the geocoder placed or would suggest (the right street's numbers) leads, then
  // the prefix and trigram matches ("273 Clarendon St" never offers "273 D St" first).
  const lead = placed.kind === 'match' ? [placed.match] : placed.suggestions;
  const seen = new Set(lead.map((m) => m.id ?? m.address));
  return [...lead, ...found.filter((m) => !seen.has(m.id ?? m.address))].slice(0, limit);
}

/** Streets completed from a prefix of the second street ("Boylston & Dart"), longest streets first. */
const COMPLETIONS = 3;

/**
 * Autocomplete of an intersection while the second street is being typed: "Boylston & Dart" offers
 * "Boylston St & Dartmouth St". The second street's words are taken as the start of a street name, and
 * each completion that meets the first street is offered (as geocoding would place it).
 */
async function completeIntersection(
  knex: Knex,
  jurisdictionId: string,
  q: string,
  limit: number,
): Promise<AddressMatch[]> {
  const ix = parseIntersection(q);
  const [first, partial] = ix?.streets ?? ['', ''];
  if (partial.length < 2) return [];
  const rows = (
    await knex.raw(
      `SELECT street_key FROM address_streets WHERE jurisdiction_id = ? AND street_key LIKE ?
       ORDER BY points DESC, street_key LIMIT ${COMPLETIONS}`,
      [jurisdictionId, `${partial.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
    )
  ).rows as Array<{ street_key: string }>;
  const out: AddressMatch[] = [];
  for (const r of rows) {
    if (r.street_key === partial) continue;
    const res = await geocodeIntersection(knex, jurisdictionId, `${first} & ${r.street_key}`);
    if (res?.kind === 'match') out.push(roundPlace(res.match));
    else if (res) out.push(...res.suggestions.filter((m) => m.match === 'intersection').map(roundPlace));
  }
  return out.slice(0, limit);
}

async function searchPoints(
  knex: Knex,
  jurisdictionId: string,
  key: string,
  limit: number,
): Promise<AddressMatch[]> {
  const prefix = `${key.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const houseNumber = houseNumberOfKey(key);
  const rows = (await knex
    .select(
      knex.raw('id::text AS id'),
      'address',
      'zip',
      knex.raw(`${latOf('location')} AS lat`),
      knex.raw(`${longOf('location')} AS long`),
    )
    .from(
      knex('address_points')
        .where('jurisdiction_id', jurisdictionId)
        .where((w) =>
          w
            .whereRaw('norm_key LIKE ?', [prefix])
            .orWhere((fuzzy) =>
              houseNumber === null
                ? fuzzy.whereRaw('norm_key % ?', [key])
                : fuzzy
                    .whereRaw(HOUSE_NUMBER_SQL, [houseNumber])
                    .whereRaw('similarity(norm_key, ?) >= ?', [key, TRIGRAM_THRESHOLD]),
            ),
        )
        .select(
          '*',
          knex.raw('(norm_key LIKE ?) AS is_prefix', [prefix]),
          knex.raw('similarity(norm_key, ?) AS sim', [key]),
        )
        .orderByRaw('is_prefix DESC, sim DESC, norm_key')
        .limit(limit)
        .as('candidates'),
    )
    .orderByRaw('is_prefix DESC, sim DESC, address')) as Array<{
    id: string;
    address: string;
    zip: string | null;
    lat: number;
    long: number;
  }>;
  return rows.map((r) => ({
    id: r.id,
    address: r.address,
    zip: r.zip,
    lat: Number(r.lat),
    long: Number(r.long),
  }));
}

export { nearestAddresses };
