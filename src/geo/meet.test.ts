import fc from 'fast-check';
import { confidentMeeting, meetings, type StreetPoint } from './meet';
import { metresBetween } from './interpolate';

/** Points along a straight street through (lat0, long0), `side` metres either side of its centreline. */
function street(lat0: number, long0: number, bearingDeg: number, from: number, to: number, zip = '02116') {
  const pts: StreetPoint[] = [];
  const b = (bearingDeg * Math.PI) / 180;
  const mLat = 1 / 111_195;
  const mLong = mLat / Math.cos((lat0 * Math.PI) / 180);
  for (let s = from; s <= to; s += 20)
    for (const side of [-12, 12]) {
      const x = s * Math.sin(b) + side * Math.cos(b);
      const y = s * Math.cos(b) - side * Math.sin(b);
      pts.push({ lat: lat0 + y * mLat, long: long0 + x * mLong, zip });
    }
  return pts;
}

describe('meetings', () => {
  const corner = { lat: 42.3501, long: -71.0773 };

  it('when two streets cross with no point at the corner, then the fitted lines find the crossing', () => {
    const a = street(corner.lat, corner.long, 60, -300, 300).filter((p) => metresBetween(p, corner) > 40);
    const b = street(corner.lat, corner.long, 150, -300, 300).filter((p) => metresBetween(p, corner) > 40);
    const [m, ...more] = meetings(a, b);
    expect(more).toEqual([]);
    expect(m?.refined).toBe(true);
    expect(metresBetween(m as StreetPoint, corner)).toBeLessThan(10);
  });

  it('when a street ends at another (a T), then the meeting is at the end', () => {
    const a = street(corner.lat, corner.long, 90, -300, 300);
    const b = street(corner.lat, corner.long, 0, 30, 400);
    const [m] = meetings(a, b);
    expect(metresBetween(m as StreetPoint, corner)).toBeLessThan(30);
  });

  it('when two streets of one name meet another twice far apart, then both meetings come back', () => {
    const far = { lat: 42.25, long: -71.12 };
    const a = [
      ...street(corner.lat, corner.long, 0, -200, 200),
      ...street(far.lat, far.long, 0, -200, 200, '02136'),
    ];
    const b = [
      ...street(corner.lat, corner.long, 90, -200, 200),
      ...street(far.lat, far.long, 90, -200, 200, '02136'),
    ];
    const found = meetings(a, b);
    expect(found).toHaveLength(2);
    expect(found.map((f) => f.zip).sort()).toEqual(['02116', '02136']);
  });

  it('when the streets are far apart, then there is no meeting', () => {
    expect(meetings(street(42.35, -71.07, 0, 0, 100), street(42.3, -71.1, 90, 0, 100))).toEqual([]);
  });

  it('when the fitted lines cross cleanly near a close pair, then the meeting is confident', () => {
    const a = street(corner.lat, corner.long, 60, -300, 300);
    const b = street(corner.lat, corner.long, 150, -300, 300);
    const [m] = meetings(a, b);
    expect(m && confidentMeeting(m)).toBe(true);
  });

  it('when the closest points of the two streets are far apart, then the meeting is not confident', () => {
    // The second street stops 80 m short of the first: they may meet, but where is a guess.
    const a = street(corner.lat, corner.long, 90, -300, 300);
    const b = street(corner.lat, corner.long, 0, 90, 400);
    const [m] = meetings(a, b);
    expect(m).toBeDefined();
    expect(m && confidentMeeting(m)).toBe(false);
  });
});

describe('meetings: the nearest point of the other street (grid searched ring by ring)', () => {
  const p0 = { lat: 42.33, long: -71.08 };
  const pointAt = ([x, y]: [number, number]): StreetPoint => ({
    lat: p0.lat + y / 111_195,
    long: p0.long + x / (111_195 * Math.cos((p0.lat * Math.PI) / 180)),
    zip: null,
  });
  const cloud = fc.array(fc.tuple(fc.integer({ min: -600, max: 600 }), fc.integer({ min: -600, max: 600 })), {
    minLength: 1,
    maxLength: 40,
  });

  it('when any two sets of points, then the first meeting is the closest pair (within 250 m), as comparing every pair finds it', () => {
    fc.assert(
      fc.property(cloud, cloud, (xa, xb) => {
        const a = xa.map(pointAt);
        const b = xb.map(pointAt);
        const closest = Math.min(...a.flatMap((p) => b.map((q) => metresBetween(p, q))));
        const [first] = meetings(a, b);
        if (closest > 250.5) expect(first).toBeUndefined();
        else if (closest < 249.5)
          expect(Math.abs((first?.gapM ?? Infinity) - closest)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
