import { Router, type Response } from 'express';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { notFound, Problems, quoted } from '../core';
import { fieldsOnly } from '../core';
import { DEFAULT_DUPLICATE_RULE, ruleFor, saveRule } from '../requests';
import { isDetailedStatus, type DetailedStatus } from '../requests';

const ruleFields = fieldsOnly('admin/duplicate-rule', [
  'radius_metres',
  'window_hours',
  'statuses',
  'related_service_codes',
  'enabled',
]);

/** A number given as a JSON number or numeric text; absent: the default; anything else: NaN (refused). */
function numberOr(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

/** A list of texts; absent: the default; anything but a list of strings: null (refused). */
function textList(value: unknown, fallback: string[]): string[] | null {
  if (value === undefined || value === null) return fallback;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return null;
  return value as string[];
}

/**
 * GET/PUT /admin/v1/services/{service_code}/duplicate-rule (and `_default` for the jurisdiction-wide rule):
 * radius_metres, window_hours, statuses, related_service_codes, enabled.
 */
export function duplicateRulesRouter(ctx: AppContext): Router {
  const router = Router();
  const scope = async (res: Response, code: string, jurisdictionId: string | undefined) => {
    const j = await resolveJurisdictionFor(ctx, res, jurisdictionId);
    if (code === '_default') return { j, serviceId: null };
    const s = await ctx.catalog.service(j.id, code);
    if (!s) throw notFound(`service_code "${code}" is not a service of ${j.name}.`);
    return { j, serviceId: s.id };
  };

  router.get('/services/:code/duplicate-rule', async (req, res) => {
    const { j, serviceId } = await scope(
      res,
      String(req.params.code),
      req.query.jurisdiction_id as string | undefined,
    );
    const rule = await ruleFor(ctx.knex, j.id, serviceId);
    res.json({
      radius_metres: rule.radiusMetres,
      window_hours: rule.windowHours,
      statuses: rule.statuses,
      related_service_codes: rule.relatedServiceCodes,
      enabled: rule.enabled,
    });
  });

  router.put('/services/:code/duplicate-rule', async (req, res) => {
    const { j, serviceId } = await scope(
      res,
      String(req.params.code),
      req.query.jurisdiction_id as string | undefined,
    );
    const b = ruleFields.parse(req.body ?? {});
    const problems = new Problems();
    const radius = numberOr(b.radius_metres, DEFAULT_DUPLICATE_RULE.radiusMetres);
    const windowHours = numberOr(b.window_hours, DEFAULT_DUPLICATE_RULE.windowHours);
    if (!(radius >= 1 && radius <= 5000)) problems.add('radius_metres must be a number from 1 to 5000.');
    if (!(windowHours >= 1 && windowHours <= 24 * 365))
      problems.add('window_hours must be a number from 1 to 8760.');
    if (b.enabled !== undefined && typeof b.enabled !== 'boolean')
      problems.add('enabled must be true or false (a JSON boolean).');
    const statuses = textList(b.statuses, [...DEFAULT_DUPLICATE_RULE.statuses]);
    if (statuses === null) problems.add('statuses must be a list of detailed statuses such as ["open"].');
    else if (statuses.length === 0)
      problems.add('statuses must name at least one status (to switch the rule off, send enabled: false).');
    else if (statuses.some((s) => !isDetailedStatus(s)))
      problems.add('statuses must be detailed statuses such as open, in_progress.');
    const related = textList(b.related_service_codes, []);
    if (related === null) problems.add('related_service_codes must be a list of service codes.');
    for (const code of related ?? [])
      if (!(await ctx.catalog.service(j.id, code)))
        problems.add(`related_service_codes: "${quoted(code)}" is not a service.`);
    problems.throwIfAny();
    await saveRule(ctx.knex, j.id, serviceId, {
      radiusMetres: radius,
      windowHours: windowHours,
      statuses: statuses as DetailedStatus[],
      relatedServiceCodes: related as string[],
      enabled: b.enabled !== false,
    });
    res.json({
      radius_metres: radius,
      window_hours: windowHours,
      statuses,
      related_service_codes: related,
      enabled: b.enabled !== false,
    });
  });
  return router;
}
