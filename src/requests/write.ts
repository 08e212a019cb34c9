import type { Knex } from 'knex';
import { geographyPoint } from '../geo/postgis';
import type { ResolvedLocation } from './location';
import type { Contact } from './intake';
import { outboxInsertSql } from '../notify/outbox';
import { preparedRaw } from '../db/prepared';

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
  contact: Contact;
  /** Set when the report duplicates an open request: it is linked to it and closed as `duplicate`. */
  parentRequestId?: string | null;
}

/**
 * Inserts the request, its contact row, its history and its `request.created` event as ONE statement
 * (data-modifying CTEs: atomic by itself, one round trip on the hot path, prepared once per connection for
 * each set of columns). A duplicate also counts as a supporter of its parent in the same statement: the parent's
 * supporter_count, a `supporter` history row and a `request.updated` event (the `u` CTEs; no rows when
 * there is no parent). Returns the new id, or null when an identical idempotent submission already exists.
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
      client_request_id: plan.clientRequestId,
      // The escalation sweep schedules the first ladder step from here (duplicates have no clock of their own).
      next_escalation_at: plan.expectedAt && !plan.parentRequestId ? plan.requestedAt : null,
      ...(plan.parentRequestId
        ? {
            parent_request_id: plan.parentRequestId,
            detailed_status: 'duplicate',
            closed_at: plan.requestedAt,
          }
        : {}),
    })
    .into('service_requests')
    .onConflict(knex.raw('(api_key_id, client_request_id) WHERE client_request_id IS NOT NULL'))
    .ignore()
    .returning(['id', 'jurisdiction_id', 'service_id', 'agency_id', 'status', 'detailed_status', 'priority'])
    .toSQL();

  const c = plan.contact;
  const hasContact = Boolean(c.email || c.phone || c.firstName || c.lastName || c.deviceId || c.accountId);
  const history = [
    {
      kind: 'created',
      label: plan.actorLabel,
      summary: `Request received (${plan.channel})`,
      description: null as string | null,
    },
    ...(plan.parentRequestId
      ? [
          {
            kind: 'link',
            label: 'duplicate check',
            summary: `Recognised as a duplicate of ${plan.parentRequestId}`,
            description: null as string | null,
          },
        ]
      : []),
    ...loc.staffNotes.map((n) => ({
      kind: 'note',
      label: 'geography check',
      summary: 'Location check',
      description: n,
    })),
  ].map((h, n) => ({
    n,
    kind: h.kind,
    actor_type: h.kind === 'created' ? 'api_key' : 'system',
    actor_label: h.label,
    detailed_status: h.kind === 'link' ? 'duplicate' : 'open',
    summary: h.summary,
    description: h.description,
  }));
  const at = new Date(plan.requestedAt);
  const rows = (
    await preparedRaw(
      knex,
      `WITH r AS (${insert.sql}),
       c AS (
         INSERT INTO request_contacts (request_id, email, phone, first_name, last_name, device_id, account_id)
         SELECT r.id, ?, ?, ?, ?, ?, ? FROM r WHERE ?::boolean),
       h AS (
         INSERT INTO request_history (request_id, jurisdiction_id, occurred_at, kind, public, actor_type, actor_id,
           actor_label, channel, detailed_status, summary, description)
         SELECT r.id, r.jurisdiction_id, ?::timestamptz, x.kind, false, x.actor_type, ?, x.actor_label, ?,
           x.detailed_status, x.summary, x.description
         FROM r CROSS JOIN jsonb_to_recordset(?::jsonb) AS x(n int, kind text, actor_type text, actor_label text,
           detailed_status text, summary text, description text)
         ORDER BY x.n),
       u AS (
         UPDATE service_requests SET supporter_count = supporter_count + 1
         WHERE id = ?::bigint AND EXISTS (SELECT 1 FROM r)
         RETURNING id, jurisdiction_id, service_id, agency_id, status, detailed_status, priority,
           'Another report of this problem (' || (SELECT r.id FROM r) || '); ' || supporter_count || ' in all' AS summary),
       uh AS (
         INSERT INTO request_history (request_id, jurisdiction_id, occurred_at, kind, public, actor_type, actor_id,
           actor_label, channel, detailed_status, summary, data)
         SELECT u.id, u.jurisdiction_id, ?::timestamptz, 'supporter', false, 'system', NULL, 'duplicate check', NULL,
           NULL, u.summary, jsonb_build_object('duplicate_service_request_id', r.id::text)
         FROM u CROSS JOIN r),
       o AS (${outboxInsertSql(
         `(SELECT id, jurisdiction_id, service_id, agency_id, status, detailed_status, priority FROM r
           UNION ALL SELECT id, jurisdiction_id, service_id, agency_id, status, detailed_status, priority FROM u) r`,
         `(SELECT 0 AS n, r.id AS request_id, 'request.created'::text AS type, ?::timestamptz AS at, ?::jsonb AS data FROM r
           UNION ALL
           SELECT 1, u.id, 'request.updated', ?::timestamptz,
             jsonb_build_object('change', 'supporter', 'public', false, 'summary', u.summary) FROM u) e`,
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
        at,
        plan.apiKeyId === null ? null : String(plan.apiKeyId),
        plan.channel,
        JSON.stringify(history),
        plan.parentRequestId ?? null,
        at,
        at,
        JSON.stringify({ channel: plan.channel }),
        at,
      ],
    )
  ).rows as Array<{ id: string }>;
  const id = rows[0]?.id;
  if (id === undefined) return null;
  return id;
}
