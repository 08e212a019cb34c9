/**
 * The escalation ladder (issue #6): steps such as "at 75% of the response level warn the agency", "at
 * 100% mark overdue", "at 150% escalate and raise the priority". The sweep reads only requests whose
 * `next_escalation_at` has come (an index, never a scan of every open request), claims them with
 * FOR UPDATE SKIP LOCKED, and records each step in request_escalations, whose primary key makes a step
 * fire at most once per request even with several workers.
 */
import type { Knex } from 'knex';
import { applyEscalations, recordChanges, type Actor, type Change } from '../requests';
import {
  dueDateOrNull,
  LEVEL_COLUMNS,
  LEVEL_JOIN,
  raisedPriority,
  type Calendars,
  type ResponseLevel,
} from '../sla';

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
  status: string;
  paused_at: Date | null;
  /** Rule ids already fired for this request, and its SLA pauses (jsonb). */
  done: unknown;
  pauses: unknown;
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

/** jsonb arrives parsed from pg, and may arrive as text elsewhere. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

function stepSummary(rule: EscalationRule): string {
  const pct = Math.round(rule.atFraction * 100);
  return `${rule.description || rule.action} at ${pct}% of the response level${rule.notify ? ` (notify ${rule.notify})` : ''}`;
}

interface Plan {
  id: string;
  next: Date | null;
  steps: EscalationRule[];
}

/**
 * One sweep: fires every due step of every due request (up to `limit` requests) and schedules the next.
 * Set-based: one claiming read (with each request's fired steps and pauses), then one statement each for
 * the step claims, the request updates, the history rows and the outbox rows, however many are due.
 * The claim (INSERT ... ON CONFLICT DO NOTHING RETURNING) decides what fires, so a step another worker
 * already fired is never fired twice.
 */
export async function sweepEscalations(
  knex: Knex,
  now: Date,
  calendars: Calendars,
  limit = 1000,
): Promise<number> {
  return knex.transaction(async (trx) => {
    const due = (
      await trx.raw(
        `SELECT r.id::text AS id, r.jurisdiction_id, r.service_id, r.agency_id, r.priority, r.requested_at,
           j.time_zone, ${LEVEL_COLUMNS},
           r.status, r.paused_at,
           coalesce((SELECT jsonb_agg(e.rule_id) FROM request_escalations e WHERE e.request_id = r.id), '[]'::jsonb) AS done,
           coalesce((SELECT jsonb_agg(jsonb_build_object('from', p.paused_from, 'to', p.paused_to) ORDER BY p.paused_from)
                     FROM request_sla_pauses p WHERE p.request_id = r.id), '[]'::jsonb) AS pauses
         FROM service_requests r
         JOIN jurisdictions j ON j.id = r.jurisdiction_id
         JOIN services s ON s.id = r.service_id
         ${LEVEL_JOIN}
         WHERE r.next_escalation_at <= ?
         ORDER BY r.next_escalation_at
         LIMIT ?
         FOR UPDATE OF r SKIP LOCKED`,
        [now, limit],
      )
    ).rows as DueRow[];
    if (due.length === 0) return 0;

    const rulesByJurisdiction = new Map<string, EscalationRule[]>();
    const plans: Plan[] = [];
    for (const r of due) {
      if (r.status !== 'open' || r.paused_at !== null || r.level_value === null || r.level_unit === null) {
        plans.push({ id: r.id, next: null, steps: [] });
        continue;
      }
      let all = rulesByJurisdiction.get(r.jurisdiction_id);
      if (!all) {
        all = await rulesOf(trx, r.jurisdiction_id);
        rulesByJurisdiction.set(r.jurisdiction_id, all);
      }
      const done = new Set(json<Array<number | string>>(r.done).map(Number));
      const pauses = json<Array<{ from: string; to: string | null }>>(r.pauses).map((p) => ({
        from: new Date(p.from),
        to: p.to === null ? null : new Date(p.to),
      }));
      const cal = await calendars.get(r.jurisdiction_id, r.time_zone, trx);
      const plan: Plan = { id: r.id, next: null, steps: [] };
      for (const rule of applicableRules(
        all,
        Number(r.service_id),
        r.agency_id === null ? null : Number(r.agency_id),
      )) {
        if (done.has(rule.id)) continue;
        // null: the calendar does not reach this step within 20 years, so it is never due.
        const at = dueDateOrNull(
          r.requested_at,
          { value: Number(r.level_value) * rule.atFraction, unit: r.level_unit },
          cal,
          pauses,
          now, // an open pause counts up to the sweep's clock
        );
        if (at === null) continue;
        if (at <= now) plan.steps.push(rule);
        else if (plan.next === null || at < plan.next) plan.next = at;
      }
      plans.push(plan);
    }

    // Claim every due step at once; only what this worker inserted fires.
    const wanted = plans.flatMap((p) => p.steps.map((rule) => ({ request_id: p.id, rule_id: rule.id })));
    const claimed = new Set<string>();
    if (wanted.length > 0) {
      const rows = (
        await trx.raw(
          `INSERT INTO request_escalations (request_id, rule_id, fired_at)
           SELECT w.request_id, w.rule_id, ? FROM jsonb_to_recordset(?::jsonb) AS w(request_id bigint, rule_id bigint)
           ON CONFLICT (request_id, rule_id) DO NOTHING
           RETURNING request_id::text AS request_id, rule_id::text AS rule_id`,
          [now, JSON.stringify(wanted)],
        )
      ).rows as Array<{ request_id: string; rule_id: string }>;
      for (const c of rows) claimed.add(`${c.request_id}:${c.rule_id}`);
    }
    const byId = new Map(due.map((r) => [r.id, r]));
    const updates: Array<{ id: string; next: Date | null; overdue: boolean; priority: string | null }> = [];
    const changes: Change[] = [];
    for (const p of plans) {
      const fired = p.steps.filter((rule) => claimed.has(`${p.id}:${rule.id}`));
      const raises = fired.filter((rule) => rule.action === 'raise_priority').length;
      const r = byId.get(p.id) as DueRow;
      updates.push({
        id: p.id,
        next: p.next,
        overdue: fired.some((rule) => rule.action === 'mark_overdue'),
        priority: raises > 0 ? raisedPriority(r.priority, raises) : null,
      });
      for (const rule of fired) {
        changes.push({
          request: { id: p.id, jurisdiction_id: r.jurisdiction_id },
          entry: {
            kind: 'escalation',
            public: false,
            summary: stepSummary(rule),
            data: {
              rule_id: rule.id,
              action: rule.action,
              at_fraction: rule.atFraction,
              notify: rule.notify,
            },
            event: rule.action === 'mark_overdue' ? 'request.overdue' : 'request.escalated',
          },
        });
      }
    }
    await applyEscalations(trx, updates);
    await recordChanges(trx, now, SYSTEM, changes);
    return changes.length;
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
