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

/** The zone Intl resolves a name to (its canonical case; links such as US/Eastern to their target). */
export function resolvedTimeZone(timeZone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

let usResolved: ReadonlySet<string> | null = null;

/**
 * Whether an IANA time zone is one of the United States' (states and territories): by name, or by the
 * zone it resolves to, so a name stored in another case before time zones were canonicalised
 * ("america/indiana/indianapolis") still gets the US federal holidays.
 */
export function isUsTimeZone(timeZone: string): boolean {
  if (US_TIME_ZONES.has(timeZone)) return true;
  usResolved ??= new Set([...US_TIME_ZONES].map(resolvedTimeZone).filter((z): z is string => z !== null));
  const resolved = resolvedTimeZone(timeZone);
  return resolved !== null && usResolved.has(resolved);
}

/** Current IANA names that ICU (Intl) knows only by an older alias, plus the US zones above. */
const MODERN_NAMES = [
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Ho_Chi_Minh',
  'Asia/Yangon',
  'Europe/Kyiv',
  'America/Nuuk',
  'America/Argentina/Buenos_Aires',
  'America/Argentina/Catamarca',
  'America/Argentina/Cordoba',
  'America/Argentina/Jujuy',
  'America/Argentina/Mendoza',
  'America/Kentucky/Louisville',
  'Atlantic/Faroe',
  'Pacific/Chuuk',
  'Pacific/Pohnpei',
  'Pacific/Kanton',
  'Etc/UTC',
  'UTC',
];

let spellings: ReadonlyMap<string, string> | null = null;

/**
 * A time zone name in its IANA spelling, or null when it is not a time zone. Names are matched without
 * regard to case against Intl's list, the US zones and a few current names Intl knows by an older alias
 * ("america/indiana/indianapolis" → "America/Indiana/Indianapolis", "utc" → "UTC"); a name already
 * spelled so is kept as it is. Any other name Intl accepts is given as Intl resolves it (its canonical
 * name, e.g. "us/samoa" → "Pacific/Pago_Pago"). A jurisdiction's zone is stored in this spelling,
 * because some uses compare names exactly (the US federal holidays of the default calendar).
 */
export function canonicalTimeZone(timeZone: string): string | null {
  const resolved = resolvedTimeZone(timeZone);
  if (resolved === null || timeZone.trim() !== timeZone || timeZone === '') return null;
  spellings ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), ...US_TIME_ZONES, ...MODERN_NAMES].map((z) => [
      z.toLowerCase(),
      z,
    ]),
  );
  return spellings.get(timeZone.toLowerCase()) ?? resolved;
}
