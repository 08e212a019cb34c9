/**
 * Bulk export of public requests (issue #9; columns after the GeoReport Bulk proposal piloted by
 * Louisville, Bloomington and San Diego). Rows are read in keyset batches of 1,000 — (requested_at, id)
 * after the last row sent — and written with back-pressure, so server memory stays flat however many rows,
 * no connection or transaction is held while a slow client reads, and a client that disconnects stops the
 * loop at the next batch. Works the same on PostgreSQL and on the embedded database.
 */
import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { formatDateTime } from '../open311/time';
import { applyFilter, selectRequests, toRecord } from '../requests/query';
import type { RequestFilter, RequestRecord } from '../requests/types';
import { csvField } from '../reports/csv';

export type BulkFormat = 'csv' | 'json' | 'geojson' | 'ndjson';
export const BULK_FORMATS: readonly BulkFormat[] = ['csv', 'json', 'geojson', 'ndjson'];
export const BULK_CONTENT_TYPES: Record<BulkFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

export const BULK_COLUMNS = [
  'service_request_id',
  'requested_datetime',
  'updated_datetime',
  'closed_date',
  'status_description',
  'status_notes',
  'source',
  'service_name',
  'service_subtype',
  'description',
  'agency_responsible',
  'address',
  'lat',
  'long',
] as const;

const BATCH = 1000;

export function bulkRow(
  r: RequestRecord,
  timeZone: string,
  layers: string[],
): Record<string, string | number | null> {
  const row: Record<string, string | number | null> = {
    service_request_id: r.id,
    requested_datetime: formatDateTime(r.requestedAt, timeZone),
    updated_datetime: formatDateTime(r.updatedAt, timeZone),
    closed_date: formatDateTime(r.closedAt, timeZone),
    status_description: r.status,
    status_notes: r.statusNotes,
    source: r.channel,
    service_name: r.serviceName,
    service_subtype: r.detailedStatus === 'duplicate' ? 'duplicate' : r.serviceCode,
    description: r.description,
    agency_responsible: r.agencyResponsible,
    address: r.address,
    lat: r.lat,
    long: r.long,
  };
  for (const layer of layers) row[layer] = r.districts[layer] ?? null;
  return row;
}

/** Writes and waits for 'drain' when the socket's buffer is full (back-pressure). */
function write(out: Writable, chunk: string): Promise<void> {
  if (out.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    out.once('drain', done);
    out.once('close', done);
    out.once('error', done);
  });
}

/**
 * Keyset batches in (requested_at, id) order. The cursor keeps requested_at as PostgreSQL's own text, with
 * its microseconds: a JavaScript Date would round to milliseconds and re-read rows of the last millisecond.
 */
export async function* readInBatches(
  knex: Knex,
  filter: RequestFilter,
  batchSize = BATCH,
): AsyncGenerator<RequestRecord[]> {
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const q = applyFilter(knex, selectRequests(knex), { ...filter, includePrivate: false }).select(
      knex.raw('r.requested_at::text AS cursor_at'),
    );
    if (after) q.whereRaw('(r.requested_at, r.id) > (?::timestamptz, ?::bigint)', [after.at, after.id]);
    const raw = (await q
      .orderBy([{ column: 'r.requested_at' }, { column: 'r.id' }])
      .limit(batchSize)) as Array<Parameters<typeof toRecord>[0] & { cursor_at: string }>;
    if (raw.length === 0) return;
    yield raw.map(toRecord);
    const last = raw[raw.length - 1] as (typeof raw)[number];
    after = { at: last.cursor_at, id: last.id };
    if (raw.length < batchSize) return;
  }
}

/** Streams the export to `out`; returns the number of rows written (stops early if `out` is destroyed). */
export async function exportRequests(
  knex: Knex,
  filter: RequestFilter,
  format: BulkFormat,
  timeZone: string,
  layers: string[],
  out: Writable,
  batchSize = BATCH,
): Promise<number> {
  const columns = [...BULK_COLUMNS, ...layers];
  let n = 0;
  if (format === 'csv') await write(out, `\uFEFF${columns.join(',')}\r\n`);
  else if (format === 'json') await write(out, '[');
  else if (format === 'geojson') await write(out, '{"type":"FeatureCollection","features":[');
  for await (const batch of readInBatches(knex, filter, batchSize)) {
    if (out.destroyed) break;
    const parts: string[] = [];
    for (const r of batch) {
      const row = bulkRow(r, timeZone, layers);
      const sep = n > 0 ? ',' : '';
      if (format === 'csv') parts.push(`${columns.map((c) => csvField(row[c])).join(',')}\r\n`);
      else if (format === 'ndjson') parts.push(`${JSON.stringify(row)}\n`);
      else if (format === 'json') parts.push(sep + JSON.stringify(row));
      else {
        const { lat, long, ...properties } = row;
        const geometry = lat === null || long === null ? null : { type: 'Point', coordinates: [long, lat] };
        parts.push(
          `${sep}${JSON.stringify({ type: 'Feature', id: row.service_request_id, geometry, properties })}`,
        );
      }
      n += 1;
    }
    await write(out, parts.join(''));
  }
  if (format === 'json') await write(out, ']');
  else if (format === 'geojson') await write(out, ']}');
  return n;
}
