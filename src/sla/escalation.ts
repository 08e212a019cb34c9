/**
 * The escalation ladder (issue #6): steps such as "at 75% of the response level warn the agency", "at
 * 100% mark overdue", "at 150% escalate and raise the priority". The sweep reads only requests whose
 * `next_escalation_at` has come (an index, never a scan of every open request), claims them with
 * FOR UPDATE SKIP LOCKED, and records each step in request_escalations, whose primary key makes a step
 * fire at most once per request even with several workers.
 */
import type { Knex } from 'knex';
import { appendHistory, type Actor } from '../requests/lifecycle';
import { PRIORITIES } from '../requests/lifecycle';
import { loadCalendar } from './calendar-store';
import { computeDueDate, type ResponseLevel } from './index';

export interface EscalationRule {
  id: number;
  serviceId: number | null;
  agencyId: number | null;
  atFraction: number;
  action: 'warn' | 'mark_overdue' | 'escalate' | 'raise_priority';
  notify: string | null;
  description: string;
}

const SYSTEM: Actor = { type: 'system', id: null, label: 'escalation worker', channel: null };

/** The most specific ladder wins: the service's own steps, else the agency's, else the jurisdiction's. */
export function applicableRules(
  rules: EscalationRule[],
  serviceId: number,
  agencyId: number | null,
): EscalationRule[] {
  const forService = rules.filter((r) => r.serviceId === serviceId);
  if (forService.length > 0) return forService;
  const forAgency = rules.filter((r) => r.serviceId === null && agencyId !== null && r.agencyId === agencyId);
  if (forAgency.length > 0) return forAgency;
  return rules.filter((r) => r.serviceId === null && r.agencyId === null);
}

interface DueRow {
  id: string;
  jurisdiction_id: string;
  service_id: number;
  agency_id: number | null;
  priority: string;
  requested_at: Date;
  time_zone: string;
  level_value: number | null;
  level_unit: ResponseLevel['unit'] | null;
}

async function rulesOf(trx: Knex.Transaction, jurisdictionId: string): Promise<EscalationRule[]> {
  const rows = (await trx('escalation_rules')
    .where('jurisdiction_id', jurisdictionId)
    .orderBy('at_fraction')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: Number(r.id),
    serviceId: r.service_id === null ? null : Number(r.service_id),
    agencyId: r.agency_id === null ? null : Number(r.agency_id),
    atFraction: Number(r.at_fraction),
    action: r.action as EscalationRule['action'],
    notify: (r.notify as string | null) ?? null,
    description: String(r.description ?? ''),
  }));
}

async function pausesOf(
  trx: Knex.Transaction,
  requestId: string,
): Promise<Array<{ from: Date; to: Date | null }>> {
  const rows = (await trx('request_sla_pauses')
    .where('request_id', requestId)
    .orderBy('paused_from')) as Array<{ paused_from: Date; paused_to: Date | null }>;
  return rows.map((p) => ({ from: p.paused_from, to: p.paused_to }));
}

async function fire(trx: Knex.Transaction, r: DueRow, rule: EscalationRule, now: Date): Promise<void> {
  const pct = Math.round(rule.atFraction * 100);
  const summary = `${rule.description || rule.action} at ${pct}% of the response level${rule.notify ? ` (notify ${rule.notify})` : ''}`;
  if (rule.action === 'mark_overdue')
    await trx('service_requests').where('id', r.id).update({ overdue: true });
  if (rule.action === 'raise_priority') {
    const next =
      PRIORITIES[
        Math.min(PRIORITIES.indexOf(r.priority as (typeof PRIORITIES)[number]) + 1, PRIORITIES.length - 1)
      ];
    await trx('service_requests').where('id', r.id).update({ priority: next });
  }
  await appendHistory(trx, { id: r.id, jurisdiction_id: r.jurisdiction_id }, now, SYSTEM, {
    kind: 'escalation',
    public: false,
    summary,
    data: { rule_id: rule.id, action: rule.action, at_fraction: rule.atFraction, notify: rule.notify },
    event: rule.action === 'mark_overdue' ? 'request.overdue' : 'request.escalated',
  });
}

