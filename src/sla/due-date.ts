/**
 * Due dates from a response level (issue #6). Semantics:
 * - `hours`: elapsed real time (24 hours across a DST change is 24 real hours).
 * - `calendar_days`: N days later at the same local wall-clock time (a time that does not exist that day
 *   moves forward); a fraction of a day is 24-hour parts added after.
 * - `business_hours`: hours counted only inside working intervals, skipping days off and holidays; a
 *   request arriving outside working time starts counting at the next working instant, and the due time
 *   is always inside a working interval or exactly at its end.
 * - `business_days`: the local day of arrival is day 0, whatever it is (a working day, after its close, a
 *   weekend or a holiday); the request is due at close of business of the Nth working day after day 0
 *   (city practice: "3 business days" from a Monday means Thursday close; 1 business day from a Saturday,
 *   or from a Friday evening, means Monday close). A fraction is that share of a working day, in business
 *   hours, after the whole days: after N whole days, a share of the next working day counted from its
 *   opening; under one day, a share of the arrival day's length counted from the arrival (or of the first
 *   working day's length from its opening when the arrival day has no working time left), never past the
 *   close of the first working day after day 0 (where 1 business day ends). So the due time never
 *   decreases as N grows, and N + 1 days end strictly after N.
 * - Pauses (waiting on the resident) push the due time later by the paused time measured in the level's
 *   own clock: business time for business units, real time otherwise. An open pause counts up to `now`.
 * - A due time must fall within 20 years (MAX_DAYS local days from the day of arrival, pauses counted
 *   from the due time): one that does not is unreachable (`UnreachableDueDate`; `dueDateOrNull` answers
 *   null), which a calendar with almost no working time and a long level can be. The admin API refuses
 *   such a level or calendar (`levelProblem`); intake and recomputation give no due date instead.
 * Days are walked one by one (never minute by minute), and whole weeks without a holiday or a DST change
 * are taken in one step (`plainWeek`), so a level's cost grows with its holidays, not its length.
 */
import { DateTime } from 'luxon';
import {
  dayAfter,
  dayContaining,
  plainWeek,
  weeklyWorkingTime,
  type BusinessCalendar,
  type CalendarDay,
  type ResponseLevel,
} from './business-calendar';

const HOUR = 3_600_000;
const MAX_DAYS = 366 * 20;

/** A due time that the business calendar does not reach within 20 years. */
export class UnreachableDueDate extends RangeError {
  constructor() {
    super('The business calendar has no working time within 20 years.');
    this.name = 'UnreachableDueDate';
  }
}

export interface Pause {
  from: Date;
  to: Date | null;
}

/** Adds `ms` of working time to `startMs`. */
export function addBusinessMs(startMs: number, ms: number, cal: BusinessCalendar): number {
  let day = dayContaining(cal, startMs);
  let left = ms;
  for (let i = 0; i < MAX_DAYS;) {
    if (left > 0 && day.start >= startMs) {
      // Whole plain weeks that end before the time is used up (strictly: a due time at a week's last
      // close is found by the walk) are one step each. Past the horizon they end the loop as the walk would.
      let at = day.start;
      for (let week = plainWeek(cal, at); week && left > week.ms && i < MAX_DAYS; week = plainWeek(cal, at)) {
        left -= week.ms;
        i += 7;
        at = week.next;
      }
      if (at !== day.start) {
        day = dayContaining(cal, at);
        continue;
      }
    }
    for (const [a, b] of day.intervals) {
      const from = Math.max(a, startMs);
      if (from >= b) continue;
      if (left <= 0) return from; // the next working instant
      if (from + left <= b) return from + left;
      left -= b - from;
    }
    i += 1;
    day = dayAfter(cal, day);
  }
  throw new UnreachableDueDate();
}

/** Working time between two instants. */
export function businessMsBetween(fromMs: number, toMs: number, cal: BusinessCalendar): number {
  if (toMs <= fromMs) return 0;
  let total = 0;
  let day = dayContaining(cal, fromMs);
  for (let i = 0; i < MAX_DAYS && day.start < toMs;) {
    if (day.start >= fromMs) {
      let at = day.start;
      for (
        let week = plainWeek(cal, at);
        week && week.next <= toMs && i + 7 <= MAX_DAYS;
        week = plainWeek(cal, at)
      ) {
        total += week.ms;
        i += 7;
        at = week.next;
      }
      if (at !== day.start) {
        day = dayContaining(cal, at);
        continue;
      }
    }
    for (const [a, b] of day.intervals) total += Math.max(0, Math.min(b, toMs) - Math.max(a, fromMs));
    i += 1;
    day = dayAfter(cal, day);
  }
  return total;
}

/** The first working day (one with working time) after `day`. */
function nextWorkingDay(cal: BusinessCalendar, day: CalendarDay): CalendarDay {
  let next = dayAfter(cal, day);
  for (let i = 0; next.length === 0; i += 1, next = dayAfter(cal, next))
    if (i >= MAX_DAYS) throw new UnreachableDueDate();
  return next;
}

/** The close of business of a working day: the end of its last interval. */
const closeOf = (day: CalendarDay): number => (day.intervals.at(-1) as [number, number])[1];

