/**
 * Where two streets meet, computed from their address points alone (issue #17), for a city without an
 * intersections layer or centrelines. Method:
 * 1. every pair of points, one on each street, closer than `NEAR_M` (a grid makes this linear); the
 *    closest pair is the first meeting; another pair at least `APART_M` from every meeting so far, and
 *    itself closer than `SECOND_M`, is another meeting (two Chestnut Sts, a street crossing twice);
 * 2. each meeting is refined: a line is fitted (principal axis) through each street's points nearest the
 *    closest pair's midpoint, and the meeting is where the two lines cross, when they cross at a clear
 *    angle near the midpoint; otherwise the midpoint stands. Address points stand back from the
 *    roadway on both sides, so the fitted line runs near the centreline and the crossing near the corner.
 * The estimated accuracy grows with how far apart the closest pair was. Measured error: BENCHMARKS.md.
 * Pure: the caller fetches the points.
 */

export interface StreetPoint {
  lat: number;
  long: number;
  zip: string | null;
}

export interface Meeting {
  lat: number;
  long: number;
  accuracyM: number;
  zip: string | null;
  /** Metres between the closest pair of points (one per street). */
  gapM: number;
  refined: boolean;
  /** The closest pair's midpoint (the fallback when the fitted lines do not cross cleanly). */
  mid: { lat: number; long: number };
  /** Degrees between the fitted lines (0 when not refined), and how far the points lie off them (rms m). */
  angle: number;
  across: number;
}

export interface MeetOptions {
  /** Points of each street nearest the closest pair that the line is fitted through, and their reach. */
  fitPoints: number;
  fitRadiusM: number;
  /** Below this angle the fitted lines are taken as one street continuing, and the midpoint stands. */
  minAngleDeg: number;
  maxShiftM: number;
  /** Another meeting must be this close a pair and this far from the first (see the file comment). */
  secondM: number;
  apartM: number;
}

export const NEAR_M = 250;
/** The grid the nearest point of the other street is searched on. */
const GRID_M = 25;
export const MEET_DEFAULTS: MeetOptions = {
  fitPoints: 16,
  fitRadiusM: 220,
  minAngleDeg: 25,
  maxShiftM: 90,
  secondM: 90,
  apartM: 400,
};

interface XY {
  x: number;
  y: number;
}

function projector(lat0: number, long0: number) {
  const k = (Math.PI / 180) * 6_371_008.8;
  const c = Math.cos(lat0 * (Math.PI / 180));
  return {
    to: (p: { lat: number; long: number }): XY => ({ x: (p.long - long0) * k * c, y: (p.lat - lat0) * k }),
    from: (p: XY) => ({ lat: lat0 + p.y / k, long: long0 + p.x / (k * c) }),
  };
}

/** Principal axis through the points: centroid and unit direction, or null when they do not spread. */
function fitLine(pts: readonly XY[]): { c: XY; d: XY; across: number } | null {
  if (pts.length < 2) return null;
  const cx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const p of pts) {
    sxx += (p.x - cx) ** 2;
    syy += (p.y - cy) ** 2;
    sxy += (p.x - cx) * (p.y - cy);
  }
  const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  const d = { x: Math.cos(theta), y: Math.sin(theta) };
  // Spread along the axis must dominate (a line, not a blob) and be long enough to mean anything.
  const along = pts.map((p) => (p.x - cx) * d.x + (p.y - cy) * d.y);
  const across = pts.map((p) => -(p.x - cx) * d.y + (p.y - cy) * d.x);
  const spread = Math.max(...along) - Math.min(...along);
  const rms = (v: number[]) => Math.sqrt(v.reduce((s, a) => s + a * a, 0) / v.length);
  if (spread < 25 || rms(across) > 0.5 * rms(along)) return null;
  return { c: { x: cx, y: cy }, d, across: rms(across) };
}

function cross(a: { c: XY; d: XY }, b: { c: XY; d: XY }): { p: XY; angle: number } | null {
  const det = a.d.x * b.d.y - a.d.y * b.d.x;
  const angle = (Math.asin(Math.min(1, Math.abs(det))) * 180) / Math.PI;
  if (Math.abs(det) < 1e-9) return null;
  const t = ((b.c.x - a.c.x) * b.d.y - (b.c.y - a.c.y) * b.d.x) / det;
  return { p: { x: a.c.x + t * a.d.x, y: a.c.y + t * a.d.y }, angle };
}

const dist = (a: XY, b: XY) => Math.hypot(a.x - b.x, a.y - b.y);

function nearestTo(m: XY, pts: readonly XY[], o: MeetOptions): XY[] {
  return pts
    .map((p) => ({ p, d: dist(p, m) }))
    .filter((e) => e.d <= o.fitRadiusM)
    .sort((u, v) => u.d - v.d)
    .slice(0, o.fitPoints)
    .map((e) => e.p);
}

