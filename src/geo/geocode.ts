/**
 * Forward geocoding from the city's own data (issues #5 and #17), as residents write places:
 * - a street intersection ("Boylston & Dartmouth", "corner of …"): both streets matched, the meeting
 *   taken from the city's intersections layer, else computed from the two streets' address points;
 * - an address: the exact normalised key first; else the street is settled first (a typo, a dropped
 *   suffix or directional: streets.ts) and only then the number: the point with that number, else one
 *   interpolated between its neighbours on that street (interpolate.ts).
 * Anything not settled with confidence gets suggestions instead of a guess (a crew sent to the wrong
 * house is worse than a question), ranked street first: never the same number on another street ahead
 * of the right street. Every answer says how it was found and how precise it is estimated to be.
 */
import type { Knex } from 'knex';
import { normaliseAddress, parseAddress } from './address-normalise';
import { interpolate, metresBetween, type NumberedPoint } from './interpolate';
import { addressesByKey, similarAddresses, type AddressMatch } from './locate';
import { geocodeIntersection } from './intersection-geocode';
import { ADDRESS_POINT_ACCURACY_M, displayStreet, roundPlace, type GeocodeResult } from './geocode-result';
import { leaders, matchStreets, type StreetCandidate } from './streets';
import { latOf, longOf } from './postgis';
import { preparedRaw } from '../db';

export { ADDRESS_POINT_ACCURACY_M, type GeocodeResult, type LocationMatch } from './geocode-result';
/** Points of one key further apart than this are different places (two streets of one name). */
const SAME_PLACE_M = 200;

const asPoint = (m: AddressMatch): AddressMatch => ({
  ...m,
  match: 'address_point',
  accuracyM: ADDRESS_POINT_ACCURACY_M,
});

/** Several points of one key: the zip decides; else they must be one place. */
function onePlace(rows: AddressMatch[], zip: string | null): AddressMatch[] {
  const inZip = zip === null ? [] : rows.filter((r) => r.zip === zip);
  const pool = inZip.length > 0 ? inZip : rows;
  const first = pool[0];
  if (!first) return [];
  return pool.some((r) => metresBetween(r, first) > SAME_PLACE_M) ? pool : [first];
}

async function pointsOnStreet(
  knex: Knex,
  jurisdictionId: string,
  street: string,
  num: number,
): Promise<NumberedPoint[]> {
  // The 80 nearest numbers are among the 80 nearest above and the 80 nearest below, each read in the
  // index's order: a long street (Washington St, ~12,000 points at 500,000) is not read whole and sorted.
  const side = (op: string, dir: string) =>
    `(SELECT id, house_int, address, zip, location FROM address_points
      WHERE jurisdiction_id = ? AND street_key = ? AND house_int ${op} ?
      ORDER BY house_int ${dir}, id LIMIT 80)`;
  const rows = (
    await preparedRaw(
      knex,
      `SELECT id::text AS id, house_int AS num, address, zip, ${latOf('location')} AS lat, ${longOf('location')} AS long
       FROM (${side('>=', 'ASC')} UNION ALL ${side('<', 'DESC')}) n
       ORDER BY abs(house_int - ?), id LIMIT 80`,
      [jurisdictionId, street, num, jurisdictionId, street, num, num],
    )
  ).rows as Array<NumberedPoint & { num: number | string }>;
  return rows.map((r) => ({ ...r, num: Number(r.num), lat: Number(r.lat), long: Number(r.long) }));
}

const toMatch = (p: NumberedPoint): AddressMatch => ({
  id: p.id,
  address: p.address,
  zip: p.zip,
  lat: p.lat,
  long: p.long,
  match: 'address_point',
  accuracyM: ADDRESS_POINT_ACCURACY_M,
});

