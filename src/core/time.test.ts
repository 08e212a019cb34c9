import fc from 'fast-check';
import { DateTime } from 'luxon';
import { formatDateTime, parseDateTime } from './time';

const ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/St_Johns',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Europe/London',
  'UTC',
  'Pacific/Chatham',
];

describe('formatDateTime', () => {
  it('when Boston switches to and from daylight time, then the offset follows', () => {
    expect(formatDateTime(new Date('2026-03-08T06:59:59Z'), 'America/New_York')).toBe(
      '2026-03-08T01:59:59-05:00',
    );
    expect(formatDateTime(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toBe(
      '2026-03-08T03:00:00-04:00',
    );
    expect(formatDateTime(new Date('2026-11-01T05:59:59.999Z'), 'America/New_York')).toBe(
      '2026-11-01T01:59:59-04:00',
    );
    expect(formatDateTime(new Date('2026-11-01T06:00:00Z'), 'America/New_York')).toBe(
      '2026-11-01T01:00:00-05:00',
    );
    expect(formatDateTime(null, 'UTC')).toBeNull();
  });

  it('when any instant is formatted in any zone, then it equals luxon and parses back to the same second', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('1990-01-01'), max: Date.parse('2060-01-01') }),
        fc.constantFrom(...ZONES),
        (ms, zone) => {
          const text = formatDateTime(new Date(ms), zone);
          // luxon writes UTC as Z; we always write a numeric offset (+00:00), as OPEN311.md asks.
          const expected = DateTime.fromMillis(ms, { zone })
            .startOf('second')
            .toISO({ suppressMilliseconds: true })
            ?.replace(/Z$/, '+00:00');
          expect(text).toBe(expected);
          expect(parseDateTime(text as string, 'UTC')?.getTime()).toBe(Math.floor(ms / 1000) * 1000);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("when a zone changes offset off the quarter-hour (St John's, 00:01 in 1996), then both sides are right", () => {
    // fast-check found this: the change happened at 00:01 local, inside a cached quarter-hour.
    expect(formatDateTime(new Date(846383460000), 'America/St_Johns')).toBe('1996-10-26T23:01:00-03:30');
    expect(formatDateTime(new Date(846383460000 - 120_000), 'America/St_Johns')).toBe(
      '1996-10-26T23:59:00-02:30',
    );
  });

  it('when a datetime has a year no column holds (fast-check found -1742990101), then it is not a datetime', () => {
    expect(parseDateTime('-1742990101', 'UTC')).toBeNull();
    expect(parseDateTime('+275760-09-13T00:00:00Z', 'UTC')).toBeNull();
    expect(parseDateTime('9999-12-31T23:59:59Z', 'UTC')?.toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });

  it('when the offset is beyond ±14:00 (no zone on Earth uses one), then it is not a datetime', () => {
    for (const offset of ['+99:00', '-14:01', '+1500', '+15', '-23:59'])
      expect(parseDateTime(`2026-11-01T00:00:00${offset}`, 'America/New_York')).toBeNull();
    expect(parseDateTime('2026-11-01T00:00:00+14:00', 'UTC')?.toISOString()).toBe('2026-10-31T10:00:00.000Z');
    expect(parseDateTime('2026-11-01T00:00:00-12:00', 'UTC')?.toISOString()).toBe('2026-11-01T12:00:00.000Z');
    // Without an offset, the jurisdiction's zone (whatever its offset) still reads it.
    expect(parseDateTime('2026-11-01T12:00:00', 'Pacific/Kiritimati')?.toISOString()).toBe(
      '2026-10-31T22:00:00.000Z',
    );
  });
});
