/**
 * Business calendars: an IANA time zone, working intervals per ISO weekday (local wall-clock times, may be
 * split like 08:00-12:00 and 13:00-17:00), and holidays (local dates with no work at all).
 */
import { DateTime, IANAZone } from 'luxon';
import { isUsTimeZone, usFederalHolidaysBetween } from './us-federal-holidays';

export type SlaUnit = 'hours' | 'business_hours' | 'business_days' | 'calendar_days';
export interface ResponseLevel {
  value: number;
  unit: SlaUnit;
}
export interface WorkingInterval {
  start: string; // 'HH:mm'
  end: string; // 'HH:mm' (after start; '24:00' allowed)
}
export interface BusinessCalendar {
  timeZone: string;
  workingHours: Record<string, WorkingInterval[]>; // ISO weekday '1' (Monday) .. '7' (Sunday)
  holidays: string[]; // 'YYYY-MM-DD'
}

const WEEKDAY_HOURS: WorkingInterval[] = [{ start: '08:00', end: '17:00' }];

/**
 * The calendar of a jurisdiction that has not stored one: Monday–Friday 08:00–17:00, with the US federal
 * holidays of `years` when its time zone is a US one (`isUsTimeZone`), and no holidays elsewhere (a
 * Canadian or European city's holidays are its own: it stores them with PUT …/calendar).
 */
export function defaultCalendar(timeZone: string, years: [number, number] = [2020, 2040]): BusinessCalendar {
  return {
    timeZone,
    workingHours: {
      '1': WEEKDAY_HOURS,
      '2': WEEKDAY_HOURS,
      '3': WEEKDAY_HOURS,
      '4': WEEKDAY_HOURS,
      '5': WEEKDAY_HOURS,
      '6': [],
      '7': [],
    },
    holidays: isUsTimeZone(timeZone) ? usFederalHolidaysBetween(years[0], years[1]) : [],
  };
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const WEEKDAYS = ['1', '2', '3', '4', '5', '6', '7'];
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function validateCalendar(
  input: unknown,
): { ok: true; value: BusinessCalendar } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const c = (input ?? {}) as Record<string, unknown>;
  const timeZone = typeof c.timeZone === 'string' ? c.timeZone : '';
  if (!DateTime.local().setZone(timeZone).isValid)
    errors.push(`timeZone "${timeZone}" is not an IANA time zone.`);
  const rawHours = c.workingHours ?? {};
  const hours = (isPlainObject(rawHours) ? rawHours : {}) as Record<string, unknown>;
  if (!isPlainObject(rawHours))
    errors.push('workingHours must be an object of ISO weekdays "1" (Monday) to "7" (Sunday).');
  for (const key of Object.keys(hours))
    if (!WEEKDAYS.includes(key))
      errors.push(
        `workingHours: "${key.slice(0, 20)}" is not an ISO weekday; use "1" (Monday) to "7" (Sunday).`,
      );
  const workingHours: Record<string, WorkingInterval[]> = {};
  for (let d = 1; d <= 7; d += 1) {
    const raw = hours[String(d)] ?? [];
    if (!Array.isArray(raw)) {
      errors.push(`workingHours.${d} must be a list of {start, end}.`);
      continue;
    }
    const list: WorkingInterval[] = [];
    for (const iv of raw as Array<Record<string, unknown>>) {
      const start = String(iv?.start ?? '');
      const end = String(iv?.end ?? '');
      if (!TIME.test(start) || !TIME.test(end) || minutesOf(end) <= minutesOf(start)) {
        errors.push(`workingHours.${d}: "${start}-${end}" must be HH:mm-HH:mm with end after start.`);
      } else list.push({ start, end });
    }
    list.sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
    for (let i = 1; i < list.length; i += 1) {
      if (minutesOf((list[i] as WorkingInterval).start) < minutesOf((list[i - 1] as WorkingInterval).end))
        errors.push(`workingHours.${d}: intervals overlap.`);
    }
    workingHours[String(d)] = list;
  }
  if (Object.values(workingHours).every((l) => l.length === 0))
    errors.push('workingHours must have at least one working interval in the week.');
  if (c.holidays !== undefined && !Array.isArray(c.holidays))
    errors.push('holidays must be a list of dates YYYY-MM-DD.');
  const holidays = Array.isArray(c.holidays) ? c.holidays.map(String) : [];
  for (const h of holidays)
    if (!DATE.test(h) || !DateTime.fromISO(h).isValid)
      errors.push(`holiday "${h}" must be a date YYYY-MM-DD.`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { timeZone, workingHours, holidays: [...new Set(holidays)].sort() } };
}