async function geocodeAddress(knex: Knex, jurisdictionId: string, text: string): Promise<GeocodeResult> {
  const parsed = parseAddress(text);
  const key = normaliseAddress(text);
  const exact = onePlace(await addressesByKey(knex, jurisdictionId, key), parsed.zip);
  if (exact.length === 1) return { kind: 'match', match: asPoint(exact[0] as AddressMatch), exact: true };
  if (exact.length > 1) return { kind: 'none', suggestions: exact.slice(0, 5).map((m) => asPoint(m)) };

  const house = parsed.houseNumber;
  const num = house === null ? null : Number(/^\d{1,9}/.exec(house)?.[0] ?? NaN);
  if (house === null || num === null || !Number.isFinite(num) || parsed.street === '') {
    // Street first here too, and cheap at any size: the likely streets' lowest numbers. A trigram
    // search of every key (~100–300 ms at 500,000 points: BENCHMARKS.md) only when no street is near.
    const streets = parsed.street === '' ? [] : await matchStreets(knex, jurisdictionId, parsed.street);
    const [sure] = leaders(streets);
    const onStreets = sure
      ? (await pointsOnStreet(knex, jurisdictionId, sure.key, 0)).slice(0, 3).map(toMatch)
      : await streetSuggestions(knex, jurisdictionId, streets, 0);
    if (onStreets.length > 0) return { kind: 'none', suggestions: onStreets };
    const similar = await similarAddresses(knex, jurisdictionId, key, 3);
    return { kind: 'none', suggestions: similar.map((m) => asPoint(m)) };
  }

  const candidates = await matchStreets(knex, jurisdictionId, parsed.street);
  const lead = leaders(candidates);
  const placed: AddressMatch[] = [];
  const near: AddressMatch[] = [];
  // The best-scoring street(s) answer first: "53 Harvrd St" (HARVARD ST, a typo) must not land on
  // N HARVARD ST (a typo and a directional) because only the latter has a 53 near its numbers; a
  // lesser street that alone can place the number only makes a suggestion.
  const topScore = lead[0]?.score ?? 0;
  const fromTop: AddressMatch[] = [];
  // An interpolated place is answered only when interpolate() holds it confident (calibrated on removed
  // points other than those the benchmark evaluates: interpolate.ts); else it leads the suggestions.
  const unsure = new Set<AddressMatch>();
  // A likely street that could hold the number but cannot place it (two places hold it; its numbers run
  // past it on both sides) leaves the text open: "70 Waren St" is not 70 WREN ST because only WREN ST
  // has a 70 in the file when WARREN ST's numbers run from 2 to 400.
  let contested = false;
  for (const street of lead) {
    const mine: AddressMatch[] = [];
    const points = onePlace(await addressesByKey(knex, jurisdictionId, `${house} ${street.key}`), parsed.zip);
    if (points.length === 1) mine.push(asPoint(points[0] as AddressMatch));
    else if (points.length > 1) {
      near.push(...points.map((m) => asPoint(m)));
      contested = true;
    } else {
      const onStreet = await pointsOnStreet(knex, jurisdictionId, street.key, num);
      const result = interpolate(num, onStreet, parsed.zip);
      if (result.kind === 'placed') {
        const m: AddressMatch = {
          id: null,
          address: `${house} ${displayStreet(onStreet[0]?.address, street.key)}`,
          zip: result.zip,
          lat: result.lat,
          long: result.long,
          match: 'interpolated',
          accuracyM: result.accuracyM,
        };
        if (!result.confident) unsure.add(m);
        mine.push(m);
      } else {
        near.push(...result.near.map(toMatch));
        if (onStreet.some((p) => p.num < num) && onStreet.some((p) => p.num > num)) contested = true;
      }
    }
    placed.push(...mine);
    if (street.score >= topScore) fromTop.push(...mine);
  }
  const [one] = fromTop.length > 0 ? fromTop : placed;
  const alone = fromTop.length === 1 || (fromTop.length === 0 && placed.length === 1);
  // Several likely streets (a typo, a dropped suffix: "25 Warren" may be Warren Ave or Warren St): the
  // number may settle the street only by a point of its own, and only when no other could hold it. An
  // interpolated number is never the evidence (measured on removed points: BENCHMARKS.md).
  const unsettled = lead.length > 1 && (contested || one?.match === 'interpolated');
  if (one && alone && fromTop.length === 1 && !unsure.has(one) && !unsettled)
    return { kind: 'match', match: one, exact: false };
  if (one && alone) return { kind: 'none', suggestions: [one, ...near].slice(0, 5) };
  if (placed.length > 1) return { kind: 'none', suggestions: placed.slice(0, 5) };
  if (near.length > 0) return { kind: 'none', suggestions: near.slice(0, 5) };
  return { kind: 'none', suggestions: await streetSuggestions(knex, jurisdictionId, candidates, num) };
}

/** For a street not settled: the number nearest the wanted one on each likely street, best street first. */
async function streetSuggestions(
  knex: Knex,
  jurisdictionId: string,
  candidates: readonly StreetCandidate[],
  num: number,
): Promise<AddressMatch[]> {
  const out: AddressMatch[] = [];
  for (const c of candidates.slice(0, 3)) {
    const [p] = await pointsOnStreet(knex, jurisdictionId, c.key, num);
    if (p) out.push(toMatch(p));
  }
  return out;
}

export async function geocode(knex: Knex, jurisdictionId: string, text: string): Promise<GeocodeResult> {
  const key = normaliseAddress(text);
  if (key === '') return { kind: 'none', suggestions: [] };
  const result =
    (await geocodeIntersection(knex, jurisdictionId, text)) ??
    (await geocodeAddress(knex, jurisdictionId, text));
  return result.kind === 'match'
    ? { ...result, match: roundPlace(result.match) }
    : { kind: 'none', suggestions: result.suggestions.map(roundPlace) };
}
