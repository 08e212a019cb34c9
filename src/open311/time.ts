/**
 * Datetimes on the wire (OPEN311.md): ISO 8601 with a mandatory offset, in the jurisdiction's time zone,
 * no fractional seconds. Inputs accept any ISO 8601 offset or Z; a value without an offset is read in the
 * jurisdiction's zone (what a local client means).
 */
import { DateTime } from 'luxon';

export function formatDateTime(value: Date | null | undefined, timeZone: string): string | null {
  if (!value) return null;
  return DateTime.fromJSDate(value, { zone: timeZone })
    .startOf('second')
    .toISO({ suppressMilliseconds: true });
}

/** Parses an input datetime; null when it is not ISO 8601. */
export function parseDateTime(text: string, timeZone: string): Date | null {
  const dt = DateTime.fromISO(text.trim(), { zone: timeZone });
  return dt.isValid ? dt.toJSDate() : null;
}
