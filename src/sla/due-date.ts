/**
 * Due dates from a response level (issue #6). Semantics:
 * - `hours`: elapsed real time (24 hours across a DST change is 24 real hours).
 * - `calendar_days`: N days later at the same local wall-clock time (a time that does not exist that day
 *   moves forward); a fraction of a day is 24-hour parts added after.
 * - `business_hours`: hours counted only inside working intervals, skipping days off and holidays; a
 *   request arriving outside working time starts counting at the next working instant, and the due time
 *   is always inside a working interval or exactly at its end.
 * - `business_days`: the day of arrival is day 0 when the request arrives on a working day before that
 *   day's last closing time (else the next working day is day 0); the request is due at close of business
 *   of the Nth working day after day 0 (city practice: "3 business days" from a Monday means Thursday
 *   close). A fraction is that share of a working day, in business hours, after the whole days.
 * - Pauses (waiting on the resident) push the due time later by the paused time measured in the level's
 *   own clock: business time for business units, real time otherwise. An open pause counts up to `now`.
 * Days are walked one by one (never minute by minute), so 90 business days cost about 130 day steps.
 */
import { DateTime } from 'luxon';
import { dayAfter, dayContaining, type BusinessCalendar, type ResponseLevel } from './business-calendar';

const HOUR = 3_600_000;
const MAX_DAYS = 366 * 20;

export interface Pause {
  from: Date;
  to: Date | null;
}

/** Adds `ms` of working time to `startMs`. */
export function addBusinessMs(startMs: number, ms: number, cal: BusinessCalendar): number {
  let day = dayContaining(cal, startMs);
  let left = ms;
  for (let i = 0; i < MAX_DAYS; i += 1, day = dayAfter(cal, day)) {
    for (const [a, b] of day.intervals) {
      const from = Math.max(a, startMs);
      if (from >= b) continue;
      if (left <= 0) return from; // the next working instant
      if (from + left <= b) return from + left;
      left -= b - from;
    }
  }
  throw new RangeError('The business calendar has no working time within 20 years.');
}

/** Working time between two instants. */
export function businessMsBetween(fromMs: number, toMs: number, cal: BusinessCalendar): number {
  if (toMs <= fromMs) return 0;
  let total = 0;
  let day = dayContaining(cal, fromMs);
  for (let i = 0; i < MAX_DAYS && day.start < toMs; i += 1, day = dayAfter(cal, day)) {
    for (const [a, b] of day.intervals) total += Math.max(0, Math.min(b, toMs) - Math.max(a, fromMs));
  }
  return total;
}

function businessDays(startMs: number, value: number, cal: BusinessCalendar): number {
  const whole = Math.floor(value);
  const fraction = value - whole;
  let day = dayContaining(cal, startMs);
  // Day 0: today if it is a working day that has not closed yet, else the next working day.
  for (let i = 0; i < MAX_DAYS; i += 1, day = dayAfter(cal, day)) {
    const last = day.intervals[day.intervals.length - 1];
    if (last && startMs < last[1]) break;
  }
  if (whole === 0) {
    const from = Math.max(startMs, day.intervals[0]?.[0] ?? startMs);
    return fraction === 0 ? addBusinessMs(from, 0, cal) : addBusinessMs(from, fraction * day.length, cal);
  }
  let counted = 0;
  while (counted < whole) {
    day = dayAfter(cal, day);
    if (day.length > 0) counted += 1;
  }
  const close = day.intervals.at(-1)?.[1] as number;
  if (fraction === 0) return close;
  let next = dayAfter(cal, day);
  while (next.length === 0) next = dayAfter(cal, next);
  return addBusinessMs(close, fraction * next.length, cal);
}

function calendarDays(startMs: number, value: number, cal: BusinessCalendar): number {
  const whole = Math.floor(value);
  const rest = (value - whole) * 24 * HOUR;
  // Same wall-clock time N local days on: walk the memoised days, exact when neither the first nor the
  // last day is a DST change (23 or 25 hours long); luxon works out those.
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
