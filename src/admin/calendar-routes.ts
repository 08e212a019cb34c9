import { Router } from 'express';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { badRequest } from '../core';
import { saveCalendar } from '../sla';
import { fieldsOnly } from '../core';
import { validateCalendar } from '../sla';

const calendarFields = fieldsOnly('admin/calendar', ['workingHours', 'working_hours', 'holidays']);

/** GET/PUT /admin/v1/jurisdictions/{id}/calendar: working hours per ISO weekday and holidays. */
export function calendarRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
    res.json(await ctx.calendars.get(j.id, j.timeZone));
  });
  router.put('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
    const body = calendarFields.parse(req.body ?? {});
    const checked = validateCalendar({
      timeZone: j.timeZone,
      workingHours: body.workingHours ?? body.working_hours,
      holidays: body.holidays ?? [],
    });
    if (!checked.ok) throw badRequest(checked.errors);
    await saveCalendar(ctx.knex, j.id, checked.value, ctx.clock());
    await ctx.invalidate('calendar', j.id);
    res.json(checked.value);
  });
  return router;
}
