import type { Knex } from 'knex';
import { defaultCalendar, validateCalendar, type BusinessCalendar } from './index';

/**
 * A jurisdiction's business calendar: the stored one (admin API), else the default (Mon–Fri 08:00–17:00
 * with US federal holidays). Cached briefly: it changes rarely and every intake needs it.
 */
const cache = new Map<string, { cal: BusinessCalendar; at: number }>();
const TTL_MS = 60_000;

export function clearCalendarCache(): void {
  cache.clear();
}

export async function loadCalendar(
  knex: Knex,
  jurisdictionId: string,
  timeZone: string,
  nowMs = Date.now(),
): Promise<BusinessCalendar> {
  const hit = cache.get(jurisdictionId);
  if (hit && nowMs - hit.at < TTL_MS && hit.cal.timeZone === timeZone) return hit.cal;
  const row = (await knex('business_calendars')
    .where('jurisdiction_id', jurisdictionId)
    .first('working_hours', 'holidays')) as { working_hours: unknown; holidays: unknown } | undefined;
  let cal = defaultCalendar(timeZone);
  if (row) {
    const checked = validateCalendar({ timeZone, workingHours: row.working_hours, holidays: row.holidays });
    if (checked.ok) cal = checked.value;
  }
  cache.set(jurisdictionId, { cal, at: nowMs });
  return cal;
}

/** Stores a jurisdiction's (validated) business calendar, replacing the one it had. */
export async function saveCalendar(
  knex: Knex,
  jurisdictionId: string,
  cal: Pick<BusinessCalendar, 'workingHours' | 'holidays'>,
  at: Date,
): Promise<void> {
  await knex('business_calendars')
    .insert({
      jurisdiction_id: jurisdictionId,
      working_hours: JSON.stringify(cal.workingHours),
      holidays: JSON.stringify(cal.holidays),
      updated_at: at,
    })
    .onConflict('jurisdiction_id')
    .merge();
}
