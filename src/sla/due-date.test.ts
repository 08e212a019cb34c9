import fc from 'fast-check';
import { DateTime } from 'luxon';
import { defaultCalendar, isWorkingTime, validateCalendar, type BusinessCalendar } from './business-calendar';
import { businessMsBetween, computeDueDate } from './due-date';
import { intervalsOn } from './business-calendar';
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
    ['2026-11-23T18:00', 1, 'business_days', '2026-11-24T17:00'], // after close: Monday is still day 0
    ['2026-11-23T07:00', 1, 'business_days', '2026-11-24T17:00'], // before opening: Monday is day 0
    ['2026-11-21T10:00', 1, 'business_days', '2026-11-23T17:00'], // Saturday: Monday close
    ['2026-11-20T18:00', 1, 'business_days', '2026-11-23T17:00'], // Friday evening: Monday close
    ['2026-11-21T10:00', 0.5, 'business_days', '2026-11-23T12:30'], // Saturday: half of Monday
    ['2026-11-21T10:00', 1.5, 'business_days', '2026-11-24T12:30'], // Saturday: Monday and half of Tuesday
    ['2026-11-25T18:00', 1, 'business_days', '2026-11-27T17:00'], // Wednesday evening, Thanksgiving skipped
    ['2026-11-26T10:00', 1, 'business_days', '2026-11-27T17:00'], // on Thanksgiving: Friday close
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

// ---- business days: what "N business days" means (issue L18) ----

/** A calendar from validateCalendar (the admin API's check), throwing on a mistake in the test. */
function calendarOf(
  timeZone: string,
  workingHours: Record<string, Array<{ start: string; end: string }>>,
  holidays: string[] = [],
): BusinessCalendar {
  const r = validateCalendar({ timeZone, workingHours, holidays });
  if (!r.ok) throw new Error(r.errors.join(' '));
  return r.value;
}

const INDY = 'America/Indiana/Indianapolis';
const MONDAYS_ONLY = calendarOf(INDY, { '1': [{ start: '08:00', end: '17:00' }] });
const NINE_TO_FIVE = [{ start: '09:00', end: '17:00' }];
const WEEKDAYS_9_17 = calendarOf(
  'America/New_York',
  { '1': NINE_TO_FIVE, '2': NINE_TO_FIVE, '3': NINE_TO_FIVE, '4': NINE_TO_FIVE, '5': NINE_TO_FIVE },
  usFederalHolidays(2026).concat(usFederalHolidays(2027)),
);

describe('business days', () => {
  it.each([
    [0.5, '2026-12-07T12:30'],
    [1, '2026-12-07T17:00'], // was Mon 14 Dec: the first Monday was counted as day 0
    [1.5, '2026-12-14T12:30'],
    [2, '2026-12-14T17:00'],
  ])(
    'when only Monday 08:00-17:00 works and a request comes on Friday, then %s business days end %s',
    (value, expected) => {
      const friday = at('2026-12-04T10:00', INDY);
      expect(local(computeDueDate(friday, { value, unit: 'business_days' }, MONDAYS_ONLY), INDY)).toBe(
        expected,
      );
    },
  );

  it('when the next working day is shorter than the time already worked today, then under one day never ends after one day', () => {
    // Monday 08:00-16:00 (8 h), Tuesday 08:00-10:00 (2 h). From Monday 15:00, 0.9 days is 7.2 business
    // hours, which would reach Wednesday; one whole day ends at Tuesday 10:00.
    const cal = calendarOf('America/New_York', {
      '1': [{ start: '08:00', end: '16:00' }],
      '2': [{ start: '08:00', end: '10:00' }],
    });
    const monday = at('2026-11-23T15:00');
    const one = computeDueDate(monday, { value: 1, unit: 'business_days' }, cal);
    const almost = computeDueDate(monday, { value: 0.9, unit: 'business_days' }, cal);
    expect(local(one)).toBe('2026-11-24T10:00');
    expect(almost.getTime()).toBeLessThanOrEqual(one.getTime());
  });
});

