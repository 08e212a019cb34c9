import { Router } from 'express';
import type { AppContext } from '../context';
import { badRequest } from '../http/errors';
import { fieldsOnly } from '../http/validation';
import { clearCalendarCache, loadCalendar } from '../sla/calendar-store';
import { validateCalendar } from '../sla';

const calendarFields = fieldsOnly('admin/calendar', ['workingHours', 'working_hours', 'holidays']);

/** GET/PUT /admin/v1/jurisdictions/{id}/calendar: working hours per ISO weekday and holidays. */
export function calendarRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await ctx.catalog.resolveJurisdiction(String(req.params.id));
    res.json(await loadCalendar(ctx.knex, j.id, j.timeZone, ctx.clock().getTime()));
  });
  router.put('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await ctx.catalog.resolveJurisdiction(String(req.params.id));
    const body = calendarFields.parse(req.body ?? {});
    const checked = validateCalendar({
      timeZone: j.timeZone,
      workingHours: body.workingHours ?? body.working_hours,
      holidays: body.holidays ?? [],
    });
    if (!checked.ok) throw badRequest(checked.errors);
    await ctx
      .knex('business_calendars')
      .insert({
        jurisdiction_id: j.id,
        working_hours: JSON.stringify(checked.value.workingHours),
        holidays: JSON.stringify(checked.value.holidays),
        updated_at: ctx.clock(),
      })
      .onConflict('jurisdiction_id')
      .merge();
    clearCalendarCache();
    res.json(checked.value);
  });
  return router;
}
