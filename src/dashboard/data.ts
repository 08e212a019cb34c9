/**
 * The dashboard's figures (issue #9): performance per area and channel from the daily rollups
 * (src/rollup, issue #21), which agree with the staff SLA report's computation (reports/performance.ts,
 * test/rollup.test.ts) and compute directly whatever is not rolled; satisfaction from the report module.
 */
import type { Knex } from 'knex';
import { reportBase, type PerformanceRow } from '../reports';
import { rolledFigures } from '../rollup';
import { satisfactionRows, satisfactionSql, type GroupBy, type SatisfactionRow } from '../reports';
import { cachedFigures, type FiguresCache } from './figures-cache';
import { thumbPath } from '../requests';
import { districtLayers } from '../geo';

export interface Summary {
  period: { start: string; end: string };
  /** null: the city has no district layers yet (by_district is then empty). */
  layer: string | null;
  totals: PerformanceRow & { satisfaction: SatisfactionRow | null };
  by_district: Array<PerformanceRow & { satisfaction_share: number | null }>;
  by_channel: Array<PerformanceRow & { satisfaction_share: number | null }>;
  spread: {
    best: { group: string; on_time_share: number } | null;
    worst: { group: string; on_time_share: number } | null;
    gap: number | null;
  };
  weekly: Array<{ week: string; received: number; closed: number }>;
}

const EMPTY: PerformanceRow = {
  group: 'all',
  received: 0,
  closed: 0,
  closed_with_level: 0,
  closed_on_time: 0,
  on_time_share: null,
  median_days_to_close: null,
  p90_days_to_close: null,
  open_backlog: 0,
  overdue: 0,
};

function withSatisfaction(rows: PerformanceRow[], sat: SatisfactionRow[]) {
  return rows.map((r) => ({
    ...r,
    satisfaction_share: sat.find((s) => s.group === r.group)?.share_service_3_or_better ?? null,
  }));
}

export async function summary(knex: Knex, figures: FiguresCache, q: SummaryQuery): Promise<Summary> {
  const key = JSON.stringify(['summary', q.jurisdictionId, q.timeZone, q.start, q.end, q.layer]);
  return cachedFigures(figures, key, () => computeSummary(knex, q));
}

/** `layer` null: a city without district layers (no area breakdown, the city-wide figures only). */
export interface SummaryQuery {
  jurisdictionId: string;
  timeZone: string;
  start: Date;
  end: Date;
  now: Date;
  layer: string | null;
}

async function computeSummary(knex: Knex, q: SummaryQuery): Promise<Summary> {
  const base = { jurisdictionId: q.jurisdictionId, start: q.start, end: q.end };
  const groupings: GroupBy[] = [
    { kind: 'all' },
    { kind: 'channel' },
    ...(q.layer === null ? [] : [{ kind: 'district' as const, layer: q.layer }]),
  ];
  // Two round trips, one connection at a time (so many new periods queue for the pool instead of
  // exhausting it): the rollup's state, then every figure in one statement, satisfaction included.
  // Without a layer the rollup still groups by one (it needs a name): every request falls "outside any
  // district" there, and that grouping is dropped.
  const rolled = await rolledFigures(knex, {
    ...q,
    layer: q.layer ?? 'ward',
    also: satisfactionSql(knex, base, groupings),
  });
  const [satAll = [], satChannel = [], satDistrict = []] = satisfactionRows(rolled.also, groupings.length);
  const { all, byChannel, weekly } = rolled;
  const byDistrict = q.layer === null ? [] : rolled.byDistrict;
  const ranked = byDistrict.filter(
    (d) => d.on_time_share !== null && d.closed_with_level >= 5 && !d.group.startsWith('('),
  );
  ranked.sort((a, b) => (b.on_time_share ?? 0) - (a.on_time_share ?? 0));
  const best = ranked[0];
  const worst = ranked[ranked.length - 1];
  const value: Summary = {
    period: { start: q.start.toISOString(), end: q.end.toISOString() },
    layer: q.layer,
    totals: { ...(all[0] ?? EMPTY), satisfaction: satAll[0] ?? null },
    by_district: withSatisfaction(byDistrict, satDistrict),
    by_channel: withSatisfaction(byChannel, satChannel),
    spread: {
      best: best ? { group: best.group, on_time_share: best.on_time_share as number } : null,
      worst: worst ? { group: worst.group, on_time_share: worst.on_time_share as number } : null,
      gap:
        best && worst
          ? Math.round(((best.on_time_share as number) - (worst.on_time_share as number)) * 1000) / 1000
          : null,
    },
    weekly,
  };
  return value;
}

