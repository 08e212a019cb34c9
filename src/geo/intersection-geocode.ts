/**
 * Street intersections as residents write them (issue #17). Both streets are matched as an address's
 * street is (streets.ts); each pair of likely streets is placed from the city's intersections layer,
 * else computed from the two streets' address points (meet.ts). The answer is confident only when one
 * place remains and it is precise enough:
 * - a layer point, unless the address points show the streets also meeting somewhere else;
 * - a computed meeting only when `confidentMeeting` holds (the fitted lines cross cleanly near a close
 *   pair of points), and the streets meet nowhere else;
 * - streets of one name in several places (two Chestnut Sts): the zip or neighbourhood given decides,
 *   else the places are suggestions.
 * Everything else is answered with the candidates as suggestions, best first, so a resident picks.
 */
import type { Knex } from 'knex';
import {
  ADDRESS_POINT_ACCURACY_M,
  CONFIDENT_ACCURACY_M,
  displayStreet,
  type GeocodeResult,
} from './geocode-result';
import { parseIntersection } from './intersection-parse';
import { metresBetween } from './interpolate';
import type { AddressMatch } from './locate';
import { confidentMeeting, MEET_DEFAULTS, meetings, NEAR_M, type StreetPoint } from './meet';
import { latOf, longOf } from './postgis';
import { preparedRaw } from '../db';
import { leaders, matchStreets, streetScore, type StreetCandidate } from './streets';
import { SUFFIXES } from './usps-abbreviations';

/** Layer rows for one pair of streets closer than this are one intersection (a wide junction). */
const SAME_JUNCTION_M = 150;
/** Candidates of two pairs of streets closer than this are the same corner (either answer is right). */
const SAME_CORNER_M = 30;
/** A pair whose closest points are this much further apart than the best pair's does not meet. */
const GAP_SLACK_M = 40;
/**
 * …except a street written without a type (`"corner of Centre and Goldsmith"`: GOLDSMITH ST or
 * GOLDSMITH PL) whose other street of that name meets the same cross street far away: there a short
 * street's few houses stand back from its corner (Goldsmith Pl's one point 67 m from Centre St), and
 * dropping the pair answered the other junction, 1 km off, as confident. Such a pair is kept up to this
 * much further apart than the best, so the text is asked (`untypedSibling`). Measured: BENCHMARKS.md.
 */
const UNTYPED_GAP_SLACK_M = 80;
/** A computed meeting this far from every layer point of the pair is another place where they meet. */
const ELSEWHERE_M = 400;
/** …where their points come this close (a corner, not a block apart). */
const ELSEWHERE_GAP_M = 30;
/** At most this many layer rows are read for a pair of streets (and for a text, this many a pair). */
const LAYER_ROWS = 50;
/** At most this many likely streets per side are tried (of equal score the longer streets first). */
const MAX_LEADERS = 4;

interface Junction {
  name: string;
  lat: number;
  long: number;
  zip: string | null;
  accuracyM: number;
  confident: boolean;
  /** Metres between the two streets' closest points there (0 for a layer point). */
  gapM: number;
  /** The two streets (keys) as written first and second. */
  streets: readonly [string, string];
}

