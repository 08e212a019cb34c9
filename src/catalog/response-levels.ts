/**
 * A service's response levels as stored: the default on the service row (sla_value, sla_unit) and the
 * per-priority overrides (service_response_levels). The rule that picks one for a request is sla/levels.ts.
 */
import type { Knex } from 'knex';
import { PRIORITIES, type Priority, type ResponseLevels } from '../sla';

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
): Promise<void> {
  await knex.transaction(async (trx) => {
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
