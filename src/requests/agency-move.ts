/**
 * Reorganisations (issue #14), each request moved with an internal `transfer` history entry (a
 * reorganisation is not news to the resident, so Open311 updated_datetime does not move):
 * - merging one department into another: every request of the old department moves to the new one;
 * - moving a service to another department with `move_open_requests=true`: the service's open requests
 *   still with its old department move to the new one (closed ones keep the department that closed them).
 */
import type { Knex } from 'knex';
import { recordChanges, type Actor } from './record';
import type { DetailedStatus } from './statuses';

export interface AgencyRef {
  id: number;
  code: string;
  name: string;
}

export async function moveAgencyRequests(
  trx: Knex.Transaction,
  jurisdictionId: string,
  from: AgencyRef,
  into: AgencyRef,
  actor: Actor,
  at: Date,
): Promise<number> {
  const moved = (await trx('service_requests')
    .where({ jurisdiction_id: jurisdictionId, agency_id: from.id })
    .update({ agency_id: into.id })
    .returning(['id', 'jurisdiction_id', 'detailed_status'])) as Array<{
    id: string | number;
    jurisdiction_id: string;
    detailed_status: string;
  }>;
  await recordChanges(
    trx,
    at,
    actor,
    moved.map((r) => ({
      request: { id: String(r.id), jurisdiction_id: r.jurisdiction_id },
      entry: {
        kind: 'transfer',
        public: false,
        detailedStatus: r.detailed_status as DetailedStatus,
        summary: `Department ${from.name} merged into ${into.name}`,
        data: { from_agency_id: from.id, to_agency_id: into.id, merge: true },
      },
    })),
  );
  return moved.length;
}

/**
 * The open requests of a service that are still with `from` (its department before the change; null for
 * none) move to `into`, in the caller's transaction. Their assignment is cleared, as a staff transfer
 * does (a crew belongs to its department); the history entry keeps who it was. Returns how many moved.
 */
export async function moveServiceRequests(
  trx: Knex.Transaction,
  jurisdictionId: string,
  serviceId: number,
  from: AgencyRef | null,
  into: AgencyRef,
  actor: Actor,
  at: Date,
): Promise<number> {
  if (from && Number(from.id) === Number(into.id)) return 0;
  const rows = (await trx('service_requests')
    .where({ jurisdiction_id: jurisdictionId, service_id: serviceId, status: 'open' })
    .where((w) => (from ? w.where('agency_id', from.id) : w.whereNull('agency_id')))
    .orderBy('id')
    .forUpdate()
    .select(trx.raw('id::text AS id'), 'jurisdiction_id', 'detailed_status', 'assigned_to')) as Array<{
    id: string;
    jurisdiction_id: string;
    detailed_status: string;
    assigned_to: string | null;
  }>;
  if (rows.length === 0) return 0;
  await trx('service_requests')
    .whereIn(
      'id',
      rows.map((r) => r.id),
    )
    .update({ agency_id: into.id, assigned_to: null });
  await recordChanges(
    trx,
    at,
    actor,
    rows.map((r) => ({
      request: { id: r.id, jurisdiction_id: r.jurisdiction_id },
      entry: {
        kind: 'transfer',
        public: false,
        detailedStatus: r.detailed_status as DetailedStatus,
        summary: `Service moved from ${from?.name ?? 'no department'} to ${into.name}`,
        data: {
          from_agency_id: from?.id ?? null,
          to_agency_id: into.id,
          service_move: true,
          ...(r.assigned_to ? { unassigned: r.assigned_to } : {}),
        },
      },
    })),
  );
  return rows.length;
}
