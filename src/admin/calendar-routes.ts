import { Router } from 'express';
import type { AppContext } from '../context';
import { badRequest } from '../core';
import { saveCalendar } from '../sla';
import { validateCalendar } from '../sla';

/** GET/PUT /admin/v1/jurisdictions/{id}/calendar: working hours per ISO weekday and holidays. */
export function calendarRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await ctx.catalog.resolveJurisdiction(String(req.params.id));
    res.json(await ctx.calendars.get(j.id, j.timeZone));
  });
  router.put('/jurisdictions/:id/calendar', async (req, res) => {
    const j = await ctx.catalog.resolveJurisdiction(String(req.params.id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const checked = validateCalendar({
      timeZone: j.timeZone,
      workingHours: body.workingHours ?? body.working_hours,
      holidays: body.holidays ?? [],
    });
    if (!checked.ok) throw badRequest(checked.errors);
    await saveCalendar(ctx.knex, j.id, checked.value, ctx.clock());
    ctx.invalidate('calendar', j.id);
    res.json(checked.value);
  });
  return router;
}
