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
import { parseIntersection } from './intersection-parse';
import { interpolate, metresBetween, type NumberedPoint } from './interpolate';
import { addressesByKey, similarAddresses, type AddressMatch } from './locate';
import { meetings, type StreetPoint } from './meet';
import { leaders, matchStreets, type StreetCandidate } from './streets';
import { latOf, longOf } from './postgis';

export type LocationMatch = 'address_point' | 'interpolated' | 'intersection' | 'reverse' | 'client_point';

export type GeocodeResult =
  { kind: 'match'; match: AddressMatch; exact: boolean } | { kind: 'none'; suggestions: AddressMatch[] };

/** An address point stands for its building: a median of reports, within about this of the door. */
export const ADDRESS_POINT_ACCURACY_M = 10;
/** Points of one key further apart than this are different places (two streets of one name). */
const SAME_PLACE_M = 200;
/** Layer rows for one pair of streets closer than this are one intersection (a wide junction). */
const SAME_JUNCTION_M = 150;
const MAX_STREET_POINTS = 5000;

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
  const rows = (
    await knex.raw(
      `SELECT id::text AS id, house_int AS num, address, zip, ${latOf('location')} AS lat, ${longOf('location')} AS long
       FROM address_points WHERE jurisdiction_id = ? AND street_key = ? AND house_int IS NOT NULL
       ORDER BY abs(house_int - ?), id LIMIT 80`,
      [jurisdictionId, street, num],
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

/** "Clarendon St" for CLARENDON ST: the city's own spelling of a street key (from an address on it). */
function displayStreet(address: string | undefined, key: string): string {
  if (!address) return key;
  const words = address.split(' ');
  const n = key.split(' ').length;
  return words.length >= n ? words.slice(words.length - n).join(' ') : key;
}

async function geocodeAddress(knex: Knex, jurisdictionId: string, text: string): Promise<GeocodeResult> {
  const parsed = parseAddress(text);
  const key = normaliseAddress(text);
  const exact = onePlace(await addressesByKey(knex, jurisdictionId, key), parsed.zip);
  if (exact.length === 1) return { kind: 'match', match: asPoint(exact[0] as AddressMatch), exact: true };
  if (exact.length > 1) return { kind: 'none', suggestions: exact.slice(0, 5).map((m) => asPoint(m)) };

  const house = parsed.houseNumber;
  const num = house === null ? null : Number(/^\d{1,9}/.exec(house)?.[0] ?? NaN);
  if (house === null || num === null || !Number.isFinite(num) || parsed.street === '') {
    const similar = await similarAddresses(knex, jurisdictionId, key, 3);
    return { kind: 'none', suggestions: similar.map((m) => asPoint(m)) };
  }

  const candidates = await matchStreets(knex, jurisdictionId, parsed.street);
  const lead = leaders(candidates);
  const placed: AddressMatch[] = [];
  const near: AddressMatch[] = [];
  for (const street of lead) {
    const points = onePlace(await addressesByKey(knex, jurisdictionId, `${house} ${street.key}`), parsed.zip);
    if (points.length === 1) {
      placed.push(asPoint(points[0] as AddressMatch));
      continue;
    }
    if (points.length > 1) {
      near.push(...points.map((m) => asPoint(m)));
      continue;
    }
    const onStreet = await pointsOnStreet(knex, jurisdictionId, street.key, num);
    const result = interpolate(num, onStreet, parsed.zip);
    if (result.kind === 'placed') {
      placed.push({
        id: null,
        address: `${house} ${displayStreet(onStreet[0]?.address, street.key)}`,
        zip: result.zip,
        lat: result.lat,
        long: result.long,
        match: 'interpolated',
        accuracyM: result.accuracyM,
      });
    } else near.push(...result.near.map(toMatch));
  }
  if (placed.length === 1) return { kind: 'match', match: placed[0] as AddressMatch, exact: false };
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

interface Junction {
  streets: [string, string];
  name: string;
  lat: number;
  long: number;
  zip: string | null;
  accuracyM: number;
}

async function layerJunctions(knex: Knex, jurisdictionId: string, a: string, b: string): Promise<Junction[]> {
  const [s1, s2] = a < b ? [a, b] : [b, a];
  const rows = (
    await knex.raw(
      `SELECT name, zip, ${latOf('location')} AS lat, ${longOf('location')} AS long FROM intersections
       WHERE jurisdiction_id = ? AND street_a = ? AND street_b = ? ORDER BY id LIMIT 50`,
      [jurisdictionId, s1, s2],
    )
  ).rows as Array<{ name: string; zip: string | null; lat: number; long: number }>;
  const out: Junction[] = [];
  for (const r of rows) {
    const p = { lat: Number(r.lat), long: Number(r.long) };
    if (out.some((j) => metresBetween(j, p) < SAME_JUNCTION_M)) continue;
    out.push({ streets: [a, b], name: r.name, ...p, zip: r.zip, accuracyM: ADDRESS_POINT_ACCURACY_M });
  }
  return out;
}

async function streetPoints(
  knex: Knex,
  jurisdictionId: string,
  street: string,
): Promise<{ points: StreetPoint[]; display: string }> {
  const rows = (
    await knex.raw(
      `SELECT address, zip, ${latOf('location')} AS lat, ${longOf('location')} AS long FROM address_points
       WHERE jurisdiction_id = ? AND street_key = ? LIMIT ${MAX_STREET_POINTS}`,
      [jurisdictionId, street],
    )
  ).rows as Array<{ address: string; zip: string | null; lat: number; long: number }>;
  return {
    points: rows.map((r) => ({ zip: r.zip, lat: Number(r.lat), long: Number(r.long) })),
    display: displayStreet(rows[0]?.address, street),
  };
}

async function computedJunctions(
  knex: Knex,
  jurisdictionId: string,
  a: string,
  b: string,
): Promise<Junction[]> {
  const [pa, pb] = [await streetPoints(knex, jurisdictionId, a), await streetPoints(knex, jurisdictionId, b)];
  return meetings(pa.points, pb.points).map((m) => ({
    streets: [a, b],
    name: `${pa.display} & ${pb.display}`,
    lat: m.lat,
    long: m.long,
    zip: m.zip,
    accuracyM: m.accuracyM,
  }));
}

/** District names (any layer) at a point, upper case, for "…, Dorchester" disambiguation. */
async function placeNamesAt(knex: Knex, jurisdictionId: string, p: { lat: number; long: number }) {
  const rows = (
    await knex.raw(
      `SELECT upper(name) AS name FROM districts WHERE jurisdiction_id = ?
       AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326))`,
      [jurisdictionId, p.long, p.lat],
    )
  ).rows as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

const junctionMatch = (j: Junction): AddressMatch => ({
  id: null,
  address: j.name,
  zip: j.zip,
  lat: j.lat,
  long: j.long,
  match: 'intersection',
  accuracyM: j.accuracyM,
});

/** Geocodes an intersection text; null when the text is not one (the caller treats it as an address). */
export async function geocodeIntersection(
  knex: Knex,
  jurisdictionId: string,
  text: string,
): Promise<GeocodeResult | null> {
  const ix = parseIntersection(text);
  if (!ix) return null;
  const [ca, cb] = [
    leaders(await matchStreets(knex, jurisdictionId, ix.streets[0])).slice(0, 3),
    leaders(await matchStreets(knex, jurisdictionId, ix.streets[1])).slice(0, 3),
  ];
  if (ca.length === 0 || cb.length === 0) return null;
  const place = [...ix.place, ...(ca[0]?.dropped ?? []), ...(cb[0]?.dropped ?? [])];
  const found: Junction[] = [];
  for (const a of ca)
    for (const b of cb) {
      if (a.key === b.key) continue;
      const layer = await layerJunctions(knex, jurisdictionId, a.key, b.key);
      found.push(...(layer.length > 0 ? layer : await computedJunctions(knex, jurisdictionId, a.key, b.key)));
    }
  let pool = found;
  if (pool.length > 1 && ix.zip !== null) {
    const inZip = pool.filter((j) => j.zip === ix.zip);
    if (inZip.length > 0) pool = inZip;
  }
  if (pool.length > 1 && place.length > 0) {
    const wanted = place.join(' ');
    const named: Junction[] = [];
    for (const j of pool)
      if ((await placeNamesAt(knex, jurisdictionId, j)).some((n) => n.includes(wanted))) named.push(j);
    if (named.length > 0) pool = named;
  }
  if (pool.length === 1) return { kind: 'match', match: junctionMatch(pool[0] as Junction), exact: false };
  return { kind: 'none', suggestions: pool.slice(0, 5).map(junctionMatch) };
}

export async function geocode(knex: Knex, jurisdictionId: string, text: string): Promise<GeocodeResult> {
  const key = normaliseAddress(text);
  if (key === '') return { kind: 'none', suggestions: [] };
  const junction = await geocodeIntersection(knex, jurisdictionId, text);
  if (junction) return junction;
  return geocodeAddress(knex, jurisdictionId, text);
}
