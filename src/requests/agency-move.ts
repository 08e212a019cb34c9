/**
 * Merging one department into another (issue #14): every request of the old department moves to the new
 * one, each with a `transfer` history entry (internal: a reorganisation is not news to the resident, so
 * Open311 updated_datetime does not move).
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
