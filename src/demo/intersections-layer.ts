/**
 * An intersections layer derived from what a city publishes (issue #17): Boston's 311 reports located
 * "INTERSECTION Boylston St & Dartmouth St" carry the city's own coordinates for that intersection, so
 * the median point of each name's reports at one place is the city's point (99.7% of names with several 2015 reports
 * have one coordinate). The demo city loads the layer built from the whole of 2015
 * (seeds/demo/boston/intersections.json.gz); `npm run bench:geocode` builds its own from January–June
 * only and evaluates on July–December.
 */
import type { IntersectionRecord } from '../geo';

export interface ReportedPlace {
  /** The report's location as the city writes it: "INTERSECTION Boylston St & Dartmouth St". */
  location: string;
  lat: number;
  long: number;
  zip: string | null;
}

const INTERSECTION = /^INTERSECTION (?:of )?(.+?) & (.+)$/;

const median = (v: number[]) => v.sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;

/** Reports of one name further apart than this are two places (Arlington St & Providence St in Back Bay and Hyde Park). */
const SAME_PLACE_M = 150;

const metres = (a: ReportedPlace, b: ReportedPlace) =>
  Math.hypot((a.lat - b.lat) * 111_195, (a.long - b.long) * 111_195 * Math.cos((a.lat * Math.PI) / 180));

export function medianIntersections(reports: Iterable<ReportedPlace>): IntersectionRecord[] {
  const byName = new Map<string, { a: string; b: string; places: ReportedPlace[][] }>();
  for (const r of reports) {
    const m = INTERSECTION.exec(r.location.replace(/\s+/g, ' ').trim());
    if (!m || !Number.isFinite(r.lat) || !Number.isFinite(r.long)) continue;
    const entry = byName.get(m[0]) ?? { a: (m[1] as string).trim(), b: (m[2] as string).trim(), places: [] };
    const place = entry.places.find((p) => metres(p[0] as ReportedPlace, r) <= SAME_PLACE_M);
    if (place) place.push(r);
    else entry.places.push([r]);
    byName.set(m[0], entry);
  }
  return [...byName.values()].flatMap(({ a, b, places }) =>
    places.map((pts) => {
      const zips = pts.map((p) => p.zip).filter((z): z is string => z !== null);
      return {
        streetA: a,
        streetB: b,
        lat: median(pts.map((p) => p.lat)),
        long: median(pts.map((p) => p.long)),
        zip: zips.length > 0 ? (zips.sort()[Math.floor(zips.length / 2)] as string) : null,
      };
    }),
  );
}
