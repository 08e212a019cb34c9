/**
 * A service's response levels as stored: the default on the service row (sla_value, sla_unit) and the
 * per-priority overrides (service_response_levels). The rule that picks one for a request is sla/levels.ts.
 */
import type { Knex } from 'knex';
import { AppError } from '../core';
import {
  levelProblem,
  PRIORITIES,
  readCalendar,
  type BusinessCalendar,
  type Priority,
  type ResponseLevel,
  type ResponseLevels,
} from '../sla';

import type { SlaUnit } from './types';

export async function loadResponseLevels(knex: Knex, serviceId: number): Promise<ResponseLevels> {
  const service = (await knex('services').where('id', serviceId).first('sla_value', 'sla_unit')) as
    { sla_value: number | null; sla_unit: SlaUnit | null } | undefined;
  const rows = (await knex('service_response_levels')
    .where('service_id', serviceId)
    .select('priority', 'value', 'unit')) as Array<{ priority: Priority; value: number; unit: SlaUnit }>;
  const priorities: ResponseLevels['priorities'] = {};
  for (const p of PRIORITIES) {
    const row = rows.find((r) => r.priority === p);
    if (row) priorities[p] = { value: Number(row.value), unit: row.unit };
  }
  return {
    default:
      service && service.sla_value !== null && service.sla_unit !== null
        ? { value: Number(service.sla_value), unit: service.sla_unit }
        : null,
    priorities,
  };
}

/** Replaces the default and the overrides in one transaction; bumps the service so caches elsewhere see it. */
export async function replaceResponseLevels(
  knex: Knex,
  serviceId: number,
  levels: ResponseLevels,
  check?: { jurisdictionId: string; at: Date },
): Promise<void> {
  await knex.transaction(async (trx) => {
    if (check)
      await assertLevelsReachable(
        trx,
        check.jurisdictionId,
        [
          { where: 'default', level: levels.default },
          ...Object.entries(levels.priorities).map(([p, level]) => ({ where: `priorities.${p}`, level })),
        ],
        check.at,
      );
    await trx('services')
      .where('id', serviceId)
      .update({
        sla_value: levels.default?.value ?? null,
        sla_unit: levels.default?.unit ?? null,
        version: trx.raw('version + 1'),
        updated_at: trx.fn.now(),
      });
    await trx('service_response_levels').where('service_id', serviceId).delete();
    const rows = Object.entries(levels.priorities).map(([priority, l]) => ({
      service_id: serviceId,
      priority,
      value: l.value,
      unit: l.unit,
    }));
    if (rows.length > 0) await trx('service_response_levels').insert(rows);
  });
}

/** A response level and where it is said (a field of a document, or a service and priority). */
export interface PlacedLevel {
  where: string;
  level: ResponseLevel | null;
}

/** Every response level of a jurisdiction's services (active or not), named "service CODE (default)" etc. */
export async function jurisdictionLevels(knex: Knex, jurisdictionId: string): Promise<PlacedLevel[]> {
  const services = (await knex('services')
    .where('jurisdiction_id', jurisdictionId)
    .whereNotNull('sla_value')
    .orderBy('service_code')
    .select('service_code', 'sla_value', 'sla_unit')) as Array<{
    service_code: string;
    sla_value: number;
    sla_unit: ResponseLevel['unit'];
  }>;
  const overrides = (await knex('service_response_levels as l')
    .join('services as s', 's.id', 'l.service_id')
    .where('s.jurisdiction_id', jurisdictionId)
    .orderBy(['s.service_code', 'l.priority'])
    .select('s.service_code', 'l.priority', 'l.value', 'l.unit')) as Array<{
    service_code: string;
    priority: string;
    value: number;
    unit: ResponseLevel['unit'];
  }>;
  return [
    ...services.map((s) => ({
      where: `service ${s.service_code} (default)`,
      level: { value: Number(s.sla_value), unit: s.sla_unit },
    })),
    ...overrides.map((o) => ({
      where: `service ${o.service_code} (priority ${o.priority})`,
      level: { value: Number(o.value), unit: o.unit },
    })),
  ];
}

/**
 * The sentences that refuse levels `cal` does not reach within 20 years from `at` (empty when all are
 * reachable); a level seen twice is worked out once.
 */
export function unreachableLevels(levels: PlacedLevel[], cal: BusinessCalendar, at: Date): string[] {
  const seen = new Map<string, string | null>();
  const out: string[] = [];
  for (const { where, level } of levels) {
    if (!level) continue;
    const key = `${level.value} ${level.unit}`;
    if (!seen.has(key)) seen.set(key, levelProblem(level, cal, at));
    const problem = seen.get(key);
    if (problem) out.push(`${where}: ${problem}`);
  }
  return out;
}

/**
 * Refuses (400, one sentence per level) response levels that the jurisdiction's business calendar does
 * not reach within 20 years: every request of such a level would have no due time.
 */
export async function assertLevelsReachable(
  knex: Knex,
  jurisdictionId: string,
  levels: PlacedLevel[],
  at: Date,
): Promise<void> {
  if (!levels.some((l) => l.level !== null && l.level.unit.startsWith('business_'))) return;
  const j = (await knex('jurisdictions').where('id', jurisdictionId).first('time_zone')) as
    { time_zone: string } | undefined;
  if (!j) return;
  const problems = unreachableLevels(levels, await readCalendar(knex, jurisdictionId, j.time_zone), at);
  if (problems.length > 0)
    throw new AppError(400, [
      ...problems,
      `Shorten the level or give ${jurisdictionId}'s business calendar more working time ` +
        `(PUT /admin/v1/jurisdictions/${jurisdictionId}/calendar).`,
    ]);
}
