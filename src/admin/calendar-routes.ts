import { isDeepStrictEqual } from 'node:util';
import { Router } from 'express';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { badRequest, fieldsOnly, quoted } from '../core';
import { jurisdictionLevels, unreachableLevels } from '../catalog';
import {
  canonicalTimeZone,
  saveCalendar,
  validateCalendar,
  weeklyWorkingTime,
  type BusinessCalendar,
} from '../sla';

const calendarFields = fieldsOnly('admin/calendar', [
  'workingHours',
  'working_hours',
  'timeZone',
  'time_zone',
  'holidays',
]);

/**
 * The calendar document GET answers and PUT takes back as it is: the first fields (camelCase) are the
 * original contract, `time_zone` and `working_hours` the same values in the admin API's snake_case.
 */
const calendarDoc = (cal: BusinessCalendar) => ({
  timeZone: cal.timeZone,
  workingHours: cal.workingHours,
  holidays: cal.holidays,
  time_zone: cal.timeZone,
  working_hours: cal.workingHours,
});

/** One field given under either spelling; both spellings only with the same value. */
function eitherSpelling(
  body: Record<string, unknown>,
  camel: string,
  snake: string,
  errors: string[],
): unknown {
  const a = body[camel];
  const b = body[snake];
  if (a !== undefined && b !== undefined && !isDeepStrictEqual(a, b))
    errors.push(`${camel} and ${snake} are the same field and differ; send one of them.`);
  return a ?? b;
}

/** GET/PUT /admin/v1/jurisdictions/{id}/calendar: working hours per ISO weekday and holidays. */
export function calendarRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
    res.json(calendarDoc(await ctx.calendars.get(j.id, j.timeZone)));
  });
  router.put('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
    const body = calendarFields.parse(req.body ?? {});
    const errors: string[] = [];
    const workingHours = eitherSpelling(body, 'workingHours', 'working_hours', errors);
    const zone = eitherSpelling(body, 'timeZone', 'time_zone', errors);
    // The zone is read back so a GET's document can be PUT as it is; it is the jurisdiction's, set there.
    if (zone !== undefined && (typeof zone !== 'string' || canonicalTimeZone(zone) !== j.timeZone)) {
      const field = body.timeZone !== undefined ? 'timeZone' : 'time_zone';
      const given = typeof zone === 'string' ? `"${quoted(zone)}"` : 'must be a string and';
      errors.push(
        `${field} ${given} is not this calendar's: a calendar follows its jurisdiction's time zone ` +
          `(${j.timeZone}), which is changed with PUT /admin/v1/jurisdictions/${j.id} {"time_zone": …}. ` +
          `Leave ${field} out or send ${j.timeZone}.`,
      );
    }
    const checked = validateCalendar({ timeZone: j.timeZone, workingHours, holidays: body.holidays ?? [] });
    if (!checked.ok) errors.push(...checked.errors);
    if (errors.length > 0 || !checked.ok) throw badRequest(errors);
    const at = ctx.clock();
    await ctx.knex.transaction(async (trx) => {
      // Every level of the city's services must still end within 20 years on the new calendar.
      const problems = unreachableLevels(await jurisdictionLevels(trx, j.id), checked.value, at);
      if (problems.length > 0)
        throw badRequest([
          `This calendar (${weeklyWorkingTime(checked.value)} of working time a week) leaves ` +
            `${problems.length} response level${problems.length === 1 ? '' : 's'} of ${j.id} unreachable; ` +
            'give it more working time or shorten the levels first (PUT /admin/v1/services/{service_code}/response-levels).',
          ...problems.slice(0, 20),
          ...(problems.length > 20 ? [`… and ${problems.length - 20} more.`] : []),
        ]);
      await saveCalendar(trx, j.id, checked.value, at);
    });
    await ctx.invalidate('calendar', j.id);
    res.json(calendarDoc(checked.value));
  });
  return router;
}
