/**
 * GET requests: every filter is a bound parameter on an indexed column (see the service_requests
 * migration): time filters use the (jurisdiction, time DESC) indexes, a radius or a bbox the GiST index on
 * (location, requested_at) of migration 20261203130001 (both conditions in one index scan, read newest
 * first for a page by time: newestInArea).
 */
import type { Knex } from 'knex';
import { preparedRaw } from '../db';
import {
  bboxUsesIndex,
  geographyPoint,
  latOf,
  longOf,
  withinBbox,
  withinRadius,
  type AreaTest,
} from '../geo';
import { mediaPath, REQUEST_UPLOADS_SQL, thumbPath, type UploadRef } from './media-paths';
import type { RequestFilter, RequestNote, RequestRecord, RequestSummary } from './types';

interface Row {
  id: string;
  status: 'open' | 'closed';
  detailed_status?: RequestRecord['detailedStatus'];
  status_notes: string | null;
  service_name: string;
  service_code: string;
  description: string | null;
  agency_name: string | null;
  service_notice: string | null;
  // Milliseconds since the epoch (see requestColumns).
  requested_ms: number;
  updated_ms: number;
  expected_ms: number | null;
  closed_ms: number | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_urls: string[];
  uploads?: UploadRef[] | string | null;
  channel?: string;
  priority?: string;
  attributes?: Record<string, unknown>;
  districts?: Record<string, string>;
  location_match?: string | null;
  location_accuracy_m?: number | null;
  parent_request_id?: string | null;
  supporter_count?: number;
  distance?: number;
}

const epochMs = (knex: Knex, column: string): Knex.Raw =>
  knex.raw(`(extract(epoch FROM r.${column}) * 1000)::float8 AS ${column.replace(/_at$/, '_ms')}`);
const dateOf = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/**
 * What a listed request is made of, read from `r` (service_requests or a page of its rows), `s` and `a`:
 * the GeoReport fields, and with `extended` what extensions=true and staff pages add.
 */
function requestColumns(knex: Knex, extended = true): Array<string | Knex.Raw> {
  const summary: Array<string | Knex.Raw> = [
    knex.raw('r.id::text AS id'),
    'r.status',
    'r.status_notes',
    's.service_name',
    's.service_code',
    'r.description',
    'a.name as agency_name',
    'r.service_notice',
    // Times as epoch milliseconds: a Date from a number is far cheaper than node-postgres parsing the text
    // of 4,000 timestamps a 1,000-row page (same value: both keep whole milliseconds).
    epochMs(knex, 'requested_at'),
    epochMs(knex, 'updated_at'),
    epochMs(knex, 'expected_at'),
    epochMs(knex, 'closed_at'),
    'r.address',
    knex.raw('r.address_id::text AS address_id'),
    'r.zipcode',
    knex.raw(`${latOf('r.location')} AS lat`),
    knex.raw(`${longOf('r.location')} AS long`),
    'r.media_urls',
    knex.raw(`${REQUEST_UPLOADS_SQL} AS uploads`),
  ];
  if (!extended) return summary;
  return [
    ...summary,
    'r.detailed_status',
    'r.channel',
    'r.priority',
    'r.attributes',
    'r.districts',
    'r.location_match',
    'r.location_accuracy_m',
    knex.raw('r.parent_request_id::text AS parent_request_id'),
    'r.supporter_count',
  ];
}

const withNames = (q: Knex.QueryBuilder): Knex.QueryBuilder =>
  q.join('services as s', 's.id', 'r.service_id').leftJoin('agencies as a', 'a.id', 'r.agency_id');

export function selectRequests(knex: Knex): Knex.QueryBuilder {
  return withNames(knex('service_requests as r')).select(...requestColumns(knex));
}

/** A row read with the extended columns (selectRequests, an extended list) as a record. */
export function toRecord(r: Row): RequestRecord {
  if (r.detailed_status === undefined)
    throw new Error('toRecord: the row was read without its extended columns');
  const record = summaryOf(r) as RequestRecord;
  record.detailedStatus = r.detailed_status;
  record.channel = r.channel as string;
  record.priority = r.priority as string;
  record.attributes = r.attributes ?? {};
  record.districts = r.districts ?? {};
  record.locationMatch = r.location_match ?? null;
  record.locationAccuracyM = r.location_accuracy_m == null ? null : Number(r.location_accuracy_m);
  record.parentRequestId = r.parent_request_id ?? null;
  record.supporterCount = Number(r.supporter_count);
  return record;
}

