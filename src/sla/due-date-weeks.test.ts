/**
 * Whole weeks taken in one step (plainWeek) give what the day-by-day walk gives. The reference below is
 * the walk as it was before weeks were skipped (one local day at a time, memoised days only), compared
 * on random calendars (zones with and without DST, odd offsets, intervals around the DST hour and up to
 * 24:00), random holidays and random levels.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  dayAfter,
  dayContaining,
  validateCalendar,
  type BusinessCalendar,
  type CalendarDay,
} from './business-calendar';
import {
  addBusinessMs,
  businessMsBetween,
  computeDueDate,
  dueDateOrNull,
  levelProblem,
  UnreachableDueDate,
} from './due-date';

const HOUR = 3_600_000;
const MAX_DAYS = 366 * 20;

function refAddBusinessMs(startMs: number, ms: number, cal: BusinessCalendar): number {
  let day = dayContaining(cal, startMs);
  let left = ms;
  for (let i = 0; i < MAX_DAYS; i += 1, day = dayAfter(cal, day)) {
    for (const [a, b] of day.intervals) {
      const from = Math.max(a, startMs);
      if (from >= b) continue;
      if (left <= 0) return from;
      if (from + left <= b) return from + left;
      left -= b - from;
    }
  }
  throw new RangeError('unreachable');
}

function refBusinessMsBetween(fromMs: number, toMs: number, cal: BusinessCalendar): number {
  if (toMs <= fromMs) return 0;
  let total = 0;
  let day = dayContaining(cal, fromMs);
  for (let i = 0; i < MAX_DAYS && day.start < toMs; i += 1, day = dayAfter(cal, day)) {
    for (const [a, b] of day.intervals) total += Math.max(0, Math.min(b, toMs) - Math.max(a, fromMs));
  }
  return total;
}

function refNextWorkingDay(cal: BusinessCalendar, day: CalendarDay): CalendarDay {
  let next = dayAfter(cal, day);
  for (let i = 0; next.length === 0; i += 1, next = dayAfter(cal, next))
    if (i >= MAX_DAYS) throw new RangeError('unreachable');
  return next;
}

/** The whole-days part of business_days as it was: the Nth working day after day 0, closed. */
function refBusinessDays(startMs: number, value: number, cal: BusinessCalendar): number {
  const whole = Math.floor(value);
  const fraction = value - whole;
  let day = dayContaining(cal, startMs);
  for (let counted = 0; counted < whole; counted += 1) day = refNextWorkingDay(cal, day);
  const close = (day.intervals.at(-1) as [number, number])[1];
  if (fraction === 0) return close;
  return refAddBusinessMs(close, fraction * refNextWorkingDay(cal, day).length, cal);
}

function refCalendarDays(startMs: number, value: number, cal: BusinessCalendar): number {
  const whole = Math.floor(value);
  const rest = (value - whole) * 24 * HOUR;
  const first = dayContaining(cal, startMs);
  let day = first;
  for (let i = 0; i < whole && i < MAX_DAYS; i += 1) day = dayAfter(cal, day);
  if (first.next - first.start === 24 * HOUR && day.next - day.start === 24 * HOUR)
    return day.start + (startMs - first.start) + rest;
  return DateTime.fromMillis(startMs, { zone: cal.timeZone }).plus({ days: whole }).toMillis() + rest;
}

const ZONES = [
  'America/New_York',
  'Europe/London',
  'Australia/Lord_Howe', // a 30-minute DST change
  'America/St_Johns',
  'Asia/Kolkata',
  'UTC',
  'Pacific/Chatham',
  'America/Santiago', // changes at midnight: some days start at 01:00
  'America/Havana',
];
const hhmm = (m: number) =>
  m === 1440 ? '24:00' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** 0 to 2 intervals a weekday, on quarter hours (00:00-03:00 included, where DST changes happen). */
const dayIntervals = fc
  .uniqueArray(fc.integer({ min: 0, max: 96 }), { minLength: 0, maxLength: 4 })
  .map((qs) => {
    const sorted = [...qs].sort((a, b) => a - b);
    const out: Array<{ start: string; end: string }> = [];
    for (let i = 0; i + 1 < sorted.length; i += 2)
      out.push({ start: hhmm((sorted[i] as number) * 15), end: hhmm((sorted[i + 1] as number) * 15) });
    return out;
  });

const calendarArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    days: fc.array(dayIntervals, { minLength: 7, maxLength: 7 }),
    holidays: fc.uniqueArray(
      fc
        .integer({ min: 0, max: 365 * 6 })
        .map((d) => DateTime.fromISO('2025-01-01', { zone: 'UTC' }).plus({ days: d }).toISODate()),
      { maxLength: 120 },
    ),
  })
  .map(({ zone, days, holidays }) => {
    const workingHours = Object.fromEntries(days.map((list, i) => [String(i + 1), list]));
    if (days.every((l) => l.length === 0)) workingHours['3'] = [{ start: '09:00', end: '09:15' }];
    const checked = validateCalendar({ timeZone: zone, workingHours, holidays });
    if (!checked.ok) throw new Error(checked.errors.join(' '));
    return checked.value;
  });