function businessDays(startMs: number, value: number, cal: BusinessCalendar): number {
  const whole = Math.floor(value);
  const fraction = value - whole;
  // Day 0 is the local day of arrival, whatever it is: the Nth working day after it closes N days.
  // (Taking the next working day as day 0 when the arrival day had no working time left counted that
  // day twice: 1 business day from a Friday evening or a Saturday ended on Tuesday, while half a day
  // ended on Monday.)
  const arrival = dayContaining(cal, startMs);
  if (whole === 0) {
    const last = arrival.intervals.at(-1);
    const today = last !== undefined && startMs < last[1]; // working time is left on the arrival day
    const day = today ? arrival : nextWorkingDay(cal, arrival);
    const from = Math.max(startMs, (day.intervals[0] as [number, number])[0]);
    if (fraction === 0) return addBusinessMs(from, 0, cal); // the next working instant
    const due = addBusinessMs(from, fraction * day.length, cal);
    // Less than a day never ends after one whole day (the next working day may be shorter than today).
    return Math.min(due, closeOf(today ? nextWorkingDay(cal, arrival) : day));
  }
  // The whole-th working day after day 0, plain weeks taken in one step while more days are left than
  // the week holds (so the last one is found by the walk); within MAX_DAYS days of day 0.
  let day = dayAfter(cal, arrival);
  let counted = 0;
  for (let i = 1; ;) {
    if (i >= MAX_DAYS) throw new UnreachableDueDate();
    let at = day.start;
    for (
      let week = plainWeek(cal, at);
      week && counted + week.days < whole && i < MAX_DAYS;
      week = plainWeek(cal, at)
    ) {
      counted += week.days;
      i += 7;
      at = week.next;
    }
    if (at !== day.start) {
      day = dayContaining(cal, at);
      continue;
    }
    if (day.length > 0) {
      counted += 1;
      if (counted === whole) break;
    }
    i += 1;
    day = dayAfter(cal, day);
  }
  const close = closeOf(day);
  if (fraction === 0) return close;
  return addBusinessMs(close, fraction * nextWorkingDay(cal, day).length, cal);
}

function calendarDays(startMs: number, value: number, cal: BusinessCalendar): number {
  const whole = Math.floor(value);
  const rest = (value - whole) * 24 * HOUR;
  // Same wall-clock time N local days on: walk the memoised days, exact when neither the first nor the
  // last day is a DST change (23 or 25 hours long); luxon works out those.
  // Many days: luxon at once (what the walk below gives, as it says, without walking).
  if (whole > 62)
    return DateTime.fromMillis(startMs, { zone: cal.timeZone }).plus({ days: whole }).toMillis() + rest;
  const first = dayContaining(cal, startMs);
  let day = first;
  for (let i = 0; i < whole && i < MAX_DAYS; i += 1) day = dayAfter(cal, day);
  if (first.next - first.start === 24 * HOUR && day.next - day.start === 24 * HOUR)
    return day.start + (startMs - first.start) + rest;
  const start = DateTime.fromMillis(startMs, { zone: cal.timeZone });
  return start.plus({ days: whole }).toMillis() + rest;
}

function dueWithoutPauses(startMs: number, level: ResponseLevel, cal: BusinessCalendar): number {
  switch (level.unit) {
    case 'hours':
      return startMs + level.value * HOUR;
    case 'calendar_days':
      return calendarDays(startMs, level.value, cal);
    case 'business_hours':
      return addBusinessMs(startMs, level.value * HOUR, cal);
    case 'business_days':
      return businessDays(startMs, level.value, cal);
  }
}

export function computeDueDate(
  start: Date,
  level: ResponseLevel,
  cal: BusinessCalendar,
  pauses: Pause[] = [],
  now: Date = new Date(),
): Date {
  if (!Number.isFinite(level.value) || level.value < 0)
    throw new RangeError(`A response level must be a finite number of at least 0 (got ${level.value}).`);
  const due = dueWithoutPauses(start.getTime(), level, cal);
  const business = level.unit === 'business_hours' || level.unit === 'business_days';
  let paused = 0;
  for (const p of pauses) {
    const from = Math.max(p.from.getTime(), start.getTime());
    const to = (p.to ?? now).getTime();
    if (to > from) paused += business ? businessMsBetween(from, to, cal) : to - from;
  }
  if (paused === 0) return new Date(due);
  return new Date(business ? addBusinessMs(due, paused, cal) : due + paused);
}

/** computeDueDate, or null when the calendar does not reach the due time within 20 years. */
export function dueDateOrNull(
  start: Date,
  level: ResponseLevel,
  cal: BusinessCalendar,
  pauses: Pause[],
  now: Date,
): Date | null {
  try {
    return computeDueDate(start, level, cal, pauses, now);
  } catch (err) {
    if (err instanceof UnreachableDueDate) return null;
    throw err;
  }
}

/**
 * Why `level` cannot be used on `cal` (a request arriving at `at` would have no due time within 20
 * years), or null when it can: what the admin API says when it refuses a level or a calendar.
 */
export function levelProblem(level: ResponseLevel, cal: BusinessCalendar, at: Date): string | null {
  if (dueDateOrNull(at, level, cal, [], at) !== null) return null;
  return (
    `${level.value} ${level.unit} cannot be reached on the business calendar: a request made now would ` +
    `not be due within 20 years (the calendar has ${weeklyWorkingTime(cal)} of working time a week).`
  );
}
