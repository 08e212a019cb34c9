/**
 * Address search for clients (issue #5): autocomplete from a partial address, or reverse lookup from a
 * point, so a mobile app can let residents pick an address the server will accept.
 */
import type { Knex } from 'knex';
import { normaliseAddress } from './address-normalise';
import { geocode } from './geocode';
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
  const found = await searchPoints(knex, jurisdictionId, key, limit);
  if (placed.kind === 'match' && placed.match.id === null) return [placed.match, ...found].slice(0, limit);
  return found;
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
