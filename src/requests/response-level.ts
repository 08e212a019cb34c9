import type { Service } from '../catalog';
import { dueDateOrNull, levelFor, type BusinessCalendar, type ResponseLevel } from '../sla';
import { formatDateTime } from '../core';

/**
 * expected_datetime from the service's response level for the request's priority (new requests are
 * `normal`), on the jurisdiction's business calendar (the stored one: callers load it with
 * sla/calendar-store, as the recomputation does); null without a level, and null when the calendar does
 * not reach the level's end within 20 years (the admin API refuses such a level or calendar; one stored
 * before that check, or a calendar whose holidays fill the years ahead, gives a request without a due
 * time rather than a refused report).
 */
export function computeExpected(
  service: Service,
  calendar: BusinessCalendar,
  requestedAt: Date,
  priority = 'normal',
): Date | null {
  const level = levelFor(service, priority);
  return level ? dueDateOrNull(requestedAt, level, calendar, [], requestedAt) : null;
}

const UNIT_WORDS: Record<string, [string, string]> = {
  hours: ['hour', 'hours'],
  business_hours: ['business hour', 'business hours'],
  business_days: ['business day', 'business days'],
  calendar_days: ['day', 'days'],
};

/** The service_notice told to the reporter, e.g. "Response level: 3 business days (by 2026-11-27T17:00:00-05:00)." */
export function describeResponseLevel(
  service: Service,
  expectedAt: Date | null,
  timeZone: string,
): string | null {
  return describeLevel(levelFor(service) ?? null, expectedAt, timeZone);
}

/** The start of every notice describeLevel writes (recomputeResponseLevel rewrites only those). */
export const LEVEL_NOTICE_PREFIX = 'Response level: ';

/** The service_notice of a request due at `expectedAt` under `level` (null without either). */
export function describeLevel(
  level: ResponseLevel | null,
  expectedAt: Date | null,
  timeZone: string,
): string | null {
  if (!level || !expectedAt) return null;
  const [one, many] = UNIT_WORDS[level.unit] ?? ['', ''];
  const amount = `${level.value} ${level.value === 1 ? one : many}`;
  return `${LEVEL_NOTICE_PREFIX}${amount} (expected by ${formatDateTime(expectedAt, timeZone)}).`;
}
