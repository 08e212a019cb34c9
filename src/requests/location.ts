/**
 * Turns whatever location a client sent (lat/long, address_string, address_id, or several) into one
 * validated point with an address, zip and districts, following issue #5:
 * - a point is kept as reported, reverse geocoded to the nearest address point within a distance;
 * - an address_id must exist in this jurisdiction; an address_string is geocoded or refused with suggestions;
 * - a point and an address far apart: keep the point and the text, and leave a note for staff;
 * - anything outside the service area is refused.
 */
import type { Knex } from 'knex';
import type { Config } from '../config';
import { ADDRESS_POINT_ACCURACY_M, geocode } from '../geo';
import { addressById, pointFacts, type AddressMatch } from '../geo';
import type { LatLong, LocationMatch } from '../geo';
import type { Problems } from '../core';

export interface LocationInput {
  point?: LatLong;
  addressString?: string;
  addressId?: string;
}

export interface ResolvedLocation {
  point: LatLong | null;
  address: string | null;
  addressId: string | null;
  zipcode: string | null;
  districts: Record<string, string>;
  /** How the point was found (issue #17): null when there is no point. */
  match: LocationMatch | null;
  /** Estimated accuracy of the point in metres; null when unknown (a client's own point). */
  accuracyM: number | null;
  /** Internal notes for staff, e.g. a conflict between the point and the address. */
  staffNotes: string[];
}

function distanceMetres(a: LatLong, b: LatLong): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLong = (b.long - a.long) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLong / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

/**
 * The suggestions of a refused address_string. An estimate (a number placed between its neighbours, a
 * corner computed from the streets' points) is not answered from text alone, so sending its text again is
 * refused again: it carries its point, which the client confirms by sending it as lat and long (with the
 * address_string, kept as written), as an app does from GET addresses.{fmt}.
 */
function suggestionText(s: AddressMatch[]): string {
  if (s.length === 0) return '';
  const one = (m: AddressMatch) => {
    const text = `${m.address}${m.zip ? ` ${m.zip}` : ''}`;
    if (m.match === undefined || m.match === 'address_point') return text;
    const within = m.accuracyM === undefined ? '' : `, within about ${m.accuracyM} m`;
    return `${text} (estimated${within}: to use it, send lat=${m.lat.toFixed(6)} and long=${m.long.toFixed(6)})`;
  };
  return ` Did you mean: ${s.map(one).join('; ')}?`;
}

export async function resolveLocation(
  knex: Knex,
  config: Pick<Config, 'geoReverseMaxMetres' | 'geoConflictMetres' | 'geoBoundaryToleranceMetres'>,
  jurisdictionId: string,
  input: LocationInput,
  problems: Problems,
  /** Where the point's facts come from: pointFacts, unless the caller fetches them with more (intake). */
  factsAt: typeof pointFacts = pointFacts,
): Promise<ResolvedLocation | null> {
  let known: AddressMatch | null = null;
  if (input.addressId !== undefined) {
    known = await addressById(knex, jurisdictionId, input.addressId);
    if (!known) problems.add(`address_id "${input.addressId}" is not a known address in this jurisdiction.`);
  } else if (input.addressString !== undefined && !input.point) {
    const result = await geocode(knex, jurisdictionId, input.addressString);
    if (result.kind === 'none') {
      problems.add(
        `address_string "${input.addressString}" was not found in this city's addresses.${suggestionText(result.suggestions)}`,
      );
    } else {
      known = result.match;
    }
  }
  if (problems.any) return null;

  const staffNotes: string[] = [];
  let point: LatLong | null = input.point ?? (known ? { lat: known.lat, long: known.long } : null);
  // A geocoded text takes the canonical address; a text sent with a point is kept as the resident wrote it.
  let address = input.point
    ? (input.addressString ?? known?.address ?? null)
    : (known?.address ?? input.addressString ?? null);
  let addressId = known?.id ?? null;
  let zipcode = known?.zip ?? null;
  let match: LocationMatch | null = input.point
    ? 'client_point'
    : known
      ? (known.match ?? 'address_point')
      : null;
  let accuracyM: number | null = input.point
    ? null
    : (known?.accuracyM ?? (known ? ADDRESS_POINT_ACCURACY_M : null));

  if (input.point && input.addressString !== undefined && input.addressId === undefined) {
    // Both a point and a text: geocode the text only to check that they agree.
    const result = await geocode(knex, jurisdictionId, input.addressString);
    if (result.kind === 'match') {
      const apart = distanceMetres(input.point, result.match);
      if (apart > config.geoConflictMetres) {
        staffNotes.push(
          `Location conflict: the reported point is ${Math.round(apart)} m from "${input.addressString}" (${result.match.address}). The point was kept.`,
        );
      } else {
        addressId = result.match.id;
        zipcode = result.match.zip;
      }
    }
  } else if (input.point && known) {
    const apart = distanceMetres(input.point, known);
    if (apart > config.geoConflictMetres) {
      staffNotes.push(
        `Location conflict: the reported point is ${Math.round(apart)} m from address ${known.address}. The point was kept.`,
      );
    }
  }

  let districts: Record<string, string> = {};
  if (point) {
    // One round trip: boundary, districts, and the nearest address when there is none yet.
    const facts = await factsAt(
      knex,
      jurisdictionId,
      point,
      config.geoBoundaryToleranceMetres,
      addressId === null ? config.geoReverseMaxMetres : null,
    );
    if (!facts.inside) {
      problems.add('The location is outside the service area of this jurisdiction.');
      return null;
    }
    if (facts.nearest && known) {
      // An interpolated address or an intersection keeps its own text; the nearest point gives the zip.
      zipcode ??= facts.nearest.zip;
    } else if (facts.nearest) {
      address ??= facts.nearest.address;
      addressId = facts.nearest.id;
      zipcode = facts.nearest.zip;
      if (match === 'client_point' && input.addressString === undefined) {
        // The address was found from the point: how far it stands from it is its accuracy.
        match = 'reverse';
        accuracyM = Math.round(facts.nearest.distanceMetres ?? 0);
      }
    }
    districts = facts.districts;
  } else {
    point = null;
  }
  if (!point) {
    match = null;
    accuracyM = null;
  }
  return { point, address, addressId, zipcode, districts, match, accuracyM, staffNotes };
}
