import fc from 'fast-check';
import { percentileCont } from './figures';
import { bucketOf, bucketValue, sketchQuantile, SKETCH_ALPHA } from './sketch';

const MINUTE = 1 / 1440;

function histogram(values: number[]): Array<{ b: number; c: number }> {
  const h = new Map<number, number>();
  for (const v of values) h.set(bucketOf(v), (h.get(bucketOf(v)) ?? 0) + 1);
  return [...h].sort((a, b) => a[0] - b[0]).map(([b, c]) => ({ b, c }));
}

describe('days-to-close sketch', () => {
  it('when a value is bucketed, then its bucket stands for it within 1% (or it is within a minute of 0)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1, max: 5000, noNaN: true }), (v) => {
        const rep = bucketValue(bucketOf(v));
        if (v <= MINUTE) return rep === 0;
        return Math.abs(rep - v) <= SKETCH_ALPHA * v * (1 + 1e-9);
      }),
      { numRuns: 2000 },
    );
  });

  it('when quantiles are read from the histogram, then they are within 1% of percentile_cont (plus a minute)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 400, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.9, 0, 1, 0.25),
        (values, q) => {
          const sorted = Float64Array.from(values).sort();
          const exact = percentileCont(sorted, q) as number;
          const approx = sketchQuantile(histogram(values), q) as number;
          return Math.abs(approx - exact) <= SKETCH_ALPHA * exact * (1 + 1e-9) + MINUTE;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('when percentileCont is asked, then it interpolates as PostgreSQL does', () => {
    expect(percentileCont(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2.5);
    expect(percentileCont(Float64Array.from([1, 2, 3, 4, 10]), 0.9)).toBeCloseTo(7.6);
    expect(percentileCont(new Float64Array(0), 0.5)).toBeNull();
    expect(sketchQuantile([], 0.5)).toBeNull();
  });
});
