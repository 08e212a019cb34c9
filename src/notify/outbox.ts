/**
 * Events for integrators, written to the outbox in the same transaction as the change (so an event is
 * never sent for a change that rolled back, nor lost for one that committed). Payloads carry no personal
 * data (receivers read details through the API), except `survey.created`, which must carry the
 * reporter's contact so the city's receiver can send the survey.
 */
import type { Knex } from 'knex';

export const EVENT_TYPES = [
  'request.created',
  'request.updated',
  'request.closed',
  'request.overdue',
  'request.escalated',
  'survey.created',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventInput {
  type: EventType;
  requestId: string;
  at: Date;
  data?: Record<string, unknown>;
}

export async function emit(trx: Knex.Transaction, e: EventInput): Promise<void> {
  const r = (await trx('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .leftJoin('agencies as a', 'a.id', 'r.agency_id')
    .where('r.id', e.requestId)
    .first(
      'r.jurisdiction_id',
      's.service_code',
      'a.code as agency_code',
      'r.detailed_status',
      'r.status',
      'r.priority',
      's.is_private',
    )) as
    | {
        jurisdiction_id: string;
        service_code: string;
        agency_code: string | null;
        detailed_status: string;
        status: string;
        priority: string;
        is_private: boolean;
      }
    | undefined;
  if (!r) return;
  await trx('outbox').insert({
    jurisdiction_id: r.jurisdiction_id,
    event_type: e.type,
    request_id: e.requestId,
    service_code: r.service_code,
    agency_code: r.agency_code,
    created_at: e.at,
    payload: JSON.stringify({
      event: e.type,
      occurred_at: e.at.toISOString(),
      jurisdiction_id: r.jurisdiction_id,
      service_request_id: String(e.requestId),
      service_code: r.service_code,
      agency_code: r.agency_code,
      status: r.status,
      detailed_status: r.detailed_status,
      priority: r.priority,
      ...(e.data ?? {}),
    }),
  });
}

/** Which event a history row means (escalations name theirs explicitly: overdue or escalated). */
export function eventForHistory(kind: string, closed: boolean): EventType {
  if (kind === 'created') return 'request.created';
  if (kind === 'escalation') return 'request.escalated';
  if (kind === 'status_change' && closed) return 'request.closed';
  return 'request.updated';
}
