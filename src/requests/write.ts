import type { Knex } from 'knex';
import { geographyPoint } from '../geo';
import type { ResolvedLocation } from './location';
import { EVENT_RECORDSET, eventsParam, outboxInsertSql } from '../notify';
import { preparedRaw } from '../db';
import {
  eventsFor,
  historyInsertSql,
  historyRows,
  sqlText,
  SUPPORTER_SUMMARY,
  type Actor,
  type HistoryEntry,
} from './record';
import type { Contact } from './types';
import type { DetailedStatus } from './statuses';

/** Everything needed to create a request, already validated (also stored as a batch token's submission). */
export interface NewRequest {
  jurisdictionId: string;
  serviceId: number;
  agencyId: number | null;
  description: string | null;
  requestedAt: Date | string;
  expectedAt: Date | string | null;
  serviceNotice: string | null;
  location: ResolvedLocation;
  mediaUrls: string[];
  channel: string;
  apiKeyId: number | null;
  actorLabel: string;
  attributes: Record<string, unknown>;
  clientRequestId: string | null;
  /** Hash of the submission behind clientRequestId: a reuse with another body is a conflict. */
  clientRequestFingerprint?: string | null;
  contact: Contact;
  /**
   * Set when the report matches an open request under the duplicate rule: it is linked to it, stays open
   * and takes the parent's status (`parentStatus`), which it follows from then on.
   */
  parentRequestId?: string | null;
  parentStatus?: DetailedStatus | null;
}

const DUPLICATE_CHECK: Actor = { type: 'system', id: null, label: 'duplicate check', channel: null };
const GEOGRAPHY_CHECK: Actor = { type: 'system', id: null, label: 'geography check', channel: null };

/** The history of a new request: received, linked to the report it repeats, location notes for staff. */
function creationEntries(plan: NewRequest): HistoryEntry[] {
  return [
    {
      kind: 'created',
      public: false,
      detailedStatus: 'open',
      summary: `Request received (${plan.channel})`,
      eventData: { channel: plan.channel },
    },
    ...(plan.parentRequestId
      ? [
          {
            kind: 'link',
            public: false,
            detailedStatus: plan.parentStatus ?? ('open' as const),
            summary: `Linked to ${plan.parentRequestId}, an earlier report of the same problem; it follows that request`,
            actor: DUPLICATE_CHECK,
            event: null,
          },
        ]
      : []),
    ...plan.location.staffNotes.map((n) => ({
      kind: 'note',
      public: false,
      detailedStatus: 'open' as const,
      summary: 'Location check',
      description: n,
      actor: GEOGRAPHY_CHECK,
      event: null,
    })),
  ];
}

/**
 * Inserts the request, its contact row, its history and its events as ONE statement (data-modifying CTEs:
 * atomic by itself, one round trip on the hot path, prepared once per connection for each set of columns).
 * The history rows and events are those `recordChange` would write for the same entries (`creationEntries`),
 * through the same generators. A duplicate also counts as a supporter of its parent in the same statement:
 * the parent's supporter_count, a `supporter` history entry and its event (the `u` CTEs; no rows when there
 * is no parent), its summary filled in SQL from the same template links.ts fills in TypeScript. Returns the
 * new id, or null when an identical idempotent submission already exists.
 */
