/**
 * A service's response levels as the admin API edits them (issue #6): the default (services.sla_value /
 * sla_unit) and per-priority overrides (service_response_levels). A change applies to new requests and
 * to every later recomputation (priority change, resume, reopen); open requests keep their
 * expected_datetime unless the caller asks for `recomputeOpenRequests`, which reuses the same
 * recomputation as a priority change and records an internal `sla` history row per request it moves.
 */
import { Problems } from '../core';
import type { ResponseLevel, SlaUnit } from './business-calendar';
import { PRIORITIES, type Priority } from './levels';

export const SLA_UNITS: readonly SlaUnit[] = ['hours', 'business_hours', 'business_days', 'calendar_days'];
/** Due dates are walked day by day up to 20 years (sla/due-date.ts); 3650 of any unit stays inside. */
export const MAX_LEVEL_VALUE = 3650;

export interface ResponseLevels {
  default: ResponseLevel | null;
  priorities: Partial<Record<Priority, ResponseLevel>>;
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
