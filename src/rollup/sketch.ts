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

/**
 * Packed forms (migration 20261204120001): a histogram as big-endian (int2 bucket, int4 count) pairs in
 * ascending bucket order, exact values as big-endian float4 (stored) or float8 (read directly). PostgreSQL
 * writes and concatenates them (string_agg over bytea), the reader sums them in typed arrays: a year's
 * histograms are ~160k pairs, which as JSON arrays cost most of a dashboard summary.
 */
export const packedBucketSql = (bucket: string, count: string): string =>
  `(int2send((${bucket})::int2) || int4send((${count})::int4))`;
export const packedValueSql = (value: string): string => `float4send((${value})::real)`;
export const packedExactSql = (value: string): string => `float8send((${value})::float8)`;

/** A histogram being summed: counts by bucket, dense, grown as buckets come. */
export class Histogram {
  counts = new Float64Array(1024);
  add(bytes: Uint8Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at + 6 <= bytes.byteLength; at += 6) {
      const b = view.getInt16(at);
      if (b >= this.counts.length) this.grow(b);
      this.counts[b] = (this.counts[b] as number) + view.getInt32(at + 2);
    }
  }
  addOne(b: number): void {
    if (b >= this.counts.length) this.grow(b);
    this.counts[b] = (this.counts[b] as number) + 1;
  }
  private grow(b: number): void {
    const grown = new Float64Array(Math.max(b + 1, this.counts.length * 2));
    grown.set(this.counts);
    this.counts = grown;
  }
  /** The non-empty buckets ascending, as sketchQuantile reads them. */
  buckets(): Array<{ b: number; c: number }> {
    const out: Array<{ b: number; c: number }> = [];
    this.counts.forEach((c, b) => {
      if (c > 0) out.push({ b, c });
    });
    return out;
  }
}

/** Packed float4 (`width` 4) or float8 (8) values, all parts in one array (to sort). */
export function unpackValues(parts: Array<{ bytes: Uint8Array; width: 4 | 8 }>): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + Math.floor(p.bytes.byteLength / p.width), 0));
  let i = 0;
  for (const { bytes, width } of parts) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (width === 4) for (let at = 0; at + 4 <= bytes.byteLength; at += 4) out[i++] = view.getFloat32(at);
    else for (let at = 0; at + 8 <= bytes.byteLength; at += 8) out[i++] = view.getFloat64(at);
  }
  return out;
}
