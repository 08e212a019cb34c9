/**
 * Requests brought in with their past (the demo city's real 2015 requests; later, a city's history from its
 * previous system): each row is inserted as it was, its history recorded through `recordChanges` with the
 * times and actor it happened with and no outbox events (integrators were not there to hear them), then
 * districts and nearest addresses are filled in for all of them at once.
 */
import type { Knex } from 'knex';
import { geographyPoint, type LatLong } from '../geo';
import { recordChanges, type Actor, type Change } from './record';
import { statusOf, type DetailedStatus } from './statuses';

export interface ImportedRequest {
  serviceId: number;
  agencyId: number | null;
  detailedStatus: DetailedStatus;
  statusNotes: string | null;
  description: string | null;
  serviceNotice: string | null;
  requestedAt: Date;
  closedAt: Date | null;
  expectedAt: Date | null;
  address: string | null;
  zipcode: string | null;
  point: LatLong;
  channel: string;
}

export async function importRequests(
  trx: Knex.Transaction,
  jurisdictionId: string,
  list: ImportedRequest[],
  actorLabel: string,
  now: Date,
): Promise<number> {
  const changes: Change[] = [];
  for (const r of list) {
    const [row] = (await trx('service_requests')
      .insert({
        next_escalation_at: r.closedAt === null && r.expectedAt ? now : null,
        jurisdiction_id: jurisdictionId,
        service_id: r.serviceId,
        agency_id: r.agencyId,
        detailed_status: r.detailedStatus,
        status_notes: r.statusNotes,
        description: r.description,
        service_notice: r.serviceNotice,
        requested_at: r.requestedAt,
        updated_at: r.closedAt ?? r.requestedAt,
        closed_at: r.closedAt,
        expected_at: r.expectedAt,
        address: r.address,
        zipcode: r.zipcode,
        location: geographyPoint(trx, r.point),
        channel: r.channel,
      })
      .returning(trx.raw('id::text AS id'))) as Array<{ id: string }>;
    const request = { id: row?.id as string, jurisdiction_id: jurisdictionId };
    const actor: Actor = { type: 'system', id: null, label: actorLabel, channel: r.channel };
    changes.push({
      request,
      entry: {
        kind: 'created',
        public: false,
        detailedStatus: 'open',
        summary: `Request received (${r.channel})`,
        at: r.requestedAt,
        actor,
        event: null,
      },
    });
    if (r.closedAt && statusOf(r.detailedStatus) === 'closed') {
      changes.push({
        request,
        entry: {
          kind: 'status_change',
          public: true,
          detailedStatus: r.detailedStatus,
          summary: `Status changed to ${r.detailedStatus}`,
          description: r.statusNotes,
          at: r.closedAt,
          actor,
          event: null,
        },
      });
    }
  }
  await recordChanges(trx, now, { type: 'system', id: null, label: actorLabel, channel: null }, changes);
  await trx.raw(
    `UPDATE service_requests r SET districts = coalesce((
       SELECT jsonb_object_agg(d.layer, d.name) FROM districts d
       WHERE d.jurisdiction_id = r.jurisdiction_id AND ST_Intersects(d.geom, r.location::geometry)), '{}'::jsonb)
     WHERE r.jurisdiction_id = ?`,
    [jurisdictionId],
  );
  await trx.raw(
    `UPDATE service_requests r SET address_id = (
       SELECT p.id FROM address_points p WHERE p.jurisdiction_id = r.jurisdiction_id
       AND ST_DWithin(p.location, r.location, 75) ORDER BY p.location <-> r.location LIMIT 1)
     WHERE r.jurisdiction_id = ? AND r.address_id IS NULL`,
    [jurisdictionId],
  );
  return list.length;
}
