import { Router } from 'express';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { notFound, Problems } from '../core';
import { scalar, type RawParams } from '../http';
import { parseDateTime } from '../core';
import { assertDistrictLayer, districtLayers } from '../geo';
import { toCsv } from '../reports';
import { PERFORMANCE_COLUMNS, performance, type GroupBy, type PerformanceRow } from '../reports';
import { SATISFACTION_COLUMNS, satisfaction, type SatisfactionRow } from '../reports';

const DAY_MS = 86_400_000;

function parseGroupBy(text: string | undefined, problems: Problems): GroupBy {
  if (text === undefined || text === 'all') return { kind: 'all' };
  if (text === 'service' || text === 'agency' || text === 'channel') return { kind: text };
  const m = /^district:([a-z][a-z0-9_]{0,49})$/.exec(text);
  if (m?.[1]) return { kind: 'district', layer: m[1] };
  problems.add('group_by must be all, service, agency, channel or district:LAYER (e.g. district:ward).');
  return { kind: 'all' };
}

/** GET /admin/v1/reports/{sla|satisfaction}?start_date&end_date&group_by=service|agency|channel|district:ward&format=json|csv */
export function reportsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/reports/:report', async (req, res) => {
    const report = String(req.params.report);
    if (report !== 'sla' && report !== 'satisfaction')
      throw notFound(`No report "${report}": try sla or satisfaction.`);
    const q = req.query as RawParams;
    const j = await resolveJurisdictionFor(ctx, res, scalar(q, 'jurisdiction_id'));
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
    if (groupBy.kind === 'district')
      assertDistrictLayer(
        groupBy.layer,
        await districtLayers(ctx.read, j.id),
        'the LAYER of group_by=district:LAYER',
      );
    const range = { jurisdictionId: j.id, start, end, groupBy };
    const rows =
      report === 'sla' ? await performance(ctx.read, { ...range, now }) : await satisfaction(ctx.read, range);
    if (format === 'csv') {
      const csv =
        report === 'sla'
          ? toCsv(PERFORMANCE_COLUMNS, rows as PerformanceRow[])
          : toCsv(SATISFACTION_COLUMNS, rows as SatisfactionRow[]);
      res.type('text/csv; charset=utf-8').attachment(`${report}-report.csv`).send(csv);
      return;
    }
    res.json({
      jurisdiction_id: j.id,
      start_date: start.toISOString(),
      end_date: end.toISOString(),
      group_by: scalar(q, 'group_by') ?? 'all',
      rows,
    });
  });
  return router;
}
