/** What the geocoder answers (issues #5 and #17), shared by the address and the intersection paths. */
import type { AddressMatch } from './locate';

export type LocationMatch = 'address_point' | 'interpolated' | 'intersection' | 'reverse' | 'client_point';

export type GeocodeResult =
  { kind: 'match'; match: AddressMatch; exact: boolean } | { kind: 'none'; suggestions: AddressMatch[] };

/** A computed place to 1e-7 degrees (about 1 cm): 42.3533 on the wire, not 42.353300000000004. */
export function roundPlace(m: AddressMatch): AddressMatch {
  const round = (v: number) => Math.round(v * 1e7) / 1e7;
  return m.match === 'interpolated' || m.match === 'intersection'
    ? { ...m, lat: round(m.lat), long: round(m.long) }
    : m;
}

/** An address point stands for its building: a median of reports, within about this of the door. */
export const ADDRESS_POINT_ACCURACY_M = 10;

/**
 * A place is answered with confidence only when its estimated accuracy is within this (the benchmark's
 * "right" for an intersection); a less certain estimate is offered as a suggestion instead, so a crew is
 * never sent to a guess (measured in BENCHMARKS.md, "Geocoding accuracy").
 */
export const CONFIDENT_ACCURACY_M = 60;

/** "Clarendon St" for CLARENDON ST: the city's own spelling of a street key (from an address on it). */
export function displayStreet(address: string | undefined, key: string): string {
  if (!address) return key;
  const words = address.split(' ');
  const n = key.split(' ').length;
  return words.length >= n ? words.slice(words.length - n).join(' ') : key;
}
