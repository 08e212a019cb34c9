/**
 * Events for integrators, written to the outbox in the same transaction as the change (so an event is
 * never sent for a change that rolled back, nor lost for one that committed). Payloads carry no personal
 * data (receivers read details through the API), except `survey.created`, which must carry the
 * reporter's contact so the city's receiver can send the survey.
 */
import type { Knex } from 'knex';
import { sqlIsoUtc } from '../core';
import { preparedRaw } from '../db';

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
  /** Null inside a statement that supplies the request itself (intake's insert). */
  requestId: string | null;
  at: Date;
  data?: Record<string, unknown>;
}

/**
 * The outbox rows for events on requests, as an INSERT ... SELECT over `rows`, a FROM item (table or CTE)
 * with the columns id, jurisdiction_id, service_id, agency_id, status, detailed_status and priority,
 * joined to `events`, a FROM item with request_id, type, at and data (jsonb). The payload is built in
 * SQL: `occurred_at` in Date#toISOString's form, then the event's own `data`. One definition, used by
 * `emitMany` and by intake's single-statement insert.
 */
export function outboxInsertSql(rows: string, events: string): string {
  return `INSERT INTO outbox (jurisdiction_id, event_type, request_id, service_code, agency_code, created_at, payload)
     SELECT r.jurisdiction_id, e.type, r.id, s.service_code, a.code, e.at,
       jsonb_build_object(
         'event', e.type,
         'occurred_at', ${sqlIsoUtc('e.at')},
         'jurisdiction_id', r.jurisdiction_id,
         'service_request_id', r.id::text,
         'service_code', s.service_code,
         'agency_code', a.code,
         'status', r.status,
         'detailed_status', r.detailed_status,
         'priority', r.priority) || e.data
     FROM ${events} JOIN ${rows} ON r.id = e.request_id
     JOIN services s ON s.id = r.service_id
     LEFT JOIN agencies a ON a.id = r.agency_id
     ORDER BY e.n`;
}

/** The events as one jsonb parameter for EVENT_RECORDSET. */
export function eventsParam(events: EventInput[]): string {
  return JSON.stringify(
    events.map((e, i) => ({
      n: i,
      request_id: e.requestId,
      type: e.type,
      at: e.at.toISOString(),
      data: e.data ?? {},
    })),
  );
}
export const EVENT_RECORDSET =
  'jsonb_to_recordset(?::jsonb) AS e(n int, request_id bigint, type text, at timestamptz, data jsonb)';

/** Writes the events to the outbox in one statement, reading each request's current state from its row. */
export async function emitMany(trx: Knex.Transaction, events: EventInput[]): Promise<void> {
  if (events.length === 0) return;
  await preparedRaw(trx, outboxInsertSql('service_requests r', EVENT_RECORDSET), [eventsParam(events)]);
}

export function emit(trx: Knex.Transaction, e: EventInput): Promise<void> {
  return emitMany(trx, [e]);
}

/** Which event a history row means (escalations name theirs explicitly: overdue or escalated). */
export function eventForHistory(kind: string, closed: boolean): EventType {
  if (kind === 'created') return 'request.created';
  if (kind === 'escalation') return 'request.escalated';
  if (kind === 'status_change' && closed) return 'request.closed';
  return 'request.updated';
}