/**
 * A computed meeting precise enough to answer without asking (within `CONFIDENT_ACCURACY_M` of the
 * city's own intersection point): the fitted lines cross at a clear angle, the closest pair of points
 * is near (a real corner, not two streets a block apart) and the points lie close to their lines (not
 * a wide avenue or a curve). Chosen on January–June 2015 reports (the evaluation uses July–December):
 * of the meetings that pass, about 1 in 100 is further than 60 m from the city's point; of those that
 * do not, about 1 in 4 (BENCHMARKS.md, "Geocoding accuracy").
 */
export function confidentMeeting(m: Meeting): boolean {
  return (
    m.refined && m.gapM <= CONFIDENT_GAP_M && m.across <= CONFIDENT_ACROSS_M && m.angle >= CONFIDENT_ANGLE
  );
}
const CONFIDENT_GAP_M = 20;
const CONFIDENT_ACROSS_M = 20;
const CONFIDENT_ANGLE = 40;

export function meetings(
  a: readonly StreetPoint[],
  b: readonly StreetPoint[],
  o: MeetOptions = MEET_DEFAULTS,
): Meeting[] {
  if (a.length === 0 || b.length === 0) return [];
  const first = a[0] as StreetPoint;
  const proj = projector(first.lat, first.long);
  const pa = a.map(proj.to);
  const pb = b.map(proj.to);
  // Each point of a is paired with its nearest point of b within NEAR_M, searched ring by ring on a
  // fine grid (stopping once no further ring can hold a nearer point): two streets running side by
  // side for a kilometre (1,000 points each at 500,000 points) cost thousands of distances, not a million.
  const cell = GRID_M;
  const cellKey = (gx: number, gy: number) => gx * 1_000_003 + gy;
  const grid = new Map<number, number[]>();
  pb.forEach((p, i) => {
    const key = cellKey(Math.floor(p.x / cell), Math.floor(p.y / cell));
    const list = grid.get(key);
    if (list) list.push(i);
    else grid.set(key, [i]);
  });
  const rings = Math.ceil(NEAR_M / cell);
  // Which coarse cells (NEAR_M wide) hold a point of b: a point of a with none in its 3 × 3 block has
  // no partner and is skipped without a ring search.
  const coarse = new Set(pb.map((p) => cellKey(Math.floor(p.x / NEAR_M), Math.floor(p.y / NEAR_M))));
  const pairs: Array<{ i: number; j: number; d: number }> = [];
  pa.forEach((p, i) => {
    const cx = Math.floor(p.x / NEAR_M);
    const cy = Math.floor(p.y / NEAR_M);
    let any = false;
    for (let dx = -1; dx <= 1 && !any; dx++)
      for (let dy = -1; dy <= 1 && !any; dy++) any = coarse.has(cellKey(cx + dx, cy + dy));
    if (!any) return;
    const gx = Math.floor(p.x / cell);
    const gy = Math.floor(p.y / cell);
    const best = { j: -1, d: Infinity };
    const visit = (x: number, y: number) => {
      for (const j of grid.get(cellKey(x, y)) ?? []) {
        const d = dist(p, pb[j] as XY);
        if (d <= NEAR_M && (d < best.d || (d === best.d && j < best.j))) {
          best.j = j;
          best.d = d;
        }
      }
    };
    for (let r = 0; r <= rings; r++) {
      // A point in ring r is more than r - 1 cells away along one axis.
      if (best.d <= (r - 1) * cell) break;
      if (r === 0) visit(gx, gy);
      for (let k = -r; k <= r && r > 0; k++) {
        visit(gx - r, gy + k);
        visit(gx + r, gy + k);
        if (k > -r && k < r) {
          visit(gx + k, gy - r);
          visit(gx + k, gy + r);
        }
      }
    }
    if (best.j >= 0) pairs.push({ i, j: best.j, d: best.d });
  });
  pairs.sort((u, v) => u.d - v.d);
  const found: Array<{ m: XY; gap: number; zip: string | null }> = [];
  for (const pr of pairs) {
    const m = {
      x: ((pa[pr.i] as XY).x + (pb[pr.j] as XY).x) / 2,
      y: ((pa[pr.i] as XY).y + (pb[pr.j] as XY).y) / 2,
    };
    if (found.length > 0 && (pr.d > o.secondM || found.some((f) => dist(f.m, m) < o.apartM))) continue;
    found.push({ m, gap: pr.d, zip: (a[pr.i] as StreetPoint).zip ?? (b[pr.j] as StreetPoint).zip });
  }
  return found.map(({ m, gap, zip }) => {
    const la = fitLine(nearestTo(m, pa, o));
    const lb = fitLine(nearestTo(m, pb, o));
    const x = la && lb ? cross(la, lb) : null;
    const refined = x !== null && x.angle >= o.minAngleDeg && dist(x.p, m) <= Math.max(o.maxShiftM, gap);
    const at = refined && x ? x.p : m;
    return {
      ...proj.from(at),
      accuracyM: Math.round(refined ? 15 + gap / 4 : 15 + gap / 2),
      zip,
      gapM: Math.round(gap),
      refined,
      mid: proj.from(m),
      angle: refined && x ? Math.round(x.angle) : 0,
      across: la && lb ? Math.round(Math.max(la.across, lb.across)) : 0,
    };
  });
}