export async function insertRequest(knex: Knex | Knex.Transaction, plan: NewRequest): Promise<string | null> {
  const loc = plan.location;
  const insert = knex
    .insert({
      jurisdiction_id: plan.jurisdictionId,
      service_id: plan.serviceId,
      agency_id: plan.agencyId,
      description: plan.description,
      service_notice: plan.serviceNotice,
      requested_at: plan.requestedAt,
      updated_at: plan.requestedAt,
      expected_at: plan.expectedAt,
      address: loc.address,
      address_id: loc.addressId,
      zipcode: loc.zipcode,
      location: loc.point ? geographyPoint(knex, loc.point) : null,
      media_urls: plan.mediaUrls,
      channel: plan.channel,
      api_key_id: plan.apiKeyId,
      attributes: JSON.stringify(plan.attributes),
      districts: JSON.stringify(loc.districts),
      location_match: loc.match,
      location_accuracy_m: loc.accuracyM,
      client_request_id: plan.clientRequestId,
      client_request_fingerprint: plan.clientRequestFingerprint ?? null,
      // The escalation sweep schedules the first ladder step from here (a linked report has no clock of its own).
      next_escalation_at: plan.expectedAt && !plan.parentRequestId ? plan.requestedAt : null,
      ...(plan.parentRequestId
        ? { parent_request_id: plan.parentRequestId, detailed_status: plan.parentStatus ?? 'open' }
        : {}),
    })
    .into('service_requests')
    .onConflict(knex.raw('(api_key_id, client_request_id) WHERE client_request_id IS NOT NULL'))
    .ignore()
    .returning(['id', 'jurisdiction_id', 'service_id', 'agency_id', 'status', 'detailed_status', 'priority'])
    .toSQL();

  const c = plan.contact;
  const hasContact = Boolean(c.email || c.phone || c.firstName || c.lastName || c.deviceId || c.accountId);
  const at = new Date(plan.requestedAt);
  const actor: Actor = {
    type: 'api_key',
    id: plan.apiKeyId === null ? null : String(plan.apiKeyId),
    label: plan.actorLabel,
    channel: plan.channel,
  };
  const entries = creationEntries(plan);
  // The parent's entry: its summary and data name the new id, known only inside the statement.
  const supporter: HistoryEntry[] = plan.parentRequestId
    ? [{ kind: 'supporter', public: false, actor: DUPLICATE_CHECK }]
    : [];
  const parent = plan.parentRequestId
    ? { id: plan.parentRequestId, jurisdiction_id: plan.jurisdictionId }
    : null;
  const events = [...eventsFor(null, at, entries), ...(parent ? eventsFor(parent.id, at, supporter) : [])];
  const rows = (
    await preparedRaw(
      knex,
      `WITH r AS (${insert.sql}),
       c AS (
         INSERT INTO request_contacts (request_id, email, phone, first_name, last_name, device_id, account_id)
         SELECT r.id, ?, ?, ?, ?, ?, ? FROM r WHERE ?::boolean),
       h AS (${historyInsertSql({ from: 'r', columns: { request_id: 'r.id', jurisdiction_id: 'r.jurisdiction_id' } })}),
       u AS (
         UPDATE service_requests SET supporter_count = supporter_count + 1
         WHERE id = ?::bigint AND EXISTS (SELECT 1 FROM r)
         RETURNING id, jurisdiction_id, service_id, agency_id, status, detailed_status, priority,
           ${sqlText(SUPPORTER_SUMMARY, { child: '(SELECT r.id FROM r)', total: 'supporter_count' })} AS summary),
       uh AS (${historyInsertSql({
         from: 'u CROSS JOIN r',
         columns: {
           summary: 'u.summary',
           data: "jsonb_build_object('duplicate_service_request_id', r.id::text)",
         },
       })}),
       o AS (${outboxInsertSql(
         `(SELECT id, jurisdiction_id, service_id, agency_id, status, detailed_status, priority FROM r
           UNION ALL SELECT id, jurisdiction_id, service_id, agency_id, status, detailed_status, priority FROM u) r`,
         `(SELECT e.n, coalesce(e.request_id, (SELECT r.id FROM r)) AS request_id, e.type, e.at,
             e.data || coalesce((SELECT jsonb_build_object('summary', u.summary) FROM u WHERE u.id = e.request_id),
               '{}'::jsonb) AS data
           FROM ${EVENT_RECORDSET}) e`,
       )})
       SELECT id::text AS id FROM r`,
      [
        ...insert.bindings,
        c.email ?? null,
        c.phone ?? null,
        c.firstName ?? null,
        c.lastName ?? null,
        c.deviceId ?? null,
        c.accountId ?? null,
        hasContact,
        JSON.stringify(historyRows(null, at, actor, entries)),
        plan.parentRequestId ?? null,
        JSON.stringify(historyRows(parent, at, actor, supporter)),
        eventsParam(events),
      ],
    )
  ).rows as Array<{ id: string }>;
  const id = rows[0]?.id;
  if (id === undefined) return null;
  return id;
}
