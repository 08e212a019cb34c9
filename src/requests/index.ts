import type { Knex } from 'knex';
import { applyFilter, listRequests, publicNotes, selectRequests, toRecord } from './query';
import type { RequestFilter, RequestNote, RequestRecord, RequestSummary } from './types';

export type { RequestFilter, RequestNote, RequestRecord, RequestSummary } from './types';
export { submitRequest, type AttachToRequest, type Submission, type IntakeResult } from './intake';
export * from './statuses';
export {
  recordChange,
  recordChanges,
  type Actor,
  type Change,
  type HistoryEntry,
  type RequestRef,
} from './record';
export {
  addNote,
  assign,
  changeStatus,
  setPriority,
  transfer,
  type ChangeTime,
  type StatusChange,
} from './lifecycle';
export { confirmDuplicate, link, merge, unlink } from './links';
export {
  applyEscalations,
  recomputeOpenRequests,
  recomputeResponseLevel,
  rescheduleEscalations,
} from './recompute';
export { lockRequest, touchPublic, type LockedRequest } from './status';
export {
  assertLayerNameFree,
  BULK_COLUMNS,
  districtsBeside,
  EXTENDED_ATTRIBUTE_FIELDS,
  GEOREPORT_REQUEST_FIELDS,
  RESERVED_LAYER_NAMES,
  STAFF_REQUEST_FIELDS,
  type ExtendedAttributeField,
  type GeoReportRequestField,
  type StaffRequestField,
} from './output-fields';
export { canonicalRequestId, requestIdOrNotFound } from './ids';
export { absoluteMediaUrl, mediaPath, requestMediaUrlsSql, thumbPath } from './media-paths';
export { insertRequest, type NewRequest } from './write';
export { importRequests, type ImportedRequest } from './import';
export { moveAgencyRequests, moveServiceRequests, type AgencyRef } from './agency-move';
export { processBatchTokens } from './batch-tokens';
export { computeExpected, describeResponseLevel } from './response-level';
export { PRIORITIES, type Priority } from '../sla';

function groupNotes(notes: RequestNote[]): Map<string, RequestNote[]> {
  const byRequest = new Map<string, RequestNote[]>();
  for (const n of notes) byRequest.set(n.requestId, [...(byRequest.get(n.requestId) ?? []), n]);
  return byRequest;
}

/**
 * A public list page. With `extended` (extensions=true) its records carry the extended fields and each
 * request's public notes; without, only what the GeoReport fields need is read.
 */
export async function listPublicRequests(
  knex: Knex,
  filter: RequestFilter,
  extended: boolean,
): Promise<{ records: RequestSummary[] | RequestRecord[]; notes: Map<string, RequestNote[]> }> {
  const records = await listRequests(knex, { ...filter, includePrivate: false }, extended);
  const notes = extended
    ? groupNotes(
        await publicNotes(
          knex,
          records.map((r) => r.id),
        ),
      )
    : new Map<string, RequestNote[]>();
  return { records, notes };
}

/**
 * A staff work-queue page (GET /staff/v1/requests): the public list's query with private services
 * included, the extended records and their public notes, plus what only staff see of each request
 * (assignment, the department's code, the reporter's contact), read for the page's ids only.
 */
export async function listStaffRequests(
  knex: Knex,
  filter: RequestFilter,
): Promise<{
  records: RequestRecord[];
  notes: Map<string, RequestNote[]>;
  staff: Map<string, StaffFields>;
}> {
  const records = await listRequests(knex, { ...filter, includePrivate: true }, true);
  const ids = records.map((r) => r.id);
  const notes = groupNotes(await publicNotes(knex, ids));
  const staff = new Map<string, StaffFields>();
  if (ids.length > 0) {
    const rows = (await knex('service_requests as r')
      .leftJoin('agencies as a', 'a.id', 'r.agency_id')
      .leftJoin('request_contacts as c', 'c.request_id', 'r.id')
      .whereIn('r.id', ids)
      .select(
        knex.raw('r.id::text AS id'),
        'r.assigned_to',
        'a.code as agency_code',
        knex.raw('c.request_id IS NOT NULL AS has_contact'),
        'c.email',
        'c.phone',
        'c.first_name',
        'c.last_name',
        'c.account_id',
      )) as Array<{
      id: string;
      assigned_to: string | null;
      agency_code: string | null;
      has_contact: boolean;
      email: string | null;
      phone: string | null;
      first_name: string | null;
      last_name: string | null;
      account_id: string | null;
    }>;
    for (const r of rows)
      staff.set(r.id, {
        assignedTo: r.assigned_to,
        agencyCode: r.agency_code,
        contact: r.has_contact
          ? {
              email: r.email,
              phone: r.phone,
              first_name: r.first_name,
              last_name: r.last_name,
              account_id: r.account_id,
            }
          : null,
      });
  }
  return { records, notes, staff };
}

export interface StaffFields {
  assignedTo: string | null;
  agencyCode: string | null;
  contact: {
    email: string | null;
    phone: string | null;
    first_name: string | null;
    last_name: string | null;
    account_id: string | null;
  } | null;
}

/** One public request (never one of a private service), with its public notes when asked. */
export async function findRequest(
  knex: Knex,
  jurisdictionId: string,
  id: string,
  withNotes: boolean,
): Promise<{ record: RequestRecord; notes: RequestNote[] } | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const filter: RequestFilter = { jurisdictionId, ids: [id], sort: 'requested', page: 1, pageSize: 1 };
  const row = await applyFilter(knex, selectRequests(knex), filter).first();
  if (!row) return null;
  const record = toRecord(row);
  return { record, notes: withNotes ? await publicNotes(knex, [id]) : [] };
}

/** GET tokens/{token}: the request id once the batch has been processed, empty until then. */
export async function tokenStatus(
  knex: Knex,
  jurisdictionId: string,
  token: string,
): Promise<{ token: string; serviceRequestId: string | null } | null> {
  if (token.length > 100) return null;
  const row = (await knex('request_tokens')
    .where({ jurisdiction_id: jurisdictionId, token })
    .first('token', knex.raw('request_id::text AS request_id'))) as
    { token: string; request_id: string | null } | undefined;
  return row ? { token: row.token, serviceRequestId: row.request_id } : null;
}
export { DEFAULT_DUPLICATE_RULE, findParent, pointFactsAndParent, ruleFor } from './duplicates';
export { applyFilter, publicNotes, selectRequests, toRecord } from './query';
export { listUpdates } from './updates';
export { postUpdate, type IncomingUpdate, type UpdatePoster } from './incoming-update';
export { saveRule } from './duplicates';
