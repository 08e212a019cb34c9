import type { Knex } from 'knex';
import type { ResolvedLocation } from './location';
import { EVENT_RECORDSET, eventsParam, outboxInsertSql } from '../notify';
import { hotStatement, runHot } from '../db';
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
 * The new request's row: every column always bound (a null location, parent or key is a null value; the
 * point as geo's geographyPoint writes it, ST_MakePoint being strict).
 */
const REQUEST_INSERT = `INSERT INTO service_requests (jurisdiction_id, service_id, agency_id, description, service_notice,
    requested_at, updated_at, expected_at, address, address_id, zipcode, location, media_urls, channel, api_key_id,
    attributes, districts, location_match, location_accuracy_m, client_request_id, client_request_fingerprint,
    next_escalation_at, parent_request_id, detailed_status)
  VALUES (?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz, ?, ?, ?,
    ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326)::geography, ?, ?, ?, ?, ?, ?, ?, ?, ?,
    ?::timestamptz, ?::bigint, coalesce(?::text, 'open'))
  ON CONFLICT (api_key_id, client_request_id) WHERE client_request_id IS NOT NULL DO NOTHING
  RETURNING id, jurisdiction_id, service_id, agency_id, status, detailed_status, priority`;

/**
 * Inserts the request, its contact row, its history and its events as ONE statement (data-modifying CTEs:
 * atomic by itself, one round trip on the hot path). The history rows and events are those `recordChange`
 * would write for the same entries (`creationEntries`), through the same generators. A duplicate also counts
 * as a supporter of its parent in the same statement: the parent's supporter_count, a `supporter` history
 * entry and its event (the `u` CTEs; no rows when there is no parent), its summary filled in SQL from the
 * same template links.ts fills in TypeScript. The text is fixed (worked out once at import, prepared once
 * per connection, run straight on pg: issue #21).
 */
const INSERT_REQUEST = hotStatement(
  `WITH r AS (${REQUEST_INSERT}),
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
);

/** Returns the new request's id, or null when an identical idempotent submission already exists. */
export async function insertRequest(knex: Knex | Knex.Transaction, plan: NewRequest): Promise<string | null> {
  const loc = plan.location;
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
  const rows = (await runHot(knex, INSERT_REQUEST, [
    plan.jurisdictionId,
    plan.serviceId,
    plan.agencyId,
    plan.description,
    plan.serviceNotice,
    plan.requestedAt,
    plan.requestedAt,
    plan.expectedAt,
    loc.address,
    loc.addressId,
    loc.zipcode,
    loc.point?.long ?? null,
    loc.point?.lat ?? null,
    plan.mediaUrls,
    plan.channel,
    plan.apiKeyId,
    JSON.stringify(plan.attributes),
    JSON.stringify(loc.districts),
    loc.match,
    loc.accuracyM,
    plan.clientRequestId,
    plan.clientRequestFingerprint ?? null,
    // The escalation sweep schedules the first ladder step from here (a linked report has no clock of its own).
    plan.expectedAt && !plan.parentRequestId ? plan.requestedAt : null,
    plan.parentRequestId ?? null,
    plan.parentRequestId ? (plan.parentStatus ?? 'open') : null,
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
  ])) as Array<{ id: string }>;
  return rows[0]?.id ?? null;
}
