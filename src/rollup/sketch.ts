/**
 * Days-to-close as a log-bucket histogram (the DDSketch idea): a value v > one minute falls in bucket
 * ceil(log_γ(v / MIN)), whose every value is within ALPHA (1%) of the bucket's representative, so a
 * percentile read from merged buckets is within 1% of the true order statistics it interpolates; a value
 * of one minute or less (or negative, a clock skew) falls in bucket 0 and reads as 0 days. Sums of these
 * histograms over days and months give a long period's median and p90 without reading its requests.
 */
export const SKETCH_ALPHA = 0.01;
const GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
const MIN_DAYS = 1 / 1440;

/** The bucket of `valueSql` (days, double precision) in SQL; constants only, no bindings. */
export function bucketSql(valueSql: string): string {
  return `(CASE WHEN ${valueSql} <= ${MIN_DAYS} THEN 0 ELSE ceil(ln((${valueSql}) / ${MIN_DAYS}) / ${Math.log(GAMMA)})::int END)`;
}

/** The same bucket in JS (tests compare the two). */
export function bucketOf(days: number): number {
  return days <= MIN_DAYS ? 0 : Math.ceil(Math.log(days / MIN_DAYS) / Math.log(GAMMA));
}

/** The value a bucket stands for: within ALPHA of every value in it. */
export function bucketValue(bucket: number): number {
  return bucket <= 0 ? 0 : (2 * MIN_DAYS * GAMMA ** bucket) / (GAMMA + 1);
}

/**
 * The q-quantile as percentile_cont computes it (interpolating between the order statistics at ranks
 * floor and ceil of q·(n−1)), each order statistic read as its bucket's value. `buckets` ascending.
 */
export function sketchQuantile(buckets: Array<{ b: number; c: number }>, q: number): number | null {
  const n = buckets.reduce((s, x) => s + x.c, 0);
  if (n === 0) return null;
  const h = q * (n - 1);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const at = (rank: number): number => {
    let seen = 0;
    for (const x of buckets) {
      seen += x.c;
      if (rank < seen) return bucketValue(x.b);
    }
    return bucketValue((buckets[buckets.length - 1] as { b: number }).b);
  };
  const vlo = at(lo);
  return vlo + (h - lo) * (at(hi) - vlo);
}