function summaryOf(r: Row): RequestSummary {
  const uploads: UploadRef[] =
    typeof r.uploads === 'string' ? (JSON.parse(r.uploads) as UploadRef[]) : (r.uploads ?? []);
  // Uploaded files first (as paths, made absolute by the views), then the URLs a client sent. Without
  // uploads (nearly every request) the sent URLs' array is kept as it came: four arrays less per row.
  const none = uploads.length === 0;
  const summary: RequestSummary = {
    id: r.id,
    status: r.status,
    statusNotes: r.status_notes,
    serviceName: r.service_name,
    serviceCode: r.service_code,
    description: r.description,
    agencyResponsible: r.agency_name,
    serviceNotice: r.service_notice,
    requestedAt: new Date(r.requested_ms),
    updatedAt: new Date(r.updated_ms),
    expectedAt: dateOf(r.expected_ms),
    closedAt: dateOf(r.closed_ms),
    address: r.address,
    addressId: r.address_id,
    zipcode: r.zipcode,
    lat: r.lat === null ? null : Number(r.lat),
    long: r.long === null ? null : Number(r.long),
    mediaUrls: none
      ? (r.media_urls ?? [])
      : [...uploads.map((u) => mediaPath(u.id, u.ext)), ...(r.media_urls ?? [])],
    thumbnailUrls: none
      ? []
      : uploads.filter((u) => u.thumb_ext).map((u) => thumbPath(u.id, u.thumb_ext as string)),
  };
  if (r.distance !== undefined && r.distance !== null) summary.distanceMetres = Number(r.distance);
  return summary;
}

/**
 * Applies the filter's WHERE clauses (shared by the list and by counts/exports); `area`: how a radius or
 * bbox is to be planned (AreaTest).
 */
export function applyFilter(
  knex: Knex,
  q: Knex.QueryBuilder,
  f: RequestFilter,
  area: AreaTest = 'indexed',
): Knex.QueryBuilder {
  q.where('r.jurisdiction_id', f.jurisdictionId);
  // The few private services are read once (an InitPlan) and each row is checked against that array: as
  // `s.is_private = false` on the joined row or as an anti-join, a misjudged radius (see listRequests)
  // made PostgreSQL scan the services table once per matching request.
  if (!f.includePrivate)
    q.whereRaw('r.service_id <> ALL (ARRAY(SELECT sp.id FROM services sp WHERE sp.is_private))');
  if (f.ids) {
    // service_request_id overrides every other filter (GeoReport v2).
    return q.whereIn(
      'r.id',
      f.ids.filter((id) => /^\d{1,18}$/.test(id)),
    );
  }
  if (f.serviceIds) q.whereIn('r.service_id', f.serviceIds);
  if (f.start) q.where('r.requested_at', '>=', f.start);
  if (f.end) q.where('r.requested_at', '<=', f.end);
  if (f.updatedAfter) q.where('r.updated_at', '>', f.updatedAfter);
  if (f.updatedBefore) q.where('r.updated_at', '<', f.updatedBefore);
  if (f.statuses) q.whereIn('r.status', f.statuses);
  if (f.detailedStatuses) q.whereIn('r.detailed_status', f.detailedStatuses);
  if (f.agency) {
    const agency = f.agency.toLowerCase();
    q.where((w) => w.whereRaw('lower(a.code) = ?', [agency]).orWhereRaw('lower(a.name) = ?', [agency]));
  }
  if (f.near) q.where(withinRadius(knex, 'r.location', f.near, area));
  if (f.bbox) q.where(withinBbox(knex, 'r.location', f.bbox, area));
  if (f.district)
    q.whereRaw('r.districts @> ?::jsonb', [JSON.stringify({ [f.district.layer]: f.district.name })]);
  if (f.assignedTo !== undefined) q.where('r.assigned_to', f.assignedTo);
  if (f.assigned !== undefined) {
    if (f.assigned) q.whereNotNull('r.assigned_to');
    else q.whereNull('r.assigned_to');
  }
  if (f.priorities) q.whereIn('r.priority', f.priorities);
  if (f.overdue) {
    // A request without an expected time is never overdue (coalesce: NOT NULL would drop it too).
    const late = "(r.status = 'open' AND coalesce(r.expected_at < ?, false))";
    q.whereRaw(f.overdue.value ? late : `NOT ${late}`, [f.overdue.at]);
  }
  return q;
}

/** The rows of `service_requests` the filter keeps (agencies joined for an agency_responsible filter only). */
function matching(knex: Knex, f: RequestFilter, area: AreaTest = 'indexed'): Knex.QueryBuilder {
  // PostgreSQL drops the left join when no agency filter uses it.
  const from = knex('service_requests as r').leftJoin('agencies as a', 'a.id', 'r.agency_id');
  return applyFilter(knex, from, f, area).select('r.*');
}

