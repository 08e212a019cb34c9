import type { Service } from '../catalog';
import { computeDueDate, levelFor, type BusinessCalendar, type ResponseLevel } from '../sla';
import { formatDateTime } from '../core';

/**
 * expected_datetime from the service's response level for the request's priority (new requests are
 * `normal`), on the jurisdiction's business calendar (the stored one: callers load it with
 * sla/calendar-store, as the recomputation does); null without a level.
 */
export function computeExpected(
  service: Service,
  calendar: BusinessCalendar,
  requestedAt: Date,
  priority = 'normal',
): Date | null {
  const level = levelFor(service, priority);
  return level ? computeDueDate(requestedAt, level, calendar) : null;
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
