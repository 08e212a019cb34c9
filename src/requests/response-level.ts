import type { Service } from '../catalog';
import { computeDueDate, type BusinessCalendar } from '../sla';
import { formatDateTime } from '../open311/time';

/**
 * expected_datetime from the service's response level, on the jurisdiction's business calendar (the
 * stored one: callers load it with sla/calendar-store, as the recomputation does); null without a level.
 */
export function computeExpected(
  service: Service,
  calendar: BusinessCalendar,
  requestedAt: Date,
): Date | null {
  return service.sla ? computeDueDate(requestedAt, service.sla, calendar) : null;
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
  if (!service.sla || !expectedAt) return null;
  const [one, many] = UNIT_WORDS[service.sla.unit] ?? ['', ''];
  const amount = `${service.sla.value} ${service.sla.value === 1 ? one : many}`;
  return `Response level: ${amount} (expected by ${formatDateTime(expectedAt, timeZone)}).`;
}