// 2025-01-01 .. 2027-12-31, to the minute.
const startArb = fc.integer({ min: 0, max: 3 * 365 * 1440 }).map((m) => Date.UTC(2025, 0, 1) + m * 60_000);

/** Both throw (unreachable) or both give the same instant. */
function same(actual: () => number, expected: () => number): void {
  let want: number | 'unreachable';
  try {
    want = expected();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    want = 'unreachable';
  }
  let got: number | 'unreachable';
  try {
    got = actual();
  } catch (err) {
    if (!(err instanceof UnreachableDueDate)) throw err;
    got = 'unreachable';
  }
  expect(got).toBe(want);
}

describe('whole weeks in one step give what the day-by-day walk gives', () => {
  it('when business time is added on a random calendar, then the instant is the walk’s', () => {
    fc.assert(
      fc.property(calendarArb, startArb, fc.integer({ min: 0, max: 400 * 60 }), (cal, start, minutes) => {
        same(
          () => addBusinessMs(start, minutes * 60_000, cal),
          () => refAddBusinessMs(start, minutes * 60_000, cal),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('when business time between two instants is measured, then it is the walk’s', () => {
    fc.assert(
      fc.property(calendarArb, startArb, fc.integer({ min: 0, max: 800 * 1440 }), (cal, from, minutes) => {
        expect(businessMsBetween(from, from + minutes * 60_000, cal)).toBe(
          refBusinessMsBetween(from, from + minutes * 60_000, cal),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('when business days are counted, then the close is the walk’s (or both are past 20 years)', () => {
    fc.assert(
      fc.property(
        calendarArb,
        startArb,
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom(0, 0.25, 0.5),
        (cal, start, whole, fraction) => {
          const level = { value: whole + fraction, unit: 'business_days' as const };
          const got = dueDateOrNull(new Date(start), level, cal, [], new Date(start));
          let want: number | null;
          try {
            want = refBusinessDays(start, whole + fraction, cal);
          } catch {
            want = null;
          }
          // The walk counted 20 years per working day; now a due time past 20 years is unreachable.
          if (got === null) expect(want === null || want - start > 19.9 * 365 * 86_400_000).toBe(true);
          else expect(got.getTime()).toBe(want);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('when calendar days are added, then the instant is the walk’s', () => {
    fc.assert(
      fc.property(calendarArb, startArb, fc.integer({ min: 0, max: 400 }), (cal, start, days) => {
        expect(computeDueDate(new Date(start), { value: days, unit: 'calendar_days' }, cal).getTime()).toBe(
          refCalendarDays(start, days, cal),
        );
      }),
      { numRuns: 40 },
    );
  });
});

describe('unreachable due times', () => {
  const minuteAWeek = validateCalendar({
    timeZone: 'America/Indiana/Indianapolis',
    workingHours: { '1': [{ start: '08:00', end: '08:01' }] },
    holidays: [],
  });
  if (!minuteAWeek.ok) throw new Error('calendar');
  const cal = minuteAWeek.value;
  const now = new Date('2026-12-07T15:00:00Z');

  it('when a calendar has one minute a week and the level is long, then no due date and a reason', () => {
    expect(() => computeDueDate(now, { value: 3650, unit: 'business_hours' }, cal)).toThrow(
      UnreachableDueDate,
    );
    expect(dueDateOrNull(now, { value: 3650, unit: 'business_hours' }, cal, [], now)).toBeNull();
    expect(dueDateOrNull(now, { value: 3650, unit: 'business_days' }, cal, [], now)).toBeNull(); // 70 years of Mondays
    expect(levelProblem({ value: 3650, unit: 'business_hours' }, cal, now)).toMatch(
      /3650 business_hours cannot be reached .* 1 minute of working time a week/,
    );
    // 17 hours of Monday minutes fit in 20 years; hours and calendar days never depend on the calendar.
    expect(levelProblem({ value: 17, unit: 'business_hours' }, cal, now)).toBeNull();
    expect(levelProblem({ value: 3650, unit: 'calendar_days' }, cal, now)).toBeNull();
    expect(levelProblem({ value: 3650, unit: 'hours' }, cal, now)).toBeNull();
  });

  it('when a long level is computed, then it costs weeks, not days (few days are worked out one by one)', () => {
    // Each day walked one by one reads the weekday's working hours once (intervalsOn); whole weeks don't.
    let reads = 0;
    const hours = Object.fromEntries(
      ['1', '2', '3', '4', '5', '6', '7'].map((d) => [
        d,
        Number(d) <= 5 ? [{ start: '08:00', end: '17:00' }] : [],
      ]),
    );
    const counted = new Proxy(hours, {
      get: (target, key) => {
        reads += 1;
        return Reflect.get(target, key) as unknown;
      },
    });
    const cal = { timeZone: 'America/New_York', workingHours: counted, holidays: ['2030-07-04'] };
    computeDueDate(now, { value: 3650, unit: 'business_days' }, cal);
    computeDueDate(now, { value: 3650, unit: 'business_hours' }, { ...cal });
    // The day-by-day walk read about 5,100 + 2,840 days; only weeks with a DST change are walked.
    expect(reads).toBeLessThan(1_000);
  });
});