/** The working intervals of one local day as real instants (empty on holidays and days off). */
export function intervalsOn(
  day: DateTime,
  cal: BusinessCalendar,
  holidays: Set<string>,
): Array<[number, number]> {
  if (holidays.has(day.toISODate() as string)) return [];
  const list = cal.workingHours[String(day.weekday)] ?? [];
  return list.map((iv) => {
    const at = (hhmm: string) => {
      const m = minutesOf(hhmm);
      // Built from wall-clock fields so DST days are right; a time inside a DST gap moves forward.
      return day
        .startOf('day')
        .set({ hour: Math.floor(m / 60) % 24, minute: m % 60 })
        .plus({ days: m === 1440 ? 1 : 0 })
        .toMillis();
    };
    return [at(iv.start), at(iv.end)] as [number, number];
  });
}

/** One local day of a calendar: where it starts and where the next starts (real instants), its intervals. */
export interface CalendarDay {
  start: number;
  next: number;
  intervals: Array<[number, number]>;
  /** Working milliseconds in the day. */
  length: number;
}

// Walking days is the SLA arithmetic's inner loop (an escalation sweep computes thousands of due times):
// each local day is worked out with luxon once per calendar object and then read from this memo, by the
// instant it starts and by the hours it spans (so finding the day of an instant needs no luxon either).
interface Memo {
  holidays: Set<string>;
  /** The holidays in order, for "is there one in this week?" (a binary search). */
  sorted: string[];
  days: Map<number, CalendarDay>;
  byHour: Map<number, CalendarDay>;
  /** Working milliseconds and working days of a week without holidays or a change of UTC offset. */
  week: { ms: number; days: number };
  /** Working milliseconds of each ISO weekday (index 1..7) in the pattern. */
  weekday: number[];
  zone: IANAZone;
  offsets: Map<number, number>;
}
// A zone's UTC offset at an instant is a fixed fact: shared by every calendar of the zone (a calendar read
// afresh, as a recomputation does for each request, finds the weeks' offsets known), bounded below.
const zoneOffsets = new Map<string, Map<number, number>>();
const memos = new WeakMap<BusinessCalendar, Memo>();
const MEMO_DAYS = 50_000;

function memoOf(cal: BusinessCalendar): Memo {
  let m = memos.get(cal);
  if (!m) {
    m = {
      holidays: new Set(cal.holidays),
      sorted: [...new Set(cal.holidays)].sort(),
      days: new Map(),
      byHour: new Map(),
      week: weekOf(cal),
      weekday: [0, 1, 2, 3, 4, 5, 6, 7].map((d) =>
        (cal.workingHours[String(d)] ?? []).reduce(
          (sum, iv) => sum + (minutesOf(iv.end) - minutesOf(iv.start)) * 60_000,
          0,
        ),
      ),
      zone: IANAZone.create(cal.timeZone),
      offsets: zoneOffsets.get(cal.timeZone) ?? new Map(),
    };
    if (!zoneOffsets.has(cal.timeZone) && zoneOffsets.size < 1_000) zoneOffsets.set(cal.timeZone, m.offsets);
    memos.set(cal, m);
  }
  return m;
}

function dayAt(m: Memo, cal: BusinessCalendar, day: DateTime): CalendarDay {
  const start = day.toMillis();
  const hit = m.days.get(start);
  if (hit) return hit;
  const intervals = intervalsOn(day, cal, m.holidays);
  const info: CalendarDay = {
    start,
    next: day.plus({ days: 1 }).toMillis(),
    intervals,
    length: intervals.reduce((sum, [a, b]) => sum + (b - a), 0),
  };
  if (m.days.size >= MEMO_DAYS) m.days.clear();
  m.days.set(start, info);
  return info;
}

/** The local day that contains the instant `ms` (remembered per hour: a checked hit skips luxon). */
export function dayContaining(cal: BusinessCalendar, ms: number): CalendarDay {
  const m = memoOf(cal);
  const hour = Math.floor(ms / 3_600_000);
  const known = m.byHour.get(hour);
  if (known && known.start <= ms && ms < known.next) return known;
  const day = dayAt(m, cal, DateTime.fromMillis(ms, { zone: cal.timeZone }).startOf('day'));
  if (m.byHour.size >= MEMO_DAYS) m.byHour.clear();
  m.byHour.set(hour, day);
  return day;
}

/** The local day after `day`. */
export function dayAfter(cal: BusinessCalendar, day: CalendarDay): CalendarDay {
  const m = memoOf(cal);
  return (
    m.days.get(day.next) ??
    plainDay(m, cal, day.next) ??
    dayAt(m, cal, DateTime.fromMillis(day.next, { zone: cal.timeZone }).startOf('day'))
  );
}

/**
 * The local day starting at `start` (a local midnight) without luxon, when the UTC offset is the same at
 * its midnight and the next (no DST change that day): 24 hours, intervals at their wall-clock minutes.
 * What intervalsOn gives such a day; null for a day with a change (luxon works it out).
 */
