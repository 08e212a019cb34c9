import fc from 'fast-check';
import { percentileCont } from './figures';
import { bucketOf, bucketValue, Histogram, sketchQuantile, SKETCH_ALPHA, unpackValues } from './sketch';

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

  it('when packed histograms are summed, then every bucket holds the sum of its counts, whatever the parts', () => {
    const pair = fc.record({ b: fc.integer({ min: 0, max: 3000 }), c: fc.integer({ min: 1, max: 100_000 }) });
    fc.assert(
      fc.property(fc.array(fc.array(pair, { maxLength: 40 }), { maxLength: 8 }), (parts) => {
        const want = new Map<number, number>();
        const h = new Histogram();
        for (const part of parts) {
          const bytes = new Uint8Array(part.length * 6);
          const view = new DataView(bytes.buffer);
          part.forEach(({ b, c }, i) => {
            view.setInt16(i * 6, b);
            view.setInt32(i * 6 + 2, c);
            want.set(b, (want.get(b) ?? 0) + c);
          });
          h.add(bytes);
        }
        const got = h.buckets();
        expect(got).toEqual([...want].sort((a, b) => a[0] - b[0]).map(([b, c]) => ({ b, c })));
      }),
      { numRuns: 200 },
    );
  });

  it('when packed values of both widths are read, then they come back in order, float4 rounded', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -10, max: 5000, noNaN: true }), { maxLength: 50 }), (values) => {
        const f4 = new Uint8Array(values.length * 4);
        const f8 = new Uint8Array(values.length * 8);
        values.forEach((v, i) => {
          new DataView(f4.buffer).setFloat32(i * 4, v);
          new DataView(f8.buffer).setFloat64(i * 8, v);
        });
        // A part that is a view into a larger buffer (as a driver may hand it) reads from its own offset.
        const padded = new Uint8Array(f8.length + 3);
        padded.set(f8, 3);
        const got = unpackValues([
          { bytes: f4, width: 4 },
          { bytes: padded.subarray(3), width: 8 },
        ]);
        expect(Array.from(got)).toEqual([...values.map(Math.fround), ...values]);
      }),
      { numRuns: 200 },
    );
  });

  it('when percentileCont is asked, then it interpolates as PostgreSQL does', () => {
    expect(percentileCont(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2.5);
    expect(percentileCont(Float64Array.from([1, 2, 3, 4, 10]), 0.9)).toBeCloseTo(7.6);
    expect(percentileCont(new Float64Array(0), 0.5)).toBeNull();
    expect(sketchQuantile([], 0.5)).toBeNull();
  });
});
