import { Router } from 'express';
import type { AppContext } from '../context';
import { Problems } from '../http/errors';
import { scalar, type RawParams } from '../open311/params';
import { parseDateTime } from '../open311/time';
import { toCsv } from '../reports/csv';
import { PERFORMANCE_COLUMNS, performance, type GroupBy } from '../reports/performance';

const DAY_MS = 86_400_000;

function parseGroupBy(text: string | undefined, problems: Problems): GroupBy {
  if (text === undefined || text === 'all') return { kind: 'all' };
  if (text === 'service' || text === 'agency' || text === 'channel') return { kind: text };
  const m = /^district:([a-z][a-z0-9_]{0,49})$/.exec(text);
  if (m?.[1]) return { kind: 'district', layer: m[1] };
  problems.add('group_by must be all, service, agency, channel or district:LAYER (e.g. district:ward).');
  return { kind: 'all' };
}

/** GET /admin/v1/reports/sla?start_date&end_date&group_by=service|agency|channel|district:ward&format=json|csv */
export function reportsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/reports/sla', async (req, res) => {
    const q = req.query as RawParams;
    const j = await ctx.catalog.resolveJurisdiction(scalar(q, 'jurisdiction_id'));
    const problems = new Problems();
    const date = (name: string) => {
      const raw = scalar(q, name);
      const d = raw === undefined ? undefined : parseDateTime(raw, j.timeZone);
      if (raw !== undefined && !d) problems.add(`${name} must be an ISO 8601 date or date and time.`);
      return d ?? undefined;
    };
    const now = ctx.clock();
    const end = date('end_date') ?? now;
    const start = date('start_date') ?? new Date(end.getTime() - 90 * DAY_MS);
    if (start >= end) problems.add('start_date must be before end_date.');
    const groupBy = parseGroupBy(scalar(q, 'group_by'), problems);
    const format = scalar(q, 'format') ?? 'json';
    if (format !== 'json' && format !== 'csv') problems.add('format must be json or csv.');
    problems.throwIfAny();
    const rows = await performance(ctx.knex, { jurisdictionId: j.id, start, end, now, groupBy });
    if (format === 'csv') {
      res.type('text/csv; charset=utf-8').attachment('sla-report.csv').send(toCsv(PERFORMANCE_COLUMNS, rows));
      return;
    }
    res.json({ jurisdiction_id: j.id, start_date: start.toISOString(), end_date: end.toISOString(), group_by: scalar(q, 'group_by') ?? 'all', rows });
  });
  return router;
}
