/**
 * US federal holidays (5 U.S.C. 6103) with the observed-date rule: a Saturday holiday is observed on the
 * Friday before, a Sunday holiday on the Monday after. The default calendar of a jurisdiction in a US time
 * zone (the demo city's among them).
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

/**
 * The IANA zones of the United States and its territories (tzdata zone.tab: US, PR, VI, GU, MP, AS, UM),
 * with their old aliases. A jurisdiction's time zone is the one thing the server knows about where it is.
 */
const US_TIME_ZONES: ReadonlySet<string> = new Set([
  'America/New_York',
  'America/Detroit',
  'America/Kentucky/Louisville',
  'America/Kentucky/Monticello',
  'America/Indiana/Indianapolis',
  'America/Indiana/Vincennes',
  'America/Indiana/Winamac',
  'America/Indiana/Marengo',
  'America/Indiana/Petersburg',
  'America/Indiana/Vevay',
  'America/Chicago',
  'America/Indiana/Tell_City',
  'America/Indiana/Knox',
  'America/Menominee',
  'America/North_Dakota/Center',
  'America/North_Dakota/New_Salem',
  'America/North_Dakota/Beulah',
  'America/Denver',
  'America/Boise',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Anchorage',
  'America/Juneau',
  'America/Sitka',
  'America/Metlakatla',
  'America/Yakutat',
  'America/Nome',
  'America/Adak',
  'Pacific/Honolulu',
  // Territories.
  'America/Puerto_Rico',
  'America/St_Thomas',
  'America/Virgin',
  'Pacific/Guam',
  'Pacific/Saipan',
  'Pacific/Pago_Pago',
  'Pacific/Samoa',
  'Pacific/Midway',
  'Pacific/Wake',
  // Old names.
  'America/Fort_Wayne',
  'America/Indianapolis',
  'America/Knox_IN',
  'America/Louisville',
  'America/Atka',
  'America/Shiprock',
  'Navajo',
  'Pacific/Johnston',
  'US/Alaska',
  'US/Aleutian',
  'US/Arizona',
  'US/Central',
  'US/East-Indiana',
  'US/Eastern',
  'US/Hawaii',
  'US/Indiana-Starke',
  'US/Michigan',
  'US/Mountain',
  'US/Pacific',
  'US/Samoa',
]);

/** Whether an IANA time zone is one of the United States' (states and territories). */
export const isUsTimeZone = (timeZone: string): boolean => US_TIME_ZONES.has(timeZone);
