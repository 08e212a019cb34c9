import type { Jurisdiction, Service } from '../catalog';
import { computeDueDate, defaultCalendar, type BusinessCalendar } from '../sla';
import { formatDateTime } from '../open311/time';

const calendars = new Map<string, BusinessCalendar>();

/** The jurisdiction's business calendar (Mon–Fri 08:00–17:00 and US federal holidays until one is configured). */
function calendarFor(j: Jurisdiction): BusinessCalendar {
  let cal = calendars.get(j.timeZone);
  if (!cal) {
    cal = defaultCalendar(j.timeZone);
    calendars.set(j.timeZone, cal);
  }
  return cal;
}

/** expected_datetime from the service's response level; null when the service has none. */
export function computeExpected(service: Service, j: Jurisdiction, requestedAt: Date): Date | null {
  return service.sla ? computeDueDate(requestedAt, service.sla, calendarFor(j)) : null;
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