/** Later than every request: `requested_at <-> FAR_FUTURE` (btree_gist's distance) orders newest first. */
const FAR_FUTURE = '9999-12-31T00:00:00Z';

/**
 * The rows an area's page (radius or bbox, newest first) is cut from, read newest first through the
 * (location, requested_at) GiST index: btree_gist orders an index scan by the distance of requested_at
 * to a time after all others, so the scan stops once it has the page's rows instead of reading and
 * sorting every request of the area (a 500 m circle at 1M requests: ~1,400 rows read, not ~10,000; ~9 ms
 * instead of ~44 in EXPLAIN ANALYZE). The index orders by time alone, so requests of the same
 * requested_at as the last one read may be cut in any order: those are read again by that exact time
 * (through a btree index on requested_at, the area tested on each), and the page is cut from rows
 * newer than it and all rows of it, in the list's order (requested_at, id). The planner still sorts when
 * its estimate says the area holds few rows (AreaTest).
 */
function newestInArea(knex: Knex, f: RequestFilter): Knex.QueryBuilder {
  const read = matching(knex, f, 'ordered').orderByRaw('r.requested_at <-> ?::timestamptz', [FAR_FUTURE]);
  // `= ANY (ARRAY[…])`: a condition GiST cannot use, which keeps the planner off the (location,
  // requested_at) index for it (which it costs as cheap for an equality on its second column, and which
  // read 11,000 index pages where the btree reads 4).
  return cutWithTies(knex, f, read, { key: 'requested_at', last: 'min' }, (edge) =>
    matching(knex, f, 'exact').whereRaw('r.requested_at = ANY (ARRAY[?])', [edge]),
  );
}

/**
 * The rows a "nearest first" page (a radius, sort=distance) is cut from, read through the GiST index on the
 * location nearest first (its `<->` ordering) until the page's rows are found, as newestInArea does by
 * time: a mobile app's "near me" list of 20 open requests read ~20 rows where sorting read all ~400–600
 * open requests of a busy 150 m circle. Requests as far as the last one read (several reports at one
 * address point) are read again by that distance, so the page is cut from the union in the list's order
 * (distance, then id). `<->` measures on the sphere, ST_DWithin on the spheroid (within 0.5% of each other):
 * the index is asked for a circle 1% and a metre wider than that distance and `<->` tested exactly.
 */
function nearestInArea(
  knex: Knex,
  f: RequestFilter,
  near: NonNullable<RequestFilter['near']>,
): Knex.QueryBuilder {
  const point = geographyPoint(knex, near);
  const knn = knex.raw('r.location <-> ? AS knn', [point]);
  const read = matching(knex, f, 'ordered').select(knn).orderByRaw('r.location <-> ?', [point]);
  return cutWithTies(knex, f, read, { key: 'knn', last: 'max' }, (edge) =>
    matching(knex, f, 'exact')
      .select(knn)
      .whereRaw('ST_DWithin(r.location, ?, ? * 1.01 + 1)', [point, edge])
      .whereRaw('(r.location <-> ?) = ?', [point, edge]),
  );
}

/**
 * The rows a page is cut from when an index reads them in the page's order by one key alone: `read`, up
 * to the page's last row, without the rows of the last key read (`last`: the least requested_at, the
 * greatest distance), which the index may have cut in any order, and `tied(edge)`: every row of that key,
 * read again. Both select the same columns; the page is then ordered by the key and id and cut.
 */
function cutWithTies(
  knex: Knex,
  f: RequestFilter,
  read: Knex.QueryBuilder,
  order: { key: 'requested_at' | 'knn'; last: 'min' | 'max' },
  tied: (edge: Knex.Raw) => Knex.QueryBuilder,
): Knex.QueryBuilder {
  const edge = knex.raw(`(SELECT ${order.last}(e.${order.key}) FROM page_read e)`);
  const rows = knex
    .with('page_read', read.limit(f.page * f.pageSize))
    .select('r.*')
    .from('page_read as r')
    .where(`r.${order.key}`, order.last === 'min' ? '>' : '<', edge)
    .unionAll(tied(edge), true);
  return knex.select('r.*').from(rows.as('r'));
}

/**
 * One page of the list. The page is chosen first, from the request rows alone, and only its rows are then
 * joined to their names and projected. In one query PostgreSQL misjudges how many rows a radius keeps
 * (ST_DWithin's selectivity is counted twice: 25 rows expected, 2,700 found in a busy 500 m circle),
 * joins every match to the 120 services by a nested loop and runs the media subquery for each match:
 * 3× the time of the query below.
 */
