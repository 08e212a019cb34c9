import type { Knex } from 'knex';
import type { Jurisdiction } from '../catalog';
import { formatDateTime } from '../core';
import { listRequestMedia } from '../media';
import { requestView } from '../open311';
import {
  applyFilter,
  listStaffRequests,
  publicNotes,
  selectRequests,
  toRecord,
  type RequestFilter,
  type StaffRequestField,
} from '../requests';

/** What staff see beside the GeoReport fields: each key one of STAFF_REQUEST_FIELDS (no layer takes it). */
type StaffOutput = { [key in StaffRequestField]?: unknown };

/** A request as staff see it: the Open311 view with extensions, plus assignment and the reporter's contact. */
export async function staffRequestView(
  knex: Knex,
  j: Jurisdiction,
  id: string,
  baseUrl: string,
): Promise<Record<string, unknown> | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const row = await applyFilter(knex, selectRequests(knex).select('r.assigned_to', 'r.closed_at'), {
    jurisdictionId: j.id,
    ids: [id],
    includePrivate: true,
    sort: 'requested',
    page: 1,
    pageSize: 1,
  }).first();
  if (!row) return null;
  const record = toRecord(row);
  const contact = await knex('request_contacts')
    .where('request_id', id)
    .first('email', 'phone', 'first_name', 'last_name', 'account_id');
  return {
    ...(requestView(record, {
      timeZone: j.timeZone,
      extensions: true,
      notes: await publicNotes(knex, [id]),
      baseUrl,
    }) as object),
    ...({
      assigned_to: (row as { assigned_to: string | null }).assigned_to,
      // How the point was found and how far off it may be (issue #17), so staff know what to trust.
      location: { match: record.locationMatch, accuracy_m: record.locationAccuracyM },
      closed_datetime: formatDateTime(record.closedAt, j.timeZone),
      contact: contact ?? null,
      // Every uploaded file, hidden ones included (staff keep the originals), with where staff fetch it.
      media: await staffMediaList(knex, j.id, id, baseUrl),
    } satisfies StaffOutput),
  };
}

/** Whether `id` names a request (private ones included) of the jurisdiction: else staff routes answer 404. */
export async function staffRequestExists(knex: Knex, jurisdictionId: string, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  return !!(await knex('service_requests').where({ id, jurisdiction_id: jurisdictionId }).first('id'));
}

export async function staffMediaList(knex: Knex, jurisdictionId: string, id: string, baseUrl: string) {
  return (await listRequestMedia(knex, jurisdictionId, id)).map((m) => ({
    ...m,
    url: `${baseUrl}${m.url}`,
    thumbnail_url: m.thumbnail_url && `${baseUrl}${m.thumbnail_url}`,
    staff_url: `${baseUrl}/staff/v1${m.url}`,
  }));
}

/** The whole audit trail, public and internal, oldest first. */
export async function fullHistory(
  knex: Knex,
  j: Jurisdiction,
  id: string,
): Promise<Array<Record<string, unknown>> | null> {
  if (!(await staffRequestExists(knex, j.id, id))) return null;
  const rows = (await knex('request_history')
    .where('request_id', id)
    .orderBy([{ column: 'occurred_at' }, { column: 'id' }])
    .select('*')) as Array<Record<string, unknown> & { occurred_at: Date }>;
  return rows.map((r) => ({
    id: String(r.id),
    datetime: formatDateTime(r.occurred_at, j.timeZone),
    kind: r.kind,
    public: r.public,
    actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
    channel: r.channel,
    detailed_status: r.detailed_status,
    summary: r.summary,
    description: r.description,
    client_update_id: r.client_update_id,
    data: r.data,
  }));
}

/**
 * A page of the staff work queue: each request as GET /staff/v1/requests/{id} shows it (the Open311 view
 * with extensions and public notes, assignment, location quality, closed time, the reporter's contact),
 * plus the department's code and whether it is overdue now; without the media list (one GET per request).
 */
export async function staffRequestList(
  knex: Knex,
  j: Jurisdiction,
  filter: RequestFilter,
  baseUrl: string,
  now: Date,
): Promise<Array<Record<string, unknown>>> {
  const { records, notes, staff } = await listStaffRequests(knex, filter);
  return records.map((record) => {
    const extra = staff.get(record.id);
    return {
      ...(requestView(record, {
        timeZone: j.timeZone,
        extensions: true,
        notes: notes.get(record.id),
        baseUrl,
      }) as object),
      ...({
        agency_code: extra?.agencyCode ?? null,
        assigned_to: extra?.assignedTo ?? null,
        overdue: record.status === 'open' && record.expectedAt !== null && record.expectedAt < now,
        location: { match: record.locationMatch, accuracy_m: record.locationAccuracyM },
        closed_datetime: formatDateTime(record.closedAt, j.timeZone),
        contact: extra?.contact ?? null,
      } satisfies StaffOutput),
    };
  });
}
