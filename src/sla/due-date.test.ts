import fc from 'fast-check';
import { DateTime } from 'luxon';
import { defaultCalendar, isWorkingTime, validateCalendar, type BusinessCalendar } from './business-calendar';
import { businessMsBetween, computeDueDate } from './due-date';
import { usFederalHolidays } from './us-federal-holidays';

const NY = defaultCalendar('America/New_York');
const CHI = defaultCalendar('America/Chicago');
const at = (iso: string, zone = 'America/New_York') => DateTime.fromISO(iso, { zone }).toJSDate();
const local = (d: Date, zone = 'America/New_York') =>
  DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

describe('US federal holidays', () => {
  it('when 2026 and 2027 are generated, then the observed dates are right', () => {
    expect(usFederalHolidays(2026)).toEqual([
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-09-07',
      '2026-10-12',
      '2026-11-11',
      '2026-11-26',
      '2026-12-25',
    ]);
    expect(usFederalHolidays(2027)).toEqual([
      '2027-01-01',
      '2027-01-18',
      '2027-02-15',
      '2027-05-31',
      '2027-06-18',
      '2027-07-05',
      '2027-09-06',
      '2027-10-11',
      '2027-11-11',
      '2027-11-25',
      '2027-12-24',
    ]);
  });
});

describe('computeDueDate', () => {
  it.each([
    // [start (local), value, unit, expected (local)]
    ['2026-11-20T16:30', 1, 'business_hours', '2026-11-23T08:30'], // Friday afternoon → Monday
    ['2026-11-25T16:00', 2, 'business_hours', '2026-11-27T09:00'], // across Thanksgiving
    ['2026-11-21T10:00', 1, 'business_hours', '2026-11-23T09:00'], // Saturday arrival
    ['2026-07-03T10:00', 1, 'business_hours', '2026-07-06T09:00'], // observed July 4 holiday
    ['2026-11-23T09:00', 3, 'business_days', '2026-11-27T17:00'], // Mon + 3 working days, skipping Thanksgiving
    ['2026-11-23T18:00', 1, 'business_days', '2026-11-25T17:00'], // after close: Tuesday is day 0
    ['2026-11-20T10:00', 0.5, 'business_days', '2026-11-20T14:30'], // half a day
    ['2026-03-07T12:00', 1, 'calendar_days', '2026-03-08T12:00'], // spring forward keeps wall time
    ['2026-10-31T12:00', 2, 'calendar_days', '2026-11-02T12:00'], // fall back
    ['2026-03-07T22:00', 24, 'hours', '2026-03-08T23:00'], // 24 real hours across spring forward
    ['2026-10-31T22:00', 24, 'hours', '2026-11-01T21:00'], // and across fall back
    ['2026-03-06T16:00', 2, 'business_hours', '2026-03-09T09:00'], // DST weekend in between
  ])('when %s + %s %s, then due %s (New York)', (start, value, unit, expected) => {
    expect(local(computeDueDate(at(start), { value: value as number, unit: unit as never }, NY))).toBe(
      expected,
    );
  });

  it('when the calendar is Chicago, then local hours are Chicago hours', () => {
    const due = computeDueDate(
      at('2026-11-20T16:30', 'America/Chicago'),
      { value: 1, unit: 'business_hours' },
      CHI,
    );
    expect(local(due, 'America/Chicago')).toBe('2026-11-23T08:30');
  });

  it('when working hours are split, then the lunch break is skipped', () => {
    const cal = validateCalendar({
      timeZone: 'America/New_York',
      workingHours: {
        '1': [
          { start: '08:00', end: '12:00' },
          { start: '13:00', end: '17:00' },
        ],
      },
      holidays: [],
    });
    if (!cal.ok) throw new Error(cal.errors.join());
    expect(
      local(computeDueDate(at('2026-11-23T11:00'), { value: 2, unit: 'business_hours' }, cal.value)),
    ).toBe('2026-11-23T14:00');
  });

  it('when a request waits on the resident, then business time paused is added back', () => {
    const start = at('2026-11-23T09:00');
    const pause = { from: at('2026-11-23T10:00'), to: at('2026-11-24T10:00') }; // 9 working hours (Mon 10-17, Tue 8-10)
    expect(local(computeDueDate(start, { value: 4, unit: 'business_hours' }, NY, [pause]))).toBe(
      '2026-11-24T13:00',
    );
  });

  it('when the value is negative or not a number, then RangeError', () => {
    expect(() => computeDueDate(at('2026-11-23T09:00'), { value: -1, unit: 'hours' }, NY)).toThrow(
      RangeError,
    );
    expect(() => computeDueDate(at('2026-11-23T09:00'), { value: Number.NaN, unit: 'hours' }, NY)).toThrow(
      RangeError,
    );
  });

  it('when 90 business days are asked, then the answer comes without a minute-by-minute walk', () => {
    const t0 = Date.now();
    const due = computeDueDate(at('2026-01-02T09:00'), { value: 90, unit: 'business_days' }, NY);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(local(due).slice(0, 10)).toBe('2026-05-12'); // 19 + 19 + 22 + 22 + 8 working days, MLK and Presidents' Day skipped
  });
});