export async function listRequests(knex: Knex, f: RequestFilter, extended: true): Promise<RequestRecord[]>;
export async function listRequests(
  knex: Knex,
  f: RequestFilter,
  extended: boolean,
): Promise<RequestSummary[] | RequestRecord[]>;
export async function listRequests(
  knex: Knex,
  f: RequestFilter,
  extended: boolean,
): Promise<RequestSummary[] | RequestRecord[]> {
  const q = listQuery(knex, f, extended);
  // A mobile app's "near me" list (a radius, nearest first) is the list's hot path and its query is small
  // next to parsing and planning this text (~2 of ~4 ms at 1M requests): named, it is parsed once per
  // connection, as the intake's statements are (preparedRaw, from the text knex compiled once). Only this
  // shape: other filters make texts of many shapes (lists of codes or ids), each of which a connection
  // would keep.
  const named = f.near && f.sort === 'distance' && !f.ids && !f.serviceIds;
  const compiled = named ? q.toSQL() : null;
  const rows = compiled
    ? ((await preparedRaw(knex, compiled.sql, compiled.bindings)) as { rows: Row[] }).rows
    : ((await q) as Row[]);
  return extended ? rows.map(toRecord) : rows.map(summaryOf);
}

/** The query of one page of the list (listRequests runs it; tests read its plan). */
export function listQuery(knex: Knex, f: RequestFilter, extended: boolean): Knex.QueryBuilder {
  const nearest = f.sort === 'distance' ? f.near : undefined;
  // An area the GiST index reads (a radius, a bbox of a sane size) is read in the page's order.
  const area = f.near || (f.bbox && bboxUsesIndex(f.bbox));
  const page = f.ids
    ? matching(knex, f)
    : nearest
      ? nearestInArea(knex, f, nearest)
      : area && f.sort !== 'updated'
        ? newestInArea(knex, f)
        : matching(knex, f);
  const q = withNames(knex.from(page.as('r'))).select(...requestColumns(knex, extended));
  if (nearest) {
    // The page's rows carry their `<->` distance (knn); the outer query keeps its value.
    if (f.ids) page.select(knex.raw('r.location <-> ? AS knn', [geographyPoint(knex, nearest)]));
    page.orderBy([{ column: 'r.knn' }, { column: 'r.id', order: 'desc' }]);
    q.select(knex.raw('ST_Distance(r.location, ?) AS distance', [geographyPoint(knex, nearest)]));
    q.orderBy([{ column: 'r.knn' }, { column: 'r.id', order: 'desc' }]);
  } else {
    const time = f.sort === 'updated' ? 'updated_at' : 'requested_at';
    for (const b of [page, q])
      b.orderBy([
        { column: `r.${time}`, order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ]);
  }
  page.limit(f.pageSize).offset((f.page - 1) * f.pageSize);
  // An area's page read by a bitmap scan of a few thousand rows (a list by update time, an area the
  // planner expects to hold few rows) is split by PostgreSQL among parallel workers. Each worker is a
  // fresh process that loads PostGIS's catalog entries again: a 500 m page at 1M requests took 150 ms of
  // database CPU in parallel, 90-100 ms without, CPU a busy server takes from its other requests. A query
  // that calls a function marked PARALLEL UNSAFE is never planned in parallel (PostgreSQL manual, "When
  // Can Parallel Query Be Used?"); this one is side-effect free and costs no round trip, unlike SET LOCAL.
  if (f.near || f.bbox) q.select(knex.raw('pg_current_xact_id_if_assigned() AS serial_plan'));
  return q;
}

/** Public notes of the given requests (the public rows of their history), oldest first. */
export async function publicNotes(knex: Knex, requestIds: string[]): Promise<RequestNote[]> {
  if (requestIds.length === 0) return [];
  const rows = (await knex('request_history')
    .whereIn('request_id', requestIds)
    .where('public', true)
    .select(knex.raw('request_id::text AS request_id'), 'occurred_at', 'kind', 'summary', 'description')
    .orderBy([{ column: 'occurred_at' }, { column: 'id' }])) as Array<{
    request_id: string;
    occurred_at: Date;
    kind: string;
    summary: string | null;
    description: string | null;
  }>;
  return rows.map((r) => ({
    requestId: r.request_id,
    datetime: r.occurred_at,
    type: r.kind,
    summary: r.summary,
    description: r.description,
  }));
}
