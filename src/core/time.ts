/**
 * Datetimes on the wire (OPEN311.md): ISO 8601 with a mandatory offset, in the jurisdiction's time zone,
 * no fractional seconds. Inputs accept any ISO 8601 offset or Z; a value without an offset is read in the
 * jurisdiction's zone (what a local client means).
 *
 * Formatting runs for every datetime of every listed request (3,000 per 1,000-row page), so the zone
 * offset is looked up once per quarter-hour (exactly, in a quarter-hour that holds a change) and the
 * string is built by hand; time.test.ts checks it against luxon.
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';

const QUARTER_HOUR = 900_000;
// Module-level on purpose: a zone's offset at an instant is a fixed fact (no state to go stale), bounded below.
const offsets = new Map<string, Map<number, number>>();

function offsetMinutes(ms: number, timeZone: string): number {
  let byQuarter = offsets.get(timeZone);
  if (!byQuarter) {
    byQuarter = new Map();
    offsets.set(timeZone, byQuarter);
  }
  const key = Math.floor(ms / QUARTER_HOUR);
  let offset = byQuarter.get(key);
  if (offset === undefined) {
    // A quarter-hour whose two ends differ holds a change at another minute (St John's changed at 00:01
    // until 2011): it is marked NaN and looked up exactly each time.
    const start = DateTime.fromMillis(key * QUARTER_HOUR, { zone: timeZone }).offset;
    const end = DateTime.fromMillis((key + 1) * QUARTER_HOUR - 1, { zone: timeZone }).offset;
    offset = start === end ? start : Number.NaN;
    if (byQuarter.size > 200_000) byQuarter.clear();
    byQuarter.set(key, offset);
  }
  return Number.isNaN(offset) ? DateTime.fromMillis(ms, { zone: timeZone }).offset : offset;
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

export function formatDateTime(value: Date | null | undefined, timeZone: string): string | null {
  if (!value) return null;
  const ms = Math.floor(value.getTime() / 1000) * 1000;
  const offset = offsetMinutes(ms, timeZone);
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
  const abs = Math.abs(offset);
  return `${local}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The widest UTC offset in use (Kiribati's +14:00; -12:00 is the other end). */
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * Parses an input datetime; null when it is not ISO 8601, its offset is beyond ±14:00 (luxon reads
 * `+99:00` as a 99-hour offset), or its year is outside 0001–9999 (ISO 8601's four-digit years; luxon also
 * reads expanded years such as -1742990101, which no database column holds).
 */
export function parseDateTime(text: string, timeZone: string): Date | null {
  // setZone: the offset written in the text is kept (to be checked); without one the zone reads it.
  const dt = DateTime.fromISO(text.trim(), { zone: timeZone, setZone: true });
  if (!dt.isValid || Math.abs(dt.offset) > MAX_OFFSET_MINUTES) return null;
  const year = dt.toUTC().year;
  return year >= 1 && year <= 9999 ? dt.toJSDate() : null;
}

/**
 * formatDateTime in SQL (the bulk export has the database write its text): a timestamptz local time in `timeZone`, whole seconds (to_char truncates),
 * and the zone's offset at that instant as ±HH:MM.
 */
export function sqlDateTime(knex: Knex, column: string, timeZone: string): Knex.Raw {
  const offset = `(extract(epoch FROM (${column} AT TIME ZONE ?) - (${column} AT TIME ZONE 'UTC')) / 60)::int`;
  return knex.raw(
    `to_char(${column} AT TIME ZONE ?, 'YYYY-MM-DD"T"HH24:MI:SS') ||
       CASE WHEN ${offset} < 0 THEN '-' ELSE '+' END ||
       lpad((abs(${offset}) / 60)::text, 2, '0') || ':' || lpad((abs(${offset}) % 60)::text, 2, '0')`,
    [timeZone, timeZone, timeZone, timeZone],
  );
}

/**
 * Event and admin times are UTC with milliseconds (Date#toISOString); this is that text in SQL, for events
 * whose payload the database builds (notify/outbox.ts).
 */
export function sqlIsoUtc(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