interface LayerRow {
  name: string;
  zip: string | null;
  lat: number;
  long: number;
  street_a: string;
  street_b: string;
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** The layer's rows for every pair of likely streets, in one query, by `pairKey`. */
async function layerRows(
  knex: Knex,
  jurisdictionId: string,
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<Map<string, LayerRow[]>> {
  const out = new Map<string, LayerRow[]>();
  if (pairs.length === 0) return out;
  const ordered = pairs.map(([a, b]): [string, string] => (a < b ? [a, b] : [b, a]));
  const rows = (
    await preparedRaw(
      knex,
      `SELECT name, zip, street_a, street_b, ${latOf('location')} AS lat, ${longOf('location')} AS long
       FROM intersections WHERE jurisdiction_id = ?
       AND (street_a, street_b) IN (SELECT * FROM unnest(?::text[], ?::text[]))
       ORDER BY id LIMIT ? * cardinality(?::text[])`,
      [
        jurisdictionId,
        ordered.map((p) => p[0]),
        ordered.map((p) => p[1]),
        LAYER_ROWS,
        ordered.map((p) => p[0]),
      ],
    )
  ).rows as LayerRow[];
  for (const r of rows) {
    const k = pairKey(r.street_a, r.street_b);
    const list = out.get(k) ?? [];
    if (list.length < LAYER_ROWS) list.push(r);
    out.set(k, list);
  }
  return out;
}

type Place = Omit<Junction, 'streets'>;

function layerJunctions(rows: readonly LayerRow[]): Place[] {
  // Several points of one junction (a wide one, or the city naming it both ways round) stand for
  // their centre; points further apart are different places.
  const groups: Array<{ first: { lat: number; long: number }; rows: LayerRow[] }> = [];
  for (const r of rows) {
    const p = { lat: Number(r.lat), long: Number(r.long) };
    const g = groups.find((x) => metresBetween(x.first, p) < SAME_JUNCTION_M);
    if (g) g.rows.push(r);
    else groups.push({ first: p, rows: [r] });
  }
  return groups.map(({ rows: rs }) => {
    const lat = rs.reduce((sum, r) => sum + Number(r.lat), 0) / rs.length;
    const long = rs.reduce((sum, r) => sum + Number(r.long), 0) / rs.length;
    const spread = Math.max(
      ...rs.map((r) => metresBetween({ lat, long }, { lat: Number(r.lat), long: Number(r.long) })),
    );
    // Points of one junction that disagree by more than an answer may be off (Milk St & India St: the
    // city's two points 80 m apart) leave its place in doubt: a suggestion, never an answer.
    const disagree = Math.max(
      0,
      ...rs.flatMap((r, i) =>
        rs
          .slice(i + 1)
          .map((o) =>
            metresBetween(
              { lat: Number(r.lat), long: Number(r.long) },
              { lat: Number(o.lat), long: Number(o.long) },
            ),
          ),
      ),
    );
    const first = rs[0] as (typeof rs)[number];
    const accuracyM = Math.round(ADDRESS_POINT_ACCURACY_M + spread);
    return {
      name: first.name,
      lat,
      long,
      zip: first.zip,
      accuracyM,
      confident: accuracyM <= CONFIDENT_ACCURACY_M && disagree <= CONFIDENT_ACCURACY_M,
      gapM: 0,
    };
  });
}

/** The grid of address_points.cell_y/cell_x and street_cells, in degrees (migration 20261204150001). */
const CELL_DEG = 0.0005;
const M_PER_DEG = 111_195;
/**
 * A street's points further than this from every point of the other cannot change where they meet
 * (meet.ts): a meeting is a pair of points within `NEAR_M`, and a line is fitted through each
 * street's points within `fitRadiusM` of the pair's midpoint. So reading only the points this near
 * the other street gives the answers reading both streets whole would.
 */
const REACH_M = NEAR_M / 2 + MEET_DEFAULTS.fitRadiusM;
/**
 * At most this many points of a street are read in one cell (~55 × 41 m): where a city's file stacks
 * hundreds of points in one (the synthetic 500,000-point file holds up to 1,647 of one street in one
 * cell; the demo's at most 17) they say no more about where its line runs than a few dozen, and reading
 * them cost most of a text's time.
 */
const CELL_POINTS = 24;
/** `REACH_M` in cells of latitude (a cell of longitude is narrower by cos(latitude): the SQL widens it). */
const REACH_CELLS = REACH_M / (CELL_DEG * M_PER_DEG);

interface PairPoints {
  a: StreetPoint[];
  b: StreetPoint[];
}

/** How far apart, in cells of latitude, two points of an elsewhere meeting may be (its gap, rounded). */
const TOUCH_REACH = (ELSEWHERE_GAP_M + 0.5) / (CELL_DEG * M_PER_DEG);
/**
 * How far from the box of those two cells an elsewhere meeting may be placed: meet.ts moves a meeting
 * from its pair's midpoint to where the fitted lines cross, at most `maxShiftM` away (the gap, at most
 * `ELSEWHERE_GAP_M`, is less); and a few metres for the rounding between its projection and this file's.
 */
const ELSEWHERE_SHIFT_M = MEET_DEFAULTS.maxShiftM + 5;

/**
 * For every pair of likely streets that needs them, each street's points within reach of the other,
 * in one query: the two streets' cells (street_cells, a few hundred rows for the longest street)
 * within reach of each other name the cells, and only the points in those cells are read (an index
 * probe each). A text costs a few hundred rows however long Washington St is. Also each street's
 * display name.
 *
 * A pair the layer places needs its points only to see the streets meeting somewhere else
 * (`pairJunctions`): a meeting whose closest pair is within `ELSEWHERE_GAP_M`, more than `ELSEWHERE_M`
 * from every junction of the pair (the centre of a group of its layer rows, `layerJunctions`). Such a
 * pair of points lies in two cells of the streets next to each other, and the meeting within
 * `ELSEWHERE_SHIFT_M` of those two cells' box. A group's centre is within the spread of the pair's
 * rows (their box's diagonal) of each of its rows. So when every such box lies within `ELSEWHERE_M`,
 * less the shift and the spread, of one of the pair's layer rows, nothing the points could show
 * changes the answer, and none are read: a layer answer reads none. The layer rows are read here as
 * `layerRows` reads them (`ordered`: each pair as the layer stores it; all of them only when at most
 * `LAYER_ROWS` a pair and `LAYER_ROWS` times `everyPair`, the text's pairs in that order, in all), so
 * this runs beside it.
 */
async function pairPoints(
  knex: Knex,
  jurisdictionId: string,
  pairs: ReadonlyArray<readonly [string, string]>,
  everyPair: ReadonlyArray<readonly [string, string]>,
): Promise<{ byPair: PairPoints[]; display: Map<string, string> }> {
  const byPair = pairs.map(() => ({ a: [] as StreetPoint[], b: [] as StreetPoint[] }));
  const display = new Map<string, string>();
  if (pairs.length === 0) return { byPair, display };
  const ky = Math.ceil(REACH_CELLS);
  const ordered = pairs.map(([a, b]): [string, string] => (a < b ? [a, b] : [b, a]));
  // Cells of longitude are narrower by cos(latitude): a reach of `cells` cells of latitude is this many
  // of longitude, taken at the cell's latitude widened by the reach (never too few).
  const widen = (cells: string) =>
    `ceil(${cells}::float8 / cos(radians(least(80, (abs(c.cell_y) + 1 + ${cells}) * ?::float8))))`;
  const rows = (
    await preparedRaw(
      knex,
      `WITH pr AS (SELECT a, b, oa, ob, i FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])
                   WITH ORDINALITY AS t(a, b, oa, ob, i)),
       lay AS (SELECT pr.i, ${latOf('x.location')} AS lat, ${longOf('x.location')} AS long
               FROM pr JOIN intersections x ON x.jurisdiction_id = ? AND x.street_a = pr.oa AND x.street_b = pr.ob),
       spread AS (
         SELECT i, count(*) AS n, sqrt(((max(lat) - min(lat)) * ?::float8) ^ 2
           + ((max(long) - min(long)) * ?::float8 * cos(radians(min(lat)))) ^ 2) AS m
         FROM lay GROUP BY i),
       placed AS (
         SELECT pr.i FROM pr JOIN spread sp ON sp.i = pr.i
         WHERE sp.n <= ? AND (
           SELECT count(*) FROM intersections WHERE jurisdiction_id = ?
           AND (street_a, street_b) IN (SELECT * FROM unnest(?::text[], ?::text[]))) <= ? * cardinality(?::text[])
         AND NOT EXISTS (
           SELECT 1 FROM street_cells c WHERE c.jurisdiction_id = ? AND c.street_key = pr.a AND EXISTS (
             SELECT 1 FROM street_cells o WHERE o.jurisdiction_id = ? AND o.street_key = pr.b
             AND o.cell_y BETWEEN c.cell_y - ? AND c.cell_y + ? AND abs(o.cell_x - c.cell_x) <= ${widen('?')}
             AND NOT EXISTS (
               SELECT 1 FROM lay z WHERE z.i = pr.i
               AND (greatest(abs(z.lat - least(c.cell_y, o.cell_y) * ?::float8),
                             abs(z.lat - (greatest(c.cell_y, o.cell_y) + 1) * ?::float8)) * ?::float8) ^ 2
                 + (greatest(abs(z.long - least(c.cell_x, o.cell_x) * ?::float8),
                             abs(z.long - (greatest(c.cell_x, o.cell_x) + 1) * ?::float8))
                    * ?::float8 * cos(radians(z.lat))) ^ 2 <= (?::float8 - sp.m) ^ 2
               AND sp.m < ?::float8)))),
       sides AS (SELECT i, 0 AS side, a AS street, b AS other FROM pr WHERE i NOT IN (SELECT i FROM placed)
                 UNION ALL SELECT i, 1, b, a FROM pr WHERE i NOT IN (SELECT i FROM placed)),
       near AS (
         SELECT DISTINCT s.i, s.side, s.street, c.cell_y, c.cell_x
         FROM sides s CROSS JOIN LATERAL (
           SELECT min(cell_y) AS y0, max(cell_y) AS y1, min(cell_x) AS x0, max(cell_x) AS x1
           FROM street_cells WHERE jurisdiction_id = ? AND street_key = s.other) bb
         JOIN street_cells c ON c.jurisdiction_id = ? AND c.street_key = s.street
           AND c.cell_y BETWEEN bb.y0 - ? AND bb.y1 + ?
         WHERE c.cell_x BETWEEN bb.x0 - ${widen('?')} AND bb.x1 + ${widen('?')} AND EXISTS (
           SELECT 1 FROM street_cells o WHERE o.jurisdiction_id = ? AND o.street_key = s.other
           AND o.cell_y BETWEEN c.cell_y - ? AND c.cell_y + ?
           AND abs(o.cell_x - c.cell_x) <= ${widen('?')}))
       SELECT n.i, n.side, p.address, p.zip, ${latOf('p.location')} AS lat, ${longOf('p.location')} AS long
       FROM near n CROSS JOIN LATERAL (
         SELECT id, address, zip, location FROM address_points WHERE jurisdiction_id = ?
         AND street_key = n.street AND cell_y = n.cell_y AND cell_x = n.cell_x LIMIT ?) p
       ORDER BY n.i, n.side, p.id`,
      [
        pairs.map(([a]) => a),
        pairs.map(([, b]) => b),
        ordered.map(([a]) => a),
        ordered.map(([, b]) => b),
        jurisdictionId,
        M_PER_DEG,
        M_PER_DEG,
        LAYER_ROWS,
        jurisdictionId,
        everyPair.map(([a]) => a),
        everyPair.map(([, b]) => b),
        LAYER_ROWS,
        everyPair.map(([a]) => a),
        jurisdictionId,
        jurisdictionId,
        Math.ceil(TOUCH_REACH),
        Math.ceil(TOUCH_REACH),
        TOUCH_REACH,
        Math.ceil(TOUCH_REACH),
        CELL_DEG,
        CELL_DEG,
        CELL_DEG,
        M_PER_DEG,
        CELL_DEG,
        CELL_DEG,
        M_PER_DEG,
        ELSEWHERE_M - ELSEWHERE_SHIFT_M,
        ELSEWHERE_M - ELSEWHERE_SHIFT_M,
        jurisdictionId,
        jurisdictionId,
        ky,
        ky,
        REACH_CELLS,
        ky,
        CELL_DEG,
        REACH_CELLS,
        ky,
        CELL_DEG,
        jurisdictionId,
        ky,
        ky,
        REACH_CELLS,
        ky,
        CELL_DEG,
        jurisdictionId,
        CELL_POINTS,
      ],
    )
  ).rows as Array<{
    i: number | string;
    side: number;
    address: string;
    zip: string | null;
    lat: number;
    long: number;
  }>;
  for (const r of rows) {
    const i = Number(r.i) - 1;
    const pair = byPair[i];
    const key = pairs[i]?.[Number(r.side)];
    if (!pair || key === undefined) continue;
    if (!display.has(key)) display.set(key, displayStreet(r.address, key));
    (Number(r.side) === 0 ? pair.a : pair.b).push({ zip: r.zip, lat: Number(r.lat), long: Number(r.long) });
  }
  return { byPair, display };
}

function computedJunctions(
  points: PairPoints,
  display: ReadonlyMap<string, string>,
  a: StreetCandidate,
  b: StreetCandidate,
): Place[] {
  const all = meetings(points.a, points.b, { ...MEET_DEFAULTS, secondM: NEAR_M });
  // Clear second meetings are places of their own (the zip may choose); a faint one elsewhere (the
  // streets' points come within a block of each other) is doubt enough not to answer for the first.
  const clear = all.filter((m, i) => i === 0 || m.gapM <= MEET_DEFAULTS.secondM);
  const doubt = clear.length < all.length;
  const name = `${display.get(a.key) ?? a.key} & ${display.get(b.key) ?? b.key}`;
  return clear.map((m) => ({
    name,
    lat: m.lat,
    long: m.long,
    zip: m.zip,
    accuracyM: m.accuracyM,
    confident: !doubt && confidentMeeting(m),
    gapM: m.gapM,
  }));
}

/** One pair of streets: its layer points (and any other place the points show them meeting), else computed. */
function pairJunctions(layer: readonly Place[], computed: Place[]): Place[] {
  if (layer.length === 0) return computed;
  // The layer may list one of two places where the streets meet (two Oak Sts off one Washington St).
  const elsewhere = computed.filter(
    (c) =>
      (c.confident || c.gapM <= ELSEWHERE_GAP_M) && layer.every((l) => metresBetween(l, c) > ELSEWHERE_M),
  );
  return [...layer, ...elsewhere.map((c) => ({ ...c, confident: false }))];
}

/**
 * Streets named in the intersections layer, matched as address streets are: a city's layer names
 * streets without a single address point (Oak Sq, public alleys), and a street name must be able to
 * mean them, both to find them and to see that "Oak" may be Oak St or Oak Sq.
 */
async function layerStreets(knex: Knex, jurisdictionId: string, wanted: string): Promise<StreetCandidate[]> {
  // A street's first letters are rarely the typo (streets.ts): only names sharing them are scored, so
  // the layer's few thousand names are filtered by a cheap LIKE before any similarity is computed.
  const start = `${wanted.slice(0, 2).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = (
    await preparedRaw(
      knex,
      `SELECT s, similarity(s, ?) AS sim FROM (
         SELECT street_a AS s FROM intersections WHERE jurisdiction_id = ? AND street_a LIKE ?
         UNION SELECT street_b FROM intersections WHERE jurisdiction_id = ? AND street_b LIKE ?) l
       WHERE s = ? OR s LIKE ? OR s % ? LIMIT 30`,
      [
        wanted,
        jurisdictionId,
        start,
        jurisdictionId,
        start,
        wanted,
        `${wanted.replace(/[\\%_]/g, (c) => `\\${c}`)} %`,
        wanted,
      ],
    )
  ).rows as Array<{ s: string; sim: number | string }>;
  return rows.map((r) => ({
    key: r.s,
    score: streetScore(wanted, r.s, Number(r.sim)),
    dropped: [],
    points: 0,
  }));
}

/** A street written without a type ("Goldsmith"): it may mean any street of that name. */
const untypedName = (written: string) => !SUFFIXES.has(written.split(' ').at(-1) ?? '');

/** The likely streets for one written name, from the address points and the intersections layer. */
async function candidateStreets(knex: Knex, jurisdictionId: string, wanted: string) {
  const [fromPoints, fromLayer] = await Promise.all([
    matchStreets(knex, jurisdictionId, wanted),
    layerStreets(knex, jurisdictionId, wanted),
  ]);
  const known = new Set(fromPoints.map((c) => c.key));
  // "Arborway" written without a type may be ARBORWAY or ARBORWAY TER: in an intersection the street
  // without a type is no likelier than one whose type was dropped (both must be looked at).
  const typed = !untypedName(wanted);
  const all = [...fromPoints, ...fromLayer.filter((c) => !known.has(c.key))]
    .map((c) => (typed ? c : { ...c, score: Math.min(c.score, 0.95) }))
    .sort((a, b) => b.score - a.score || b.points - a.points || a.key.localeCompare(b.key));
  return leaders(all).slice(0, MAX_LEADERS);
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

/** A street's name without its type ("GOLDSMITH PL" → "GOLDSMITH"). */
function baseName(key: string): string {
  const words = key.split(' ');
  return words.length > 1 && SUFFIXES.has(words.at(-1) ?? '') ? words.slice(0, -1).join(' ') : key;
}

/**
 * Whether `j` is the other reading of a street written without a type (`untyped`, by side) than the
 * best pair `best`: the same cross street, another street of that base name, and a place further from
 * the best's than `ELSEWHERE_M` (another place, as for two meetings of one pair). Nearer, the other
 * street is mostly a court or terrace off the same corner: asking there too refused 28 right answers
 * for the 2 wrong ones it caught (tuning half, January–June layer; BENCHMARKS.md).
 */
function untypedSibling(j: Junction, best: Junction, untyped: readonly [boolean, boolean]): boolean {
  return ([0, 1] as const).some((side) => {
    const mine = j.streets[side];
    const theirs = best.streets[side];
    return (
      untyped[side] &&
      mine !== theirs &&
      baseName(mine) === baseName(theirs) &&
      j.streets[1 - side] === best.streets[1 - side] &&
      metresBetween(j, best) > ELSEWHERE_M
    );
  });
}

/**
 * The places that remain: pairs of streets that do not really meet (their closest points much further
 * apart than the best pair's, `untypedSibling` allowing more) dropped, and candidates at the same corner
 * merged (the surer one kept).
 */
function distinctPlaces(found: readonly Junction[], untyped: readonly [boolean, boolean]): Junction[] {
  const best = Math.min(...found.map((j) => j.gapM));
  const bests = found.filter((j) => j.gapM === best);
  const sorted = found
    .filter(
      (j) =>
        j.gapM <= best + GAP_SLACK_M ||
        (j.gapM <= best + UNTYPED_GAP_SLACK_M && bests.some((o) => untypedSibling(j, o, untyped))),
    )
    .sort((x, y) => Number(y.confident) - Number(x.confident) || x.gapM - y.gapM);
  const out: Junction[] = [];
  for (const j of sorted) if (!out.some((o) => metresBetween(o, j) < SAME_CORNER_M)) out.push(j);
  return out;
}

/** Geocodes an intersection text; null when the text is not one (the caller treats it as an address). */
export async function geocodeIntersection(
  knex: Knex,
  jurisdictionId: string,
  text: string,
): Promise<GeocodeResult | null> {
  const ix = parseIntersection(text);
  if (!ix) return null;
  const [ca, cb] = await Promise.all([
    candidateStreets(knex, jurisdictionId, ix.streets[0]),
    candidateStreets(knex, jurisdictionId, ix.streets[1]),
  ]);
  if (ca.length === 0 || cb.length === 0) return null;
  const place = [...ix.place, ...(ca[0]?.dropped ?? []), ...(cb[0]?.dropped ?? [])];
  // Two round trips whatever the number of likely streets: the names, then (at once) the layer's rows
  // for every pair and the points of the pairs whose answer they may change (none when the layer
  // places them).
  const pairs = ca.flatMap((a) => cb.filter((b) => b.key !== a.key).map((b) => [a, b] as const));
  const keys = pairs.map(([a, b]) => [a.key, b.key] as const);
  // A street of the layer alone (no address point) has nothing to compute from.
  const computable = pairs.map(([a, b]) => a.points > 0 && b.points > 0);
  const [layer, near] = await Promise.all([
    layerRows(knex, jurisdictionId, keys),
    pairPoints(
      knex,
      jurisdictionId,
      keys.filter((_, i) => computable[i]),
      keys.map(([a, b]) => (a < b ? [a, b] : [b, a])),
    ),
  ]);
  const found: Junction[] = [];
  let k = 0;
  for (const [i, [a, b]] of pairs.entries()) {
    const computed = computable[i]
      ? computedJunctions(near.byPair[k++] ?? { a: [], b: [] }, near.display, a, b)
      : [];
    const streets = [a.key, b.key] as const;
    const places = pairJunctions(layerJunctions(layer.get(pairKey(a.key, b.key)) ?? []), computed);
    found.push(...places.map((j) => ({ ...j, streets })));
  }
  if (found.length === 0) return { kind: 'none', suggestions: [] };
  let pool = distinctPlaces(found, [untypedName(ix.streets[0]), untypedName(ix.streets[1])]);
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
  const [only] = pool;
  if (pool.length === 1 && only?.confident)
    return { kind: 'match', match: junctionMatch(only), exact: false };
  return { kind: 'none', suggestions: pool.slice(0, 5).map(junctionMatch) };
}
