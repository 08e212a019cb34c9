/**
 * The escalation ladder as the admin API edits it (issue #6): rules of a jurisdiction, optionally scoped
 * to one service or one agency (the sweep picks the most specific ladder, see `applicableRules`).
 *
 * The sweep only reads requests whose `next_escalation_at` has come, so every change reschedules the open,
 * unpaused requests the change can touch (next_escalation_at = now, one UPDATE, same transaction); the
 * next sweep then recomputes their next step. A step already fired for a request stays fired: an edited
 * rule keeps its id and its request_escalations rows. Deleting a rule cascades to those rows; the firing
 * itself stays in the append-only request_history (data.rule_id).
 */
import type { Knex } from 'knex';
import { notFound } from '../core';
import { rescheduleEscalations } from '../requests';

export const ESCALATION_ACTIONS = ['warn', 'mark_overdue', 'escalate', 'raise_priority'] as const;
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];
export const MAX_AT_FRACTION = 10;

/** A rule on the wire (admin API). */
export interface EscalationRuleView {
  id: string;
  jurisdiction_id: string;
  service_code: string | null;
  agency: string | null;
  at_fraction: number;
  action: EscalationAction;
  notify: string | null;
  description: string;
}

export interface RuleScope {
  serviceId: number | null;
  agencyId: number | null;
}

export interface RuleInput extends RuleScope {
  atFraction: number;
  action: EscalationAction;
  notify: string | null;
  description: string;
}

export interface RuleFilters {
  jurisdictionId?: string;
  serviceCode?: string;
  agency?: string;
}

const ruleViews = (knex: Knex) =>
  knex('escalation_rules as e')
    .leftJoin('services as s', 's.id', 'e.service_id')
    .leftJoin('agencies as a', 'a.id', 'e.agency_id')
    .select(
      knex.raw('e.id::text AS id'),
      'e.jurisdiction_id',
      's.service_code',
      'a.code as agency',
      'e.at_fraction',
      'e.action',
      'e.notify',
      'e.description',
    );

const toView = (r: EscalationRuleView): EscalationRuleView => ({ ...r, at_fraction: Number(r.at_fraction) });

export async function listRules(knex: Knex, f: RuleFilters): Promise<EscalationRuleView[]> {
  const q = ruleViews(knex);
  if (f.jurisdictionId !== undefined) q.where('e.jurisdiction_id', f.jurisdictionId);
  if (f.serviceCode !== undefined) q.where('s.service_code', f.serviceCode);
  if (f.agency !== undefined) q.where('a.code', f.agency);
  const rows = (await q.orderBy([
    'e.jurisdiction_id',
    'e.at_fraction',
    { column: 'e.id', order: 'asc' },
  ])) as EscalationRuleView[];
  return rows.map(toView);
}

const validId = (id: string): boolean => /^\d{1,18}$/.test(id);
const missing = (id: string) => notFound(`Escalation rule "${id}" was not found.`);

/**
 * A rule by id; `scope` (a bound key's jurisdiction) finds only that jurisdiction's rules, so another
 * city's rule is not there for it (404, as a request or a webhook by id), never a 403 naming its city.
 */
export async function getRule(
  knex: Knex,
  id: string,
  scope: string | null = null,
): Promise<EscalationRuleView> {
  const q = ruleViews(knex).where('e.id', id);
  if (scope !== null) q.where('e.jurisdiction_id', scope);
  const row = validId(id) ? ((await q.first()) as EscalationRuleView | undefined) : undefined;
  if (!row) throw missing(id);
  return toView(row);
}

const columns = (input: RuleInput) => ({
  service_id: input.serviceId,
  agency_id: input.agencyId,
  at_fraction: input.atFraction,
  action: input.action,
  notify: input.notify,
  description: input.description,
});

export async function createRule(
  knex: Knex,
  jurisdictionId: string,
  input: RuleInput,
  now: Date,
): Promise<EscalationRuleView> {
  const id = await knex.transaction(async (trx) => {
    const [row] = (await trx('escalation_rules')
      .insert({ jurisdiction_id: jurisdictionId, ...columns(input) })
      .returning(trx.raw('id::text AS id'))) as Array<{ id: string }>;
    await rescheduleEscalations(trx, jurisdictionId, [input], now);
    return row?.id as string;
  });
  return getRule(knex, id);
}

async function lockRule(trx: Knex.Transaction, id: string): Promise<RuleScope & { jurisdictionId: string }> {
  const row = validId(id)
    ? ((await trx('escalation_rules')
        .where('id', id)
        .forUpdate()
        .first('jurisdiction_id', 'service_id', 'agency_id')) as
        { jurisdiction_id: string; service_id: number | null; agency_id: number | null } | undefined)
    : undefined;
  if (!row) throw missing(id);
  return {
    jurisdictionId: row.jurisdiction_id,
    serviceId: row.service_id === null ? null : Number(row.service_id),
    agencyId: row.agency_id === null ? null : Number(row.agency_id),
  };
}

/** Replaces a rule; requests of its old and its new scope are rescheduled. */
export async function replaceRule(
  knex: Knex,
  id: string,
  input: RuleInput,
  now: Date,
): Promise<EscalationRuleView> {
  await knex.transaction(async (trx) => {
    const old = await lockRule(trx, id);
    await trx('escalation_rules').where('id', id).update(columns(input));
    await rescheduleEscalations(trx, old.jurisdictionId, [old, input], now);
  });
  return getRule(knex, id);
}

export async function deleteRule(knex: Knex, id: string, now: Date): Promise<void> {
  await knex.transaction(async (trx) => {
    const old = await lockRule(trx, id);
    await trx('escalation_rules').where('id', id).delete();
    await rescheduleEscalations(trx, old.jurisdictionId, [old], now);
  });
}
