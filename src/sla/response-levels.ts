/**
 * A service's response levels as the admin API edits them (issue #6): the default (services.sla_value /
 * sla_unit) and per-priority overrides (service_response_levels). A change applies to new requests and
 * to every later recomputation (priority change, resume, reopen); open requests keep their
 * expected_datetime unless the caller asks for `recomputeOpenRequests`, which reuses the same
 * recomputation as a priority change and records an internal `sla` history row per request it moves.
 */
import { checker } from '../core';
import type { ResponseLevel, SlaUnit } from './business-calendar';
import { PRIORITIES, type Priority } from './levels';

export const SLA_UNITS: readonly SlaUnit[] = ['hours', 'business_hours', 'business_days', 'calendar_days'];
/** The largest level value; whether a business level fits in 20 years depends on the calendar (levelProblem). */
export const MAX_LEVEL_VALUE = 3650;

export interface ResponseLevels {
  default: ResponseLevel | null;
  priorities: Partial<Record<Priority, ResponseLevel>>;
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