const minutes = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
/** A day's intervals: up to two, on 15-minute marks, sorted and not overlapping (they may touch). */
const dayHours = fc.uniqueArray(fc.integer({ min: 0, max: 96 }), { maxLength: 4 }).map((marks) => {
  const m = [...marks].sort((a, b) => a - b);
  const out: Array<{ start: string; end: string }> = [];
  for (let i = 0; i + 1 < m.length; i += 2)
    out.push({ start: minutes((m[i] as number) * 15), end: minutes((m[i + 1] as number) * 15) });
  return out;
});
const anyCalendar: fc.Arbitrary<BusinessCalendar> = fc
  .record({
    zone: fc.constantFrom('America/New_York', INDY, 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe'),
    week: fc.array(dayHours, { minLength: 7, maxLength: 7 }),
    holidays: fc.uniqueArray(
      fc
        .integer({ min: 0, max: 4 * 366 })
        .map((d) => DateTime.fromISO('2025-01-01', { zone: 'UTC' }).plus({ days: d }).toISODate() as string),
      { maxLength: 40 },
    ),
  })
  .filter(({ week }) => week.some((d) => d.length > 0))
  .map(({ zone, week, holidays }) =>
    calendarOf(zone, Object.fromEntries(week.map((d, i) => [String(i + 1), d])), holidays),
  );
const businessDaysValue = fc.oneof(
  fc.integer({ min: 0, max: 12 }),
  fc.double({ min: 0, max: 12, noNaN: true }),
  fc.integer({ min: 0, max: 47 }).map((q) => q / 4),
);
const due = (s: Date, value: number, cal: BusinessCalendar) =>
  computeDueDate(s, { value, unit: 'business_days' }, cal).getTime();

/** Close of business of the Nth working day after the local day of `s`, walked with luxon alone. */
function closeOfNthWorkingDay(s: Date, n: number, cal: BusinessCalendar): number {
  const holidays = new Set(cal.holidays);
  let day = DateTime.fromJSDate(s, { zone: cal.timeZone }).startOf('day');
  for (let counted = 0; ;) {
    day = day.plus({ days: 1 });
    const intervals = intervalsOn(day, cal, holidays);
    if (intervals.length > 0 && (counted += 1) === n) return (intervals.at(-1) as [number, number])[1];
  }
}

describe('business days: properties', () => {
  it('when N grows, then the due time never decreases (any calendar, any arrival)', () => {
    fc.assert(
      fc.property(start, businessDaysValue, businessDaysValue, anyCalendar, (s, a, b, cal) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(due(s, hi, cal)).toBeGreaterThanOrEqual(due(s, lo, cal));
      }),
      { numRuns: 150 },
    );
  });

  it('when one business day more is given, then the due time is strictly later', () => {
    fc.assert(
      fc.property(start, businessDaysValue, anyCalendar, (s, v, cal) => {
        expect(due(s, v + 1, cal)).toBeGreaterThan(due(s, v, cal));
      }),
      { numRuns: 150 },
    );
  });

  it('when business days are added, then the due time is inside working time or exactly at a closing time', () => {
    fc.assert(
      fc.property(start, businessDaysValue, anyCalendar, (s, v, cal) => {
        const d = new Date(due(s, v, cal));
        expect(isWorkingTime(d, cal) || isWorkingTime(new Date(d.getTime() - 1), cal)).toBe(true);
        expect(d.getTime()).toBeGreaterThanOrEqual(s.getTime());
      }),
      { numRuns: 150 },
    );
  });

  it('when N whole business days are added, then the request is due at close of the Nth working day after the day of arrival', () => {
    fc.assert(
      fc.property(start, fc.integer({ min: 1, max: 12 }), anyCalendar, (s, n, cal) => {
        expect(due(s, n, cal)).toBe(closeOfNthWorkingDay(s, n, cal));
      }),
      { numRuns: 150 },
    );
  });

  it('when a fraction is added to N whole days, then the due time lies within the next working day', () => {
    fc.assert(
      fc.property(
        start,
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        anyCalendar,
        (s, n, f, cal) => {
          const d = due(s, n + f, cal);
          expect(d).toBeGreaterThan(closeOfNthWorkingDay(s, n, cal));
          expect(d).toBeLessThanOrEqual(closeOfNthWorkingDay(s, n + 1, cal));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('when the calendar is Mon-Fri 09:00-17:00 and a request comes in working hours, then N whole days end at 17:00 on the date N working days later', () => {
    const zone = WEEKDAYS_9_17.timeZone;
    const holidays = new Set(WEEKDAYS_9_17.holidays);
    const inHours = fc
      .record({
        day: fc.integer({ min: 0, max: 600 }),
        minute: fc.integer({ min: 9 * 60, max: 17 * 60 - 1 }),
      })
      .map(({ day, minute }) =>
        DateTime.fromISO('2026-01-01T00:00', { zone })
          .plus({ days: day })
          .set({ hour: 0 })
          .plus({ minutes: minute }),
      )
      .filter((d) => d.weekday <= 5 && !holidays.has(d.toISODate() as string));
    fc.assert(
      fc.property(inHours, fc.integer({ min: 1, max: 20 }), (arrival, n) => {
        let day = arrival.startOf('day');
        for (let counted = 0; counted < n;) {
          day = day.plus({ days: 1 });
          if (day.weekday <= 5 && !holidays.has(day.toISODate() as string)) counted += 1;
        }
        const d = DateTime.fromMillis(due(arrival.toJSDate(), n, WEEKDAYS_9_17), { zone });
        expect(d.toFormat("yyyy-MM-dd'T'HH:mm")).toBe(`${day.toISODate() as string}T17:00`);
        // The same share of a day later is the same time of day, inside working hours.
        expect(businessMsBetween(arrival.toMillis(), d.toMillis(), WEEKDAYS_9_17)).toBe(
          (n * 8 * 60 + 17 * 60 - (arrival.hour * 60 + arrival.minute)) * 60_000,
        );
      }),
      { numRuns: 200 },
    );
  });
});