function plainDay(m: Memo, cal: BusinessCalendar, start: number): CalendarDay | null {
  const offset = offsetAt(m, start);
  // Not for a day that starts after a change at midnight (at 01:00 local): it is not 24 hours long.
  if (offsetAt(m, start + DAY_MS) !== offset || (start + offset * 60_000) % DAY_MS !== 0) return null;
  const local = new Date(start + offset * 60_000);
  const date = local.toISOString().slice(0, 10);
  const list = m.holidays.has(date) ? [] : (cal.workingHours[String(local.getUTCDay() || 7)] ?? []);
  const intervals = list.map(
    (iv) => [start + minutesOf(iv.start) * 60_000, start + minutesOf(iv.end) * 60_000] as [number, number],
  );
  const info: CalendarDay = {
    start,
    next: start + DAY_MS,
    intervals,
    length: intervals.reduce((sum, [a, b]) => sum + (b - a), 0),
  };
  if (m.days.size >= MEMO_DAYS) m.days.clear();
  m.days.set(start, info);
  return info;
}

/** Working time and working days of the weekly pattern (local wall-clock time, no holidays). */
function weekOf(cal: BusinessCalendar): { ms: number; days: number } {
  let ms = 0;
  let days = 0;
  for (let d = 1; d <= 7; d += 1) {
    const list = cal.workingHours[String(d)] ?? [];
    if (list.length > 0) days += 1;
    for (const iv of list) ms += (minutesOf(iv.end) - minutesOf(iv.start)) * 60_000;
  }
  return { ms, days };
}

/** Working time of one week of `cal` as "N hours M minutes" (for the messages that refuse a level). */
export function weeklyWorkingTime(cal: BusinessCalendar): string {
  const minutes = Math.round(weekOf(cal).ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const parts = [
    h > 0 ? `${h} hour${h === 1 ? '' : 's'}` : '',
    m > 0 ? `${m} minute${m === 1 ? '' : 's'}` : '',
  ];
  return parts.filter(Boolean).join(' ') || 'no time';
}

const DAY_MS = 86_400_000;
const isoDay = (localMs: number): string => new Date(localMs).toISOString().slice(0, 10);

/** The zone's UTC offset (minutes) at an instant, remembered per calendar (luxon's costs ~20 µs). */
function offsetAt(m: Memo, ms: number): number {
  let o = m.offsets.get(ms);
  if (o === undefined) {
    o = m.zone.offset(ms);
    if (m.offsets.size >= MEMO_DAYS) m.offsets.clear();
    m.offsets.set(ms, o);
  }
  return o;
}

/**
 * The 7 local days from `start` (a local midnight) as one step, when they are a plain week: the same
 * UTC offset at their first midnight and at the next week's (no DST change between: zones change offset
 * at most once within a week), so each day is 24 hours and its intervals are the weekly pattern's. Then
 * its working time and working days are the pattern's (`weekOf`) less its holidays' and `next` is the
 * local midnight 7 days on; otherwise null (walk day by day). Skipping such weeks keeps
 * long levels cheap (one offset look-up a week, no luxon); the results are those of the day-by-day walk
 * (due-date-weeks.test.ts compares the two on random calendars).
 */
export function plainWeek(
  cal: BusinessCalendar,
  start: number,
): { ms: number; days: number; next: number } | null {
  const m = memoOf(cal);
  const next = start + 7 * DAY_MS;
  const offset = offsetAt(m, start);
  if (offsetAt(m, next) !== offset || (start + offset * 60_000) % DAY_MS !== 0) return null;
  if (m.sorted.length > 0) {
    const first = isoDay(start + offset * 60_000);
    const last = isoDay(start + 6 * DAY_MS + offset * 60_000);
    // The first holiday on or after the week's first day.
    let lo = 0;
    let hi = m.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((m.sorted[mid] as string) < first) lo = mid + 1;
      else hi = mid;
    }
    let { ms, days } = m.week;
    for (let h = lo; h < m.sorted.length && (m.sorted[h] as string) <= last; h += 1) {
      const off = m.weekday[new Date(`${m.sorted[h] as string}T00:00:00Z`).getUTCDay() || 7] as number;
      if (off > 0) {
        ms -= off;
        days -= 1;
      }
    }
    return { ms, days, next };
  }
  return { ...m.week, next };
}

export function isWorkingTime(t: Date, cal: BusinessCalendar): boolean {
  const day = DateTime.fromJSDate(t, { zone: cal.timeZone });
  const ms = t.getTime();
  return intervalsOn(day, cal, new Set(cal.holidays)).some(([a, b]) => ms >= a && ms < b);
}
