/** The body of a create/replace of an escalation rule (admin API), checked and its scope resolved. */
import type { Knex } from 'knex';
import { Problems } from '../core';
import { checker } from '../core';
import { ESCALATION_ACTIONS, MAX_AT_FRACTION, type EscalationAction, type RuleInput } from './rules';

const text = (max: number) => ({ type: ['string', 'null'], maxLength: max }) as const;

export const escalationRuleSchema = {
  $id: 'sla/escalation-rule',
  type: 'object',
  additionalProperties: false,
  required: ['at_fraction', 'action'],
  properties: {
    jurisdiction_id: { type: 'string' },
    service_code: text(100),
    agency: text(100),
    at_fraction: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: MAX_AT_FRACTION,
      'x-problem': `{field} must be a number greater than 0 and at most ${MAX_AT_FRACTION} (1 = at the response level).`,
    },
    action: { type: 'string', enum: ESCALATION_ACTIONS },
    notify: text(200),
    description: text(500),
  },
} as const;

interface RuleBody {
  at_fraction: number;
  action: EscalationAction;
  service_code?: string | null;
  agency?: string | null;
  notify?: string | null;
  description?: string | null;
}

const ruleCheck = checker<RuleBody>(escalationRuleSchema);

export interface ScopeIds {
  serviceId: number | null;
  agencyId: number | null;
}

/**
 * The ids of a service code and an agency code within a jurisdiction (null when not given), adding a
 * problem naming each code that is not one of its services or agencies. Used by escalation rules and by
 * webhook filters (`agencyField` names the body's field: `agency` for rules, `agency_code` for webhooks).
 */
export async function resolveScopeCodes(
  knex: Knex,
  jurisdictionId: string,
  codes: { serviceCode: string | null; agencyCode: string | null; agencyField?: string },
  serviceIdOf: (code: string) => Promise<number | undefined>,
  problems: Problems,
): Promise<ScopeIds> {
  const ids: ScopeIds = { serviceId: null, agencyId: null };
  const { serviceCode, agencyCode, agencyField = 'agency' } = codes;
  if (serviceCode !== null) {
    ids.serviceId = (await serviceIdOf(serviceCode)) ?? null;
    if (ids.serviceId === null)
      problems.add(`service_code "${serviceCode}" is not a service of ${jurisdictionId}.`);
  }
  if (agencyCode !== null) {
    const agency = (await knex('agencies')
      .where({ jurisdiction_id: jurisdictionId, code: agencyCode })
      .first('id')) as { id: number } | undefined;
    if (agency) ids.agencyId = Number(agency.id);
    else problems.add(`${agencyField} "${agencyCode}" is not an agency code of ${jurisdictionId}.`);
  }
  return ids;
}

/**
 * Checks a create/replace body and resolves its scope (service_code or agency code, not both) within the
 * jurisdiction. Every problem is reported at once; nothing is written when there is one.
 */
export async function parseRuleInput(
  knex: Knex,
  jurisdictionId: string,
  body: unknown,
  serviceIdOf: (code: string) => Promise<number | undefined>,
): Promise<RuleInput> {
  const problems = new Problems();
  for (const p of ruleCheck.problems(body)) problems.add(p);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) problems.throwIfAny();
  // Read on when a field is wrong, so the scope is checked too and every problem is reported at once.
  const b = body as RuleBody;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const serviceCode = str(b.service_code);
  const agencyCode = str(b.agency);
  let scope: ScopeIds = { serviceId: null, agencyId: null };
  if (serviceCode !== null && agencyCode !== null) {
    problems.add('Give service_code or agency (the scope of the rule), not both.');
  } else {
    scope = await resolveScopeCodes(knex, jurisdictionId, { serviceCode, agencyCode }, serviceIdOf, problems);
  }
  const { serviceId, agencyId } = scope;
  problems.throwIfAny();
  return {
    atFraction: b.at_fraction,
    action: b.action,
    serviceId,
    agencyId,
    notify: b.notify ?? null,
    description: b.description ?? '',
  };
}
