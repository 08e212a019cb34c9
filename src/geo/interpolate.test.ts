import fc from 'fast-check';
import { interpolate, metresBetween, type NumberedPoint } from './interpolate';

const at = (num: number, lat: number, long: number, zip: string | null = '02116'): NumberedPoint => ({
  id: String(num),
  num,
  address: `${num} Clarendon St`,
  zip,
  lat,
  long,
});

describe('interpolate', () => {
  // Clarendon St, Back Bay: odd numbers on one side, even on the other, ~8 m a number.
  const street = [
    at(261, 42.3531, -71.0759),
    at(285, 42.354, -71.0767),
    at(270, 42.3534, -71.0765),
    at(280, 42.3538, -71.0769),
  ];

  it('when a number lies between two on its side, then it is placed between them in proportion', () => {
    const r = interpolate(273, street);
    expect(r.kind).toBe('placed');
    if (r.kind !== 'placed') return;
    expect(r.from.map((p) => p.num)).toEqual([261, 285]);
    expect(r.lat).toBeCloseTo(42.3531 + 0.5 * 0.0009, 6);
  });

  it('when only the other side brackets the number, then it is placed there, less precisely', () => {
    const r = interpolate(275, [at(270, 42.3534, -71.0765), at(280, 42.3538, -71.0769)]);
    expect(r).toMatchObject({ kind: 'placed' });
    if (r.kind === 'placed') expect(r.accuracyM).toBeGreaterThanOrEqual(25);
  });

  it('when the number is just past the known ones, then it snaps; far past, it is refused', () => {
    expect(interpolate(289, street)).toMatchObject({ kind: 'placed', from: [{ num: 285 }] });
    expect(interpolate(2001, street)).toMatchObject({ kind: 'refused' });
  });

  it('when the neighbours are two stretches far apart, then nothing is placed between them', () => {
    const far = [at(10, 42.35, -71.07), at(20, 42.3, -71.1)];
    expect(interpolate(14, far).kind).toBe('refused');
  });

  it('when a zip is given, then only that zip’s numbers are used', () => {
    const two = [...street, at(271, 42.3, -71.1, '02136'), at(275, 42.3002, -71.1, '02136')];
    const r = interpolate(273, two, '02136');
    expect(r).toMatchObject({ kind: 'placed', zip: '02136' });
  });

  it('when a number lies between two known numbers on its side, then its point lies between theirs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 19 }),
        fc.double({ min: -0.0005, max: 0.0005, noNaN: true }),
        fc.double({ min: -0.0005, max: 0.0005, noNaN: true }),
        (lo, lots, k, dLat, dLong) => {
          const hi = lo + 2 * lots;
          const n = lo + 2 * Math.min(k, lots - 1);
          fc.pre(n > lo && n < hi);
          const a = at(lo, 42.35, -71.07);
          const b = at(hi, 42.35 + dLat, -71.07 + dLong);
          const r = interpolate(n, [a, b]);
          if (r.kind !== 'placed') return; // too far apart for the lots between: refused, never misplaced
          // On the segment: the two distances add up to its length.
          expect(metresBetween(a, r) + metresBetween(r, b)).toBeCloseTo(metresBetween(a, b), 3);
          expect(metresBetween(a, r)).toBeLessThanOrEqual(metresBetween(a, b) + 1e-6);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('when another stretch of the name in the same zip has numbers on both sides, then nothing is placed', () => {
    // Two Oakland Sts in one zip, ~6 km apart: 17 and 21 on each; 19 could be on either.
    const two = [
      at(17, 42.3239, -71.0905, '02119'),
      at(21, 42.324, -71.0906, '02119'),
      at(15, 42.28, -71.13, '02119'),
      at(23, 42.2801, -71.1301, '02119'),
    ];
    expect(interpolate(19, two)).toMatchObject({ kind: 'refused' });
    expect(interpolate(19, two.slice(0, 2))).toMatchObject({ kind: 'placed' });
  });

  it('when a building’s range starts with the number (273-275), then the number is placed at it', () => {
    const r = interpolate(273, [...street, at(273, 42.3537, -71.0764)]);
    // Corroborated by the other side's numbers (270 and 280 are ~25 m from it): confident.
    expect(r).toMatchObject({ kind: 'placed', lat: 42.3537, long: -71.0764, accuracyM: 15, confident: true });
    // A lettered number 150 m from where the other side (270–280) puts it: not confident.
    const far = interpolate(273, [
      at(270, 42.3534, -71.0765),
      at(280, 42.3538, -71.0769),
      at(273, 42.3549, -71.0766),
    ]);
    expect(far).toMatchObject({ kind: 'placed', confident: false });
  });
});

describe('interpolate: when an estimate is confident (calibrated on removed points)', () => {
  // Odd side ~6 m a number along a north–south street (0.000054° of latitude ≈ 6 m).
  const odd = (num: number, metresPerNumber = 5) =>
    at(num, 42.35 + ((num - 201) * metresPerNumber) / 111_195, -71.07);
  const even = (num: number, shiftM = 0) => at(num, 42.35 + ((num - 201) * 5 + shiftM) / 111_195, -71.0698);

  it('when close neighbours on its side bracket it at the usual lot size, then it is confident and precise', () => {
    const r = interpolate(205, [odd(201), odd(209), even(200), even(210)]);
    expect(r).toMatchObject({ kind: 'placed', confident: true });
    if (r.kind === 'placed') expect(r.accuracyM).toBeLessThanOrEqual(20);
  });

  it('when its neighbours are far apart for their numbers (a park, a bend), then it is only a suggestion', () => {
    // 201 and 209 are 8 numbers and 80 m apart: 10 m a number.
    const r = interpolate(205, [at(201, 42.35, -71.07), at(209, 42.35 + 80 / 111_195, -71.07)]);
    expect(r).toMatchObject({ kind: 'placed', confident: false });
  });

  it('when its neighbours are many numbers apart, then it is only a suggestion', () => {
    const r = interpolate(221, [odd(201), odd(251)]);
    expect(r).toMatchObject({ kind: 'placed', confident: false });
  });

  it('when the other side places the number far from its own side, then it is only a suggestion', () => {
    const r = interpolate(205, [odd(201), odd(209), even(200, 300), even(210, 300)]);
    expect(r).toMatchObject({ kind: 'placed', confident: false });
  });

  it('when only the other side or a snap places it, then it is never confident', () => {
    expect(interpolate(205, [even(200), even(210)])).toMatchObject({ kind: 'placed', confident: false });
    expect(interpolate(211, [odd(201), odd(209)])).toMatchObject({ kind: 'placed', confident: false });
  });

  it('when an estimate is confident, then it lies between its two neighbours on its side', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 1, max: 14 }),
        fc.double({ min: 2, max: 15, noNaN: true }),
        (k, lots, j, mpn) => {
          const lo = 2 * k + 1;
          const hi = lo + 2 * lots;
          const n = lo + 2 * Math.min(j, lots - 1);
          fc.pre(n > lo && n < hi);
          const a = odd(lo, mpn);
          const b = odd(hi, mpn);
          const r = interpolate(n, [a, b]);
          if (r.kind !== 'placed' || !r.confident) return;
          expect(metresBetween(a, r) + metresBetween(r, b)).toBeCloseTo(metresBetween(a, b), 3);
          expect(metresBetween(a, b)).toBeLessThanOrEqual(6 * (hi - lo) + 1e-6);
        },
      ),
      { numRuns: 200 },
    );
  });
});