/** District polygons of one layer (simplified for the browser), or the boundary, as GeoJSON. */
export async function layerGeoJson(
  knex: Knex,
  jurisdictionId: string,
  layer: string | null,
): Promise<object> {
  const rows = (
    layer === null
      ? await knex('jurisdictions')
          .where('id', jurisdictionId)
          .whereNotNull('boundary')
          .select(
            knex.raw("'boundary' AS name"),
            knex.raw('ST_AsGeoJSON(ST_SimplifyPreserveTopology(boundary, 0.0002), 5) AS g'),
          )
      : await knex('districts')
          .where({ jurisdiction_id: jurisdictionId, layer })
          .orderBy('name')
          .select('name', knex.raw('ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.0002), 5) AS g'))
  ) as Array<{ name: string; g: string }>;
  return {
    type: 'FeatureCollection',
    features: rows.map((r) => ({ type: 'Feature', properties: { name: r.name }, geometry: JSON.parse(r.g) })),
  };
}

/**
 * The layers, cached as the figures are (fresh a minute): every summary checks its layer against them,
 * and a round trip less counts at 1M requests on a loaded machine. A layer imported meanwhile is
 * known within a minute.
 */
export function cachedLayers(knex: Knex, figures: FiguresCache, jurisdictionId: string): Promise<string[]> {
  return cachedFigures(figures, JSON.stringify(['layers', jurisdictionId]), () =>
    districtLayers(knex, jurisdictionId),
  );
}

/**
 * Request points for the map (public requests only, newest first, capped) as GeoJSON text, cached as the
 * summary is (the text, so a refresh does not serialise 5,000 features again).
 */
export function points(
  knex: Knex,
  figures: FiguresCache,
  jurisdictionId: string,
  start: Date,
  end: Date,
  limit = 5000,
): Promise<string> {
  const key = JSON.stringify(['points', jurisdictionId, start, end, limit]);
  return cachedFigures(figures, key, async () =>
    JSON.stringify(await computePoints(knex, jurisdictionId, start, end, limit)),
  );
}

async function computePoints(
  knex: Knex,
  jurisdictionId: string,
  start: Date,
  end: Date,
  limit: number,
): Promise<object> {
  const rows = (await reportBase(knex, { jurisdictionId, start, end })
    .whereNotNull('r.location')
    .orderBy('r.requested_at', 'desc')
    .limit(limit)
    .select(
      knex.raw('r.id::text AS id'),
      'r.status',
      's.service_name',
      knex.raw('ST_X(r.location::geometry) AS x'),
      knex.raw('ST_Y(r.location::geometry) AS y'),
      // The first public photo's thumbnail, for the popup (src/media serves it; hidden ones are left out).
      knex.raw(
        `(SELECT json_build_object('id', m.id, 'ext', m.thumb_ext) FROM media m
           WHERE m.request_id = r.id AND m.history_id IS NULL AND m.committed_at IS NOT NULL
             AND m.hidden_at IS NULL AND m.thumb_ext IS NOT NULL ORDER BY m.position LIMIT 1) AS thumb`,
      ),
    )) as Array<{
    id: string;
    status: string;
    service_name: string;
    x: number;
    y: number;
    thumb: { id: string; ext: string } | string | null;
  }>;
  const thumbOf = (t: { id: string; ext: string } | string | null) => {
    const v = typeof t === 'string' ? (JSON.parse(t) as { id: string; ext: string }) : t;
    return v ? thumbPath(v.id, v.ext) : null;
  };
  return {
    type: 'FeatureCollection',
    features: rows.map((r) => ({
      type: 'Feature',
      id: r.id,
      properties: { status: r.status, service: r.service_name, thumb: thumbOf(r.thumb) },
      geometry: { type: 'Point', coordinates: [Number(r.x), Number(r.y)] },
    })),
  };
}