describe('calendar validation', () => {
  it('when hours overlap, end before start, or the zone is unknown, then each is reported', () => {
    const r = validateCalendar({
      timeZone: 'Mars/Base',
      workingHours: {
        '1': [{ start: '09:00', end: '08:00' }],
        '2': [
          { start: '08:00', end: '12:00' },
          { start: '11:00', end: '13:00' },
        ],
      },
      holidays: ['2026-13-01'],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.length).toBe(4);
  });
});

const start = fc
  .integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2028-12-31T00:00:00Z') })
  .map((ms) => new Date(ms));
const calendar: fc.Arbitrary<BusinessCalendar> = fc.constantFrom(NY, CHI);
const unit = fc.constantFrom('hours', 'business_hours', 'business_days', 'calendar_days' as const);

describe('properties', () => {
  it('when the unit is a business unit, then the due time is inside working time or exactly at a closing time', () => {
    fc.assert(
      fc.property(
        start,
        fc.double({ min: 0.25, max: 40, noNaN: true }),
        fc.constantFrom('business_hours', 'business_days' as const),
        calendar,
        (s, v, u, cal) => {
          const due = computeDueDate(s, { value: v, unit: u }, cal);
          const justBefore = new Date(due.getTime() - 1);
          expect(isWorkingTime(due, cal) || isWorkingTime(justBefore, cal)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('when more time is given, then the due time is never earlier, and never before the start', () => {
    fc.assert(
      fc.property(
        start,
        fc.double({ min: 0, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        unit,
        calendar,
        (s, a, b, u, cal) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const d1 = computeDueDate(s, { value: lo, unit: u }, cal);
          const d2 = computeDueDate(s, { value: hi, unit: u }, cal);
          expect(d2.getTime()).toBeGreaterThanOrEqual(d1.getTime());
          expect(d1.getTime()).toBeGreaterThanOrEqual(s.getTime());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('when a request is paused, then its due time never moves earlier', () => {
    fc.assert(
      fc.property(
        start,
        fc.integer({ min: 1, max: 72 }),
        fc.integer({ min: 0, max: 96 }),
        fc.integer({ min: 1, max: 96 }),
        (s, v, offH, lenH) => {
          const from = new Date(s.getTime() + offH * 3_600_000);
          const pause = { from, to: new Date(from.getTime() + lenH * 3_600_000) };
          const plain = computeDueDate(s, { value: v, unit: 'business_hours' }, NY);
          expect(
            computeDueDate(s, { value: v, unit: 'business_hours' }, NY, [pause]).getTime(),
          ).toBeGreaterThanOrEqual(plain.getTime());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('when business hours are added, then exactly that much working time lies between start and due', () => {
    fc.assert(
      fc.property(start, fc.integer({ min: 1, max: 200 }), calendar, (s, v, cal) => {
        const due = computeDueDate(s, { value: v, unit: 'business_hours' }, cal);
        expect(businessMsBetween(s.getTime(), due.getTime(), cal)).toBe(v * 3_600_000);
      }),
      { numRuns: 150 },
    );
  });

  it('when calendar days are added (memoised walk), then the answer is the same wall time as luxon N days on', () => {
    const zones = fc.constantFrom(
      'America/New_York',
      'America/Chicago',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
    );
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2024-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom(0, 0.25, 0.5),
        zones,
        (s, whole, fraction, zone) => {
          const cal = defaultCalendar(zone);
          const due = computeDueDate(s, { value: whole + fraction, unit: 'calendar_days' }, cal);
          const expected =
            DateTime.fromJSDate(s, { zone }).plus({ days: whole }).toMillis() + fraction * 86_400_000;
          expect(due.getTime()).toBe(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
