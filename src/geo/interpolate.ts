/**
 * Street-level interpolation (issue #17): a house number the point file lacks, on a street it has, is
 * placed between the nearest lower and higher numbers on the same side (parity) of that street, in the
 * same zip when one is given, in proportion to the numbers. Only the other side known: between its
 * numbers, less precise (a street's width away). Beyond the street's known numbers: snapped to the
 * nearest one when it is close in number, else refused (the caller suggests the street's numbers).
 * Pure: the caller fetches the street's points.
 */

export interface NumberedPoint {
  id: string;
  num: number;
  address: string;
  zip: string | null;
  lat: number;
  long: number;
}

export type Interpolation =
  | {
      kind: 'placed';
      lat: number;
      long: number;
      /** Estimated accuracy: about the 90th percentile of the error of such estimates (see below). */
      accuracyM: number;
      /** Precise enough to answer without asking (see `placeOn`); otherwise a suggestion. */
      confident: boolean;
      zip: string | null;
      from: NumberedPoint[];
    }
  | { kind: 'refused'; near: NumberedPoint[] };

/** Neighbours further apart than this are not taken as one stretch of street (two streets of one name). */
export const MAX_SPAN_M = 400;
/** Numbers this close on one continuous street lie within `MAX_SPAN_M` of each other (lots ~12 m). */
const STRETCH_NUMBERS = 20;
/** Metres a house number may plausibly cover between neighbours (lots are rarely wider). */
const METRES_PER_NUMBER = 12;

export function metresBetween(a: { lat: number; long: number }, b: { lat: number; long: number }): number {
  const rad = Math.PI / 180;
  const x = (b.long - a.long) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.hypot(x, y) * 6_371_008.8;
}

/** How far a number may be from the street's nearest known one and still be snapped to it. */
export const snapReach = (num: number): number => Math.max(6, Math.round(num * 0.05));

function bracket(
  n: number,
  pool: readonly NumberedPoint[],
): { lo: NumberedPoint; hi: NumberedPoint; span: number } | null {
  let lower = -Infinity;
  let higher = Infinity;
  for (const p of pool) {
    if (p.num < n && p.num > lower) lower = p.num;
    if (p.num > n && p.num < higher) higher = p.num;
  }
  if (!Number.isFinite(lower) || !Number.isFinite(higher)) return null;
  // The same number can stand on two stretches of one name: take the closest pair.
  let best: { lo: NumberedPoint; hi: NumberedPoint; span: number } | null = null;
  for (const lo of pool.filter((p) => p.num === lower))
    for (const hi of pool.filter((p) => p.num === higher)) {
      const span = metresBetween(lo, hi);
      if (!best || span < best.span) best = { lo, hi, span };
    }
  if (!best || best.span > Math.min(MAX_SPAN_M, 30 + METRES_PER_NUMBER * (higher - lower))) return null;
  return best;
}

export function interpolate(
  n: number,
  street: readonly NumberedPoint[],
  zip: string | null = null,
): Interpolation {
  const inZip = zip === null ? [] : street.filter((p) => p.zip === zip);
  const pool = inZip.length > 0 ? inZip : street;
  const found = placeOn(n, pool);
  // When another stretch of the same name (Centre St in Jamaica Plain and in West Roxbury, two Oakland
  // Sts in one zip) also has numbers close to this one, far from where it was placed, the name is two
  // streets and the number could be on either: no guess.
  // A far stretch with numbers within `STRETCH_NUMBERS` of this one may hold it too (19 Oakland St in
  // Roxbury, whose known numbers end at 10, and in Brighton between 15 and 25).
  if (found.kind === 'placed') {
    const rival = pool.find(
      (p) =>
        Math.abs(p.num - n) <= Math.max(snapReach(n), STRETCH_NUMBERS) &&
        metresBetween(p, found) > MAX_SPAN_M,
    );
    if (rival) return { kind: 'refused', near: [...found.from, rival].slice(0, 4) };
  }
  return found;
}

/**
 * Calibration (issue #17), measured on 7,934 address points of the demo city removed one at a time and
 * placed from the rest of their street (not the points `npm run bench:geocode` evaluates): the error of
 * each kind of estimate, and the estimates that may be answered without asking (BENCHMARKS.md,
 * "Geocoding accuracy"). Between two numbers on the number's side, the error's 90th percentile is about
 * 8 m + 17% of the neighbours' distance (9 m under 20 m apart, 33 m at 100–200 m); across the street,
 * 50–70 m; snapped to a number past the known ones, 50–60 m.
 */
