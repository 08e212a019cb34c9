import type { Knex } from 'knex';
import type { PerformanceRow } from '../../src/reports';

/** A small deterministic generator, so a failure can be replayed. */
export function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** A point inside each ward of the jurisdiction, in ward order: requests spread over every district. */
export async function wardPoints(
  knex: Knex,
  jurisdictionId: string,
): Promise<Array<{ lat: number; long: number }>> {
  return (
    await knex.raw(
      `SELECT ST_Y(ST_PointOnSurface(geom)) AS lat, ST_X(ST_PointOnSurface(geom)) AS long
         FROM districts WHERE jurisdiction_id = ? AND layer = 'ward' ORDER BY name`,
      [jurisdictionId],
    )
  ).rows as Array<{ lat: number; long: number }>;
}

/**
 * The rollup's figures against the report's: the counts equal, the median and p90 within rounding (exact
 * periods: the stored values are float4, so the 2-decimal rounding may flip) or 1% plus rounding (long
 * periods, read from histograms).
 */
export function expectSameFigures(
  label: string,
  got: PerformanceRow[],
  want: PerformanceRow[],
  exact: boolean,
) {
  const counts = (rows: PerformanceRow[]) =>
    rows.map(({ median_days_to_close: _m, p90_days_to_close: _p, ...rest }) => rest);
  expect({ label, rows: counts(got) }).toEqual({ label, rows: counts(want) });
  want.forEach((w, i) => {
    const g = got[i] as PerformanceRow;
    for (const f of ['median_days_to_close', 'p90_days_to_close'] as const) {
      const b = w[f];
      const a = g[f];
      const ok =
        b === null
          ? a === null
          : a !== null && Math.abs(a - b) <= (exact ? 0 : 0.01 * Math.abs(b)) + 0.0100001;
      expect({ label, group: w.group, f, ok, a, b }).toEqual({ label, group: w.group, f, ok: true, a, b });
    }
  });
}
