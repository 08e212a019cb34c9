/**
 * US federal holidays (5 U.S.C. 6103) with the observed-date rule: a Saturday holiday is observed on the
 * Friday before, a Sunday holiday on the Monday after. Used for the demo city's business calendar.
 */
import { DateTime } from 'luxon';

function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  let d = DateTime.fromObject({ year, month, day: 1 }, { zone: 'UTC' });
  while (d.weekday !== weekday) d = d.plus({ days: 1 });
  return d.plus({ weeks: n - 1 }).toISODate() as string;
}

function lastWeekday(year: number, month: number, weekday: number): string {
  let d = DateTime.fromObject({ year, month, day: 1 }, { zone: 'UTC' }).endOf('month').startOf('day');
  while (d.weekday !== weekday) d = d.minus({ days: 1 });
  return d.toISODate() as string;
}

function observed(year: number, month: number, day: number): string {
  const d = DateTime.fromObject({ year, month, day }, { zone: 'UTC' });
  if (d.weekday === 6) return d.minus({ days: 1 }).toISODate() as string;
  if (d.weekday === 7) return d.plus({ days: 1 }).toISODate() as string;
  return d.toISODate() as string;
}

export function usFederalHolidays(year: number): string[] {
  return [
    observed(year, 1, 1), // New Year's Day
    nthWeekday(year, 1, 1, 3), // Birthday of Martin Luther King, Jr.
    nthWeekday(year, 2, 1, 3), // Washington's Birthday
    lastWeekday(year, 5, 1), // Memorial Day
    observed(year, 6, 19), // Juneteenth
    observed(year, 7, 4), // Independence Day
    nthWeekday(year, 9, 1, 1), // Labor Day
    nthWeekday(year, 10, 1, 2), // Columbus Day
    observed(year, 11, 11), // Veterans Day
    nthWeekday(year, 11, 4, 4), // Thanksgiving Day
    observed(year, 12, 25), // Christmas Day
  ].sort();
}

export function usFederalHolidaysBetween(fromYear: number, toYear: number): string[] {
  const out: string[] = [];
  // New Year's Day of the next year can be observed on Dec 31 of this one.
  for (let y = fromYear; y <= toYear + 1; y += 1) out.push(...usFederalHolidays(y));
  return [...new Set(out)].filter((d) => d >= `${fromYear}-01-01` && d <= `${toYear}-12-31`).sort();
}
