import type { Knex } from 'knex';
import { geographyPoint } from '../geo/postgis';
import type { ResolvedLocation } from './location';
import type { Contact } from './intake';
import { emit } from '../notify/outbox';
import { addSupporter } from './links';

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
 * Inserts the request, its contact row and its history inside the caller's transaction. Returns the new
 * id, or null when an identical idempotent submission already exists.
 */
export async function insertRequest(trx: Knex.Transaction, plan: NewRequest): Promise<string | null> {
  const loc = plan.location;
  const inserted = (await trx
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
      location: loc.point ? geographyPoint(trx, loc.point) : null,
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
    .onConflict(trx.raw('(api_key_id, client_request_id) WHERE client_request_id IS NOT NULL'))
    .ignore()
    .returning(trx.raw('id::text AS id'))) as Array<{ id: string }>;
  const id = inserted[0]?.id;
  if (id === undefined) return null;

  const c = plan.contact;
  if (c.email || c.phone || c.firstName || c.lastName || c.deviceId || c.accountId) {
    await trx('request_contacts').insert({
      request_id: id,
      email: c.email ?? null,
      phone: c.phone ?? null,
      first_name: c.firstName ?? null,
      last_name: c.lastName ?? null,
      device_id: c.deviceId ?? null,
      account_id: c.accountId ?? null,
    });
  }
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
  ];
  await trx('request_history').insert(
    history.map((h) => ({
      request_id: id,
      jurisdiction_id: plan.jurisdictionId,
      occurred_at: plan.requestedAt,
      kind: h.kind,
      public: false,
      actor_type: h.kind === 'created' ? 'api_key' : 'system',
      actor_id: plan.apiKeyId === null ? null : String(plan.apiKeyId),
      actor_label: h.label,
      channel: plan.channel,
      detailed_status: h.kind === 'link' ? 'duplicate' : 'open',
      summary: h.summary,
      description: h.description,
    })),
  );
  if (plan.parentRequestId) await addSupporter(trx, plan.parentRequestId, id, new Date(plan.requestedAt));
  await emit(trx, {
    type: 'request.created',
    requestId: id,
    at: new Date(plan.requestedAt),
    data: { channel: plan.channel },
  });
  return id;
}
