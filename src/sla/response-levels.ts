/**
 * A service's response levels as the admin API edits them (issue #6): the default (services.sla_value /
 * sla_unit) and per-priority overrides (service_response_levels). A change applies to new requests and
 * to every later recomputation (priority change, resume, reopen); open requests keep their
 * expected_datetime unless the caller asks for `recomputeOpenRequests`, which reuses the same
 * recomputation as a priority change and records an internal `sla` history row per request it moves.
 */
import type { Knex } from 'knex';
import { checker } from '../http/validation';
import { appendHistory, PRIORITIES, type Actor, type Priority } from '../requests/lifecycle';
import type { ResponseLevel, SlaUnit } from './business-calendar';
import type { DetailedStatus } from '../requests/statuses';
import { recomputeResponseLevel } from './recompute';

export const SLA_UNITS: readonly SlaUnit[] = ['hours', 'business_hours', 'business_days', 'calendar_days'];
/** Due dates are walked day by day up to 20 years (sla/due-date.ts); 3650 of any unit stays inside. */
export const MAX_LEVEL_VALUE = 3650;

export interface ResponseLevels {
  default: ResponseLevel | null;
  priorities: Partial<Record<Priority, ResponseLevel>>;
}

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

const levelSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'unit'],
  properties: {
    value: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: MAX_LEVEL_VALUE,
      'x-problem': `{field} must be a number greater than 0 and at most ${MAX_LEVEL_VALUE}.`,
    },
    unit: { type: 'string', enum: SLA_UNITS, 'x-problem': `{field} must be one of ${SLA_UNITS.join(', ')}.` },
  },
} as const;

/** The PUT body: both fields are required, so a forgotten one never silently removes levels. */
export const responseLevelsSchema = {
  $id: 'sla/response-levels',
  type: 'object',
  additionalProperties: false,
  required: ['default', 'priorities'],
  properties: {
    default: { ...levelSchema, type: ['object', 'null'] },
    priorities: {
      type: 'object',
      additionalProperties: false,
      'x-unknown': `{field}: "{key}" is not a priority; use ${PRIORITIES.join(', ')}.`,
      properties: Object.fromEntries(PRIORITIES.map((p) => [p, levelSchema])),
    },
  },
} as const;

const responseLevelsCheck = checker<ResponseLevels>(responseLevelsSchema);

export function parseResponseLevels(body: unknown): ResponseLevels {
  const { default: level, priorities } = responseLevelsCheck.parse(body);
  const ordered: ResponseLevels['priorities'] = {};
  for (const p of PRIORITIES) if (priorities[p]) ordered[p] = priorities[p];
  return { default: level, priorities: ordered };
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

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * Recomputes expected_datetime of the service's open requests, `batchSize` at a time, each batch its own
 * short transaction (row locks are held briefly, so staff edits are not blocked by a large service).
 * Running it again is harmless. Returns how many requests' expected_datetime changed.
 */
export async function recomputeOpenRequests(
  knex: Knex,
  serviceId: number,
  now: Date,
  actor: Actor,
  batchSize = 500,
): Promise<number> {
  let after = '0';
  let changed = 0;
  for (;;) {
    const seen = await knex.transaction(async (trx) => {
      const rows = (await trx('service_requests')
        .where({ service_id: serviceId, status: 'open' })
        .where('id', '>', after)
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .select(trx.raw('id::text AS id'), 'jurisdiction_id', 'detailed_status', 'expected_at')) as Array<{
        id: string;
        jurisdiction_id: string;
        detailed_status: DetailedStatus;
        expected_at: Date | null;
      }>;
      for (const r of rows) {
        const expected = await recomputeResponseLevel(trx, r.id, now);
        if (iso(expected) === iso(r.expected_at)) continue;
        changed += 1;
        await appendHistory(trx, r, now, actor, {
          kind: 'sla',
          public: false,
          detailedStatus: r.detailed_status,
          summary: expected
            ? `Response level changed: expected by ${expected.toISOString()}`
            : 'Response level removed: no expected time',
          data: { from_expected_at: iso(r.expected_at), expected_at: iso(expected) },
        });
      }
      return rows;
    });
    if (seen.length < batchSize) return changed;
    after = seen[seen.length - 1]?.id as string;
  }
}