const SIDE_BASE_M = 8;
const SIDE_PER_SPAN = 0.17;
const ACROSS_BASE_M = 50;
const SNAP_BASE_M = 40;
/**
 * Confident between two numbers on its side: at most `CONFIDENT_GAP` numbers apart, at most
 * `CONFIDENT_SPAN_M` apart and at most `CONFIDENT_M_PER_NUMBER` metres a number (lots of the usual
 * size: a longer gap is a park, a corner or a bend), and, when the other side's numbers bracket it too,
 * its estimate from them within `AGREE_M`. On the calibration set: 2,313 of 7,934 answered, 8 further
 * than 40 m (0.35%; most the same name in another neighbourhood whose own numbers were all removed).
 */
const CONFIDENT_GAP = 20;
const CONFIDENT_SPAN_M = 100;
const CONFIDENT_M_PER_NUMBER = 6;
const AGREE_M = 60;
/** A building whose range or lettered number starts with the number ("273-275", "273A") stands for it. */
const IN_RANGE_ACCURACY_M = 15;
const IN_RANGE_UNSURE_ACCURACY_M = 30;

function along(n: number, b: { lo: NumberedPoint; hi: NumberedPoint }): { lat: number; long: number } {
  const t = (n - b.lo.num) / (b.hi.num - b.lo.num);
  return { lat: b.lo.lat + t * (b.hi.lat - b.lo.lat), long: b.lo.long + t * (b.hi.long - b.lo.long) };
}

function placeOn(n: number, pool: readonly NumberedPoint[]): Interpolation {
  const sameSide = pool.filter((p) => p.num % 2 === n % 2);
  const otherSide = pool.filter((p) => p.num % 2 !== n % 2);
  const across = bracket(n, otherSide);
  const agrees = (p: { lat: number; long: number }) =>
    across === null || metresBetween(p, along(n, across)) <= AGREE_M;
  const same = pool.find((p) => p.num === n);
  if (same) {
    // Corroborated by the other side's numbers (a lettered number elsewhere on a street of one name is not).
    const sure = across !== null && agrees(same);
    return {
      kind: 'placed',
      lat: same.lat,
      long: same.long,
      accuracyM: sure ? IN_RANGE_ACCURACY_M : IN_RANGE_UNSURE_ACCURACY_M,
      confident: sure,
      zip: same.zip,
      from: [same],
    };
  }
  const side = bracket(n, sameSide);
  if (side) {
    const at = along(n, side);
    const gap = side.hi.num - side.lo.num;
    return {
      kind: 'placed',
      ...at,
      accuracyM: Math.round(SIDE_BASE_M + SIDE_PER_SPAN * side.span),
      confident:
        gap <= CONFIDENT_GAP &&
        side.span <= CONFIDENT_SPAN_M &&
        side.span <= CONFIDENT_M_PER_NUMBER * gap &&
        agrees(at),
      zip: side.lo.zip ?? side.hi.zip,
      from: [side.lo, side.hi],
    };
  }
  if (across)
    return {
      kind: 'placed',
      ...along(n, across),
      accuracyM: Math.round(ACROSS_BASE_M + 0.25 * across.span),
      confident: false,
      zip: across.lo.zip ?? across.hi.zip,
      from: [across.lo, across.hi],
    };
  const nearest = [...pool].sort(
    (a, b) => Math.abs(a.num - n) - Math.abs(b.num - n) || (a.num % 2 === n % 2 ? -1 : 1),
  );
  const near = nearest[0];
  if (near && Math.abs(near.num - n) <= snapReach(n)) {
    // Two stretches of one name both near the number: no way to choose.
    const rival = nearest.find(
      (p) => Math.abs(p.num - n) <= snapReach(n) && metresBetween(p, near) > MAX_SPAN_M,
    );
    if (!rival)
      return {
        kind: 'placed',
        lat: near.lat,
        long: near.long,
        accuracyM: Math.round(SNAP_BASE_M + 4 * Math.abs(near.num - n) + (near.num % 2 === n % 2 ? 0 : 15)),
        confident: false,
        zip: near.zip,
        from: [near],
      };
  }
  return { kind: 'refused', near: nearest.slice(0, 3) };
}
