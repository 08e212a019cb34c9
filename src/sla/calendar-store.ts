import type { Knex } from 'knex';
import type { Cache } from '../cache';
import { defaultCalendar, validateCalendar, type BusinessCalendar } from './business-calendar';

/**
 * A jurisdiction's business calendar: the stored one (admin API), else the default (Mon–Fri 08:00–17:00
 * with US federal holidays). Read from the database every time: see `Calendars` for the cached form.
 */
export async function readCalendar(
  knex: Knex,
  jurisdictionId: string,
  timeZone: string,
): Promise<BusinessCalendar> {
  const row = (await knex('business_calendars')
    .where('jurisdiction_id', jurisdictionId)
    .first('working_hours', 'holidays')) as { working_hours: unknown; holidays: unknown } | undefined;
  if (row) {
    const checked = validateCalendar({ timeZone, workingHours: row.working_hours, holidays: row.holidays });
    if (checked.ok) return checked.value;
  }
  return defaultCalendar(timeZone);
}

/**
 * Calendars per jurisdiction, held in the context (`ctx.calendars`): they change rarely and every intake
 * and escalation step needs one. An edit through this process invalidates at once; another process's
 * edit shows within the cache's TTL.
 */
export class Calendars {
  constructor(
    private readonly knex: Knex,
    private readonly cache: Cache<string, BusinessCalendar>,
  ) {}

  /** `knex` may be a transaction: a miss is then read inside it (PGlite has a single connection). */
  async get(jurisdictionId: string, timeZone: string, knex: Knex = this.knex): Promise<BusinessCalendar> {
    const hit = this.cache.get(jurisdictionId);
    if (hit && hit.timeZone === timeZone) return hit;
    const cal = await readCalendar(knex, jurisdictionId, timeZone);
    this.cache.set(jurisdictionId, cal);
    return cal;
  }

  invalidate(jurisdictionId?: string): void {
    if (jurisdictionId === undefined) this.cache.clear();
    else this.cache.delete(jurisdictionId);
  }
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