/** One sweep: fires every due step of every due request (up to `limit` requests) and schedules the next. */
export async function sweepEscalations(knex: Knex, now: Date, limit = 1000): Promise<number> {
  return knex.transaction(async (trx) => {
    const due = (await trx('service_requests as r')
      .join('jurisdictions as j', 'j.id', 'r.jurisdiction_id')
      .join('services as s', 's.id', 'r.service_id')
      .leftJoin('service_response_levels as l', (on) =>
        on.on('l.service_id', 'r.service_id').andOn('l.priority', 'r.priority'),
      )
      .where('r.next_escalation_at', '<=', now)
      .orderBy('r.next_escalation_at')
      .limit(limit)
      .forUpdate('r')
      .skipLocked()
      .select(
        trx.raw('r.id::text AS id'),
        'r.jurisdiction_id',
        'r.service_id',
        'r.agency_id',
        'r.priority',
        'r.requested_at',
        'j.time_zone',
        trx.raw('coalesce(l.value, s.sla_value) AS level_value'),
        trx.raw('coalesce(l.unit, s.sla_unit) AS level_unit'),
        'r.status',
        'r.paused_at',
      )) as Array<DueRow & { status: string; paused_at: Date | null }>;
    let fired = 0;
    const rulesByJurisdiction = new Map<string, EscalationRule[]>();
    for (const r of due) {
      if (r.status !== 'open' || r.paused_at !== null || r.level_value === null || r.level_unit === null) {
        await trx('service_requests').where('id', r.id).update({ next_escalation_at: null });
        continue;
      }
      let all = rulesByJurisdiction.get(r.jurisdiction_id);
      if (!all) {
        all = await rulesOf(trx, r.jurisdiction_id);
        rulesByJurisdiction.set(r.jurisdiction_id, all);
      }
      const rules = applicableRules(
        all,
        Number(r.service_id),
        r.agency_id === null ? null : Number(r.agency_id),
      );
      const done = new Set(
        (
          (await trx('request_escalations').where('request_id', r.id).select('rule_id')) as Array<{
            rule_id: number;
          }>
        ).map((x) => Number(x.rule_id)),
      );
      const cal = await loadCalendar(trx, r.jurisdiction_id, r.time_zone, now.getTime());
      const pauses = await pausesOf(trx, r.id);
      let next: Date | null = null;
      for (const rule of rules.filter((x) => !done.has(x.id))) {
        const at = computeDueDate(
          r.requested_at,
          { value: Number(r.level_value) * rule.atFraction, unit: r.level_unit },
          cal,
          pauses,
        );
        if (at <= now) {
          const inserted = (await trx('request_escalations')
            .insert({ request_id: r.id, rule_id: rule.id, fired_at: now })
            .onConflict(['request_id', 'rule_id'])
            .ignore()
            .returning('rule_id')) as unknown[];
          if (inserted.length > 0) {
            await fire(trx, r, rule, now);
            fired += 1;
          }
        } else if (next === null || at < next) {
          next = at;
        }
      }
      await trx('service_requests').where('id', r.id).update({ next_escalation_at: next });
    }
    return fired;
  });
}

/** The demo ladder (Des Moines / Kansas City practice): warn at 75%, overdue at 100%, escalate at 150%. */
export const DEFAULT_LADDER: Array<Pick<EscalationRule, 'atFraction' | 'action' | 'notify' | 'description'>> =
  [
    { atFraction: 0.75, action: 'warn', notify: 'assigned agency', description: 'Warn the assigned agency' },
    {
      atFraction: 1,
      action: 'mark_overdue',
      notify: 'supervisor',
      description: 'Overdue: notify the supervisor',
    },
    { atFraction: 1.5, action: 'escalate', notify: 'director', description: 'Escalate to the director' },
    { atFraction: 1.5, action: 'raise_priority', notify: null, description: 'Raise the priority' },
  ];
