/**
 * A service's response levels as the admin API edits them (issue #6): the default (services.sla_value /
 * sla_unit) and per-priority overrides (service_response_levels). A change applies to new requests and
 * to every later recomputation (priority change, resume, reopen); open requests keep their
 * expected_datetime unless the caller asks for `recomputeOpenRequests`, which reuses the same
 * recomputation as a priority change and records an internal `sla` history row per request it moves.
 */
import type { Knex } from 'knex';
import { Problems } from '../http/errors';
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

function parseLevel(raw: unknown, name: string, problems: Problems): ResponseLevel | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.add(`${name} must be an object {value, unit}.`);
    return null;
  }
  const { value, unit, ...rest } = raw as Record<string, unknown>;
  let ok = true;
  for (const key of Object.keys(rest)) {
    problems.add(`${name}: unknown field "${key}"; expected value and unit.`);
    ok = false;
  }
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_LEVEL_VALUE)) {
    problems.add(`${name}.value must be a number greater than 0 and at most ${MAX_LEVEL_VALUE}.`);
    ok = false;
  }
  if (typeof unit !== 'string' || !SLA_UNITS.includes(unit as SlaUnit)) {
    problems.add(`${name}.unit must be one of ${SLA_UNITS.join(', ')}.`);
    ok = false;
  }
  return ok ? { value: value as number, unit: unit as SlaUnit } : null;
}

/** The PUT body: both fields are required, so a forgotten one never silently removes levels. */
export function parseResponseLevels(body: unknown): ResponseLevels {
  const problems = new Problems();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.add('The body must be a JSON object {default, priorities}.');
    problems.throwIfAny();
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b))
    if (key !== 'default' && key !== 'priorities')
      problems.add(`Unknown field "${key}"; expected default and priorities.`);
  let level: ResponseLevel | null = null;
  if (!('default' in b)) problems.add('default is required: {value, unit}, or null for no default level.');
  else if (b.default !== null) level = parseLevel(b.default, 'default', problems);
  const priorities: ResponseLevels['priorities'] = {};
  const raw = b.priorities;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.add('priorities is required: an object keyed by priority ({} for none).');
  } else {
    for (const [p, v] of Object.entries(raw)) {
      if (!(PRIORITIES as readonly string[]).includes(p)) {
        problems.add(`priorities: "${p}" is not a priority; use ${PRIORITIES.join(', ')}.`);
        continue;
      }
      const parsed = parseLevel(v, `priorities.${p}`, problems);
      if (parsed) priorities[p as Priority] = parsed;
    }
  }
  problems.throwIfAny();
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
