/** The body of a create/replace of an escalation rule (admin API), checked and its scope resolved. */
import type { Knex } from 'knex';
import { Problems } from '../core';
import { ESCALATION_ACTIONS, MAX_AT_FRACTION, type EscalationAction, type RuleInput } from './rules';

const FIELDS: ReadonlySet<string> = new Set([
  'jurisdiction_id',
  'service_code',
  'agency',
  'at_fraction',
  'action',
  'notify',
  'description',
]);

const optionalText = (
  b: Record<string, unknown>,
  name: string,
  max: number,
  problems: Problems,
): string | null => {
  const v = b[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max) {
    problems.add(`${name} must be text of at most ${max} characters.`);
    return null;
  }
  return v;
};

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
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.add('The body must be a JSON object.');
    problems.throwIfAny();
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b))
    if (!FIELDS.has(key)) problems.add(`Unknown field "${key}"; expected ${[...FIELDS].join(', ')}.`);

  const atFraction = b.at_fraction;
  if (typeof atFraction !== 'number' || !(atFraction > 0 && atFraction <= MAX_AT_FRACTION))
    problems.add(
      `at_fraction must be a number greater than 0 and at most ${MAX_AT_FRACTION} (1 = at the response level).`,
    );
  const action = b.action;
  if (typeof action !== 'string' || !(ESCALATION_ACTIONS as readonly string[]).includes(action))
    problems.add(`action must be one of ${ESCALATION_ACTIONS.join(', ')}.`);

  const serviceCode = optionalText(b, 'service_code', 100, problems);
  const agencyCode = optionalText(b, 'agency', 100, problems);
  let serviceId: number | null = null;
  let agencyId: number | null = null;
  if (serviceCode !== null && agencyCode !== null) {
    problems.add('Give service_code or agency (the scope of the rule), not both.');
  } else if (serviceCode !== null) {
    serviceId = (await serviceIdOf(serviceCode)) ?? null;
    if (serviceId === null)
      problems.add(`service_code "${serviceCode}" is not a service of ${jurisdictionId}.`);
  } else if (agencyCode !== null) {
    const agency = (await knex('agencies')
      .where({ jurisdiction_id: jurisdictionId, code: agencyCode })
      .first('id')) as { id: number } | undefined;
    if (agency) agencyId = Number(agency.id);
    else problems.add(`agency "${agencyCode}" is not an agency code of ${jurisdictionId}.`);
  }
  const notify = optionalText(b, 'notify', 200, problems);
  const description = optionalText(b, 'description', 500, problems) ?? '';
  problems.throwIfAny();
  return {
    atFraction: atFraction as number,
    action: action as EscalationAction,
    serviceId,
    agencyId,
    notify,
    description,
  };
}
