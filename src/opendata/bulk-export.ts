/**
 * Bulk export of public requests (issue #9; columns after the GeoReport Bulk proposal piloted by
 * Louisville, Bloomington and San Diego). Rows are read in keyset batches — (requested_at, id) after the
 * last row sent — and written with back-pressure, so server memory stays flat however many rows, no
 * connection or transaction is held while a slow client reads, and a client that disconnects stops the
 * loop at the next batch. Works the same on PostgreSQL and on the embedded database.
 *
 * Memory (docs/decisions/0002-performance.md): the database writes each batch's text — the rows already as
 * CSV lines or JSON, joined by string_agg — so a batch reaches JavaScript as one string with its keyset
 * cursor, and is turned into one Buffer before the export waits on the socket. Building rows in JavaScript
 * allocated about 5.7 KB per row (pg's field strings, Dates, row objects, formatted strings); the objects
 * alive across the socket and database waits were promoted to V8's old space, so the heap, and RSS, grew
 * with the row count until a full collection. The datetime text is formatDateTime's (ISO 8601 with the
 * zone's offset, whole seconds), checked against the GeoReport list in bulk-export.test.ts.
 */
import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { sqlDateTime } from '../core';
import { latOf, longOf } from '../geo';
import { applyFilter, BULK_COLUMNS, requestMediaUrlsSql } from '../requests';
import type { RequestFilter } from '../requests';

export type BulkFormat = 'csv' | 'json' | 'geojson' | 'ndjson';
export const BULK_FORMATS: readonly BulkFormat[] = ['csv', 'json', 'geojson', 'ndjson'];
export const BULK_CONTENT_TYPES: Record<BulkFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** Rows per keyset batch: one query, one string of about 50 KB of CSV (larger batches grew pg's read buffers). */
const BATCH = 200;

/**
 * The bulk columns (BULK_COLUMNS, in requests/output-fields.ts), then one per district layer, each as SQL of
 * its value (text, or float8 for lat/long).
 */
function columnSql(
  knex: Knex,
  timeZone: string,
  layers: string[],
  baseUrl: string,
): Array<{ sql: Knex.Raw; number: boolean }> {
  const text = (sql: string, bindings: string[] = []) => ({ sql: knex.raw(sql, bindings), number: false });
  return [
    text('r.id::text'),
    { sql: sqlDateTime(knex, 'r.requested_at', timeZone), number: false },
    { sql: sqlDateTime(knex, 'r.updated_at', timeZone), number: false },
    { sql: sqlDateTime(knex, 'r.closed_at', timeZone), number: false },
    text('r.status::text'),
    text('r.status_notes'),
    text('r.channel'),
    text('s.service_name'),
    text("CASE WHEN r.detailed_status = 'duplicate' THEN 'duplicate' ELSE s.service_code END"),
    text('r.description'),
    text('a.name'),
    text('r.address'),
    { sql: knex.raw(`${latOf('r.location')}::float8`), number: true },
    { sql: knex.raw(`${longOf('r.location')}::float8`), number: true },
    // The public photos (uploads not hidden by staff, then the URLs a client sent), space-separated.
    text(`nullif(array_to_string(${requestMediaUrlsSql('?::text')}, ' '), '')`, [baseUrl]),
    ...layers.map((layer) => text('r.districts ->> ?', [layer])),
  ];
}

const LAT = BULK_COLUMNS.indexOf('lat');
const LONG = BULK_COLUMNS.indexOf('long');

/**
 * One row as SQL text in the export's format, from the batch's value columns b.v0, b.v1, …, and the
 * separator between rows. CSV quotes a field that holds a comma, quote, CR or LF (RFC 4180, as
 * reports/csv.ts); JSON values are to_json's, so strings are escaped as JSON.stringify escapes them and
 * float8 is written shortest-exact, as JavaScript writes numbers.
 */
function lineSql(
  knex: Knex,
  format: BulkFormat,
  columns: string[],
  numeric: boolean[],
  raw: boolean,
): { line: Knex.Raw; separator: string } {
  const v = (i: number) => `b.v${i}`;
  // A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP "CSV injection"),
  // unless the client asked for the exact text with raw=true. The apostrophe adds no comma or quote, so
  // whether to quote is still decided on the stored text.
  const cell = (i: number) =>
    raw
      ? v(i)
      : `(CASE WHEN ${v(i)} ~ ('^[-=+@' || chr(9) || chr(13) || ']') THEN '''' || ${v(i)} ELSE ${v(i)} END)`;
  const csv = (i: number) =>
    numeric[i]
      ? `coalesce(${v(i)}::text, '')`
      : `CASE WHEN ${v(i)} IS NULL THEN '' WHEN ${v(i)} ~ ('[",' || chr(13) || chr(10) || ']') THEN '"' || replace(${cell(i)}, '"', '""') || '"' ELSE ${cell(i)} END`;
  const json = (i: number) => `coalesce(to_json(${v(i)})::text, 'null')`;
  // The keys are bound as parameters (quoted by JSON.stringify), so no column name is ever SQL text.
  const object = (skip: (i: number) => boolean) => {
    const sql: string[] = [];
    const keys: string[] = [];
    columns.forEach((c, i) => {
      if (skip(i)) return;
      sql.push(`?::text || ${json(i)}`);
      keys.push(`${keys.length ? ',' : '{'}${JSON.stringify(c)}:`);
    });
    return { sql: `${sql.join(' || ')} || '}'`, keys };
  };
  const all = () => false;
  switch (format) {
    case 'csv':
      return {
        line: knex.raw(`${columns.map((_c, i) => csv(i)).join(" || ',' || ")} || chr(13) || chr(10)`),
        separator: '',
      };
    case 'ndjson': {
      const o = object(all);
      return { line: knex.raw(`${o.sql} || chr(10)`, o.keys), separator: '' };
    }
    case 'json': {
      const o = object(all);
      return { line: knex.raw(o.sql, o.keys), separator: ',' };
    }
    case 'geojson': {
      const o = object((i) => i === LAT || i === LONG);
      const geometry = `CASE WHEN ${v(LAT)} IS NULL OR ${v(LONG)} IS NULL THEN 'null' ELSE '{"type":"Point","coordinates":[' || ${v(LONG)}::text || ',' || ${v(LAT)}::text || ']}' END`;
      return {
        line: knex.raw(
          `'{"type":"Feature","id":' || ${json(0)} || ',"geometry":' || ${geometry} || ',"properties":' || ${o.sql} || '}'`,
          o.keys,
        ),
        separator: ',',
      };
    }
  }
}

/**
 * A writer to `out` with back-pressure: a write that fills the buffer waits for 'drain' (or for `out` to
 * close or fail; once `out` is closed, writes return at once). One listener of each for the whole export,
 * added here once: the compression middleware hands a response's 'drain' listeners to its gzip stream and
 * cannot take them off again, so a listener per wait (once/off) piled up there, one per batch (Node's
 * MaxListenersExceededWarning from the 11th).
 */
export function backPressureWriter(out: Writable): (chunk: string | Buffer) => Promise<void> {
  let waiting: { resolve: () => void; reject: (err: Error) => void } | null = null;
  let failed: Error | null = null;
  let closed = false;
  const wake = (err?: Error) => {
    if (err) failed = err;
    const w = waiting;
    waiting = null;
    if (w && failed) w.reject(failed);
    else w?.resolve();
  };
  out.on('drain', () => wake());
  out.once('close', () => {
    closed = true;
    wake();
  });
  out.once('error', (err: Error) => wake(err));
  return (chunk) => {
    if (failed) return Promise.reject(failed);
    // Gone (the client hung up): nothing to wait for, and no 'drain' will come.
    if (closed || out.destroyed) return Promise.resolve();
    if (out.write(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => (waiting = { resolve, reject }));
  };
}

interface Cursor {
  at: string;
  id: string;
}

/**
 * One keyset batch in (requested_at, id) order, as one string made by the database. The cursor keeps
 * requested_at as PostgreSQL's own text, with its microseconds: a JavaScript Date would round to
 * milliseconds and re-read rows of the last millisecond.
 */
async function readBatch(
  knex: Knex,
  filter: RequestFilter,
  values: Knex.Raw[],
  line: { line: Knex.Raw; separator: string },
  after: Cursor | null,
  batchSize: number,
): Promise<{ text: string; rows: number; next: Cursor | null }> {
  const inner = applyFilter(
    knex,
    knex('service_requests as r')
      .join('services as s', 's.id', 'r.service_id')
      .leftJoin('agencies as a', 'a.id', 'r.agency_id'),
    { ...filter, includePrivate: false },
  ).select(
    'r.requested_at',
    'r.id',
    knex.raw('r.requested_at::text AS cursor_at'),
    ...values.map((v, i) => knex.raw(`? AS v${i}`, [v])),
  );
  if (after) inner.whereRaw('(r.requested_at, r.id) > (?::timestamptz, ?::bigint)', [after.at, after.id]);
  inner.orderBy([{ column: 'r.requested_at' }, { column: 'r.id' }]).limit(batchSize);
  const row = (
    (await knex
      .from(inner.as('b'))
      .select(
        knex.raw('string_agg(?, ? ORDER BY b.requested_at, b.id) AS text', [line.line, line.separator]),
        knex.raw('count(*)::int AS n'),
        knex.raw('(array_agg(b.cursor_at ORDER BY b.requested_at DESC, b.id DESC))[1] AS last_at'),
        knex.raw('(array_agg(b.id::text ORDER BY b.requested_at DESC, b.id DESC))[1] AS last_id'),
      )) as Array<{ text: string | null; n: number; last_at: string | null; last_id: string | null }>
  )[0];
  const rows = Number(row?.n ?? 0);
  return {
    text: row?.text ?? '',
    rows,
    next: rows === batchSize && row?.last_at && row.last_id ? { at: row.last_at, id: row.last_id } : null,
  };
}

/** A header cell (a district layer name is an admin's text): quoted and neutralised as the rows are. */
export function csvHeaderCell(name: string, raw = false): string {
  const text = !raw && /^[-=+@\t\r]/.test(name) ? `'${name}` : name;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface ExportOptions {
  batchSize?: number;
  /** CSV: the exact stored text, without the apostrophe before formula-like cells. */
  raw?: boolean;
  /** CSV: start with a UTF-8 byte-order mark (for spreadsheets that guess the encoding otherwise). */
  bom?: boolean;
  /** The public base URL (PUBLIC_URL) the media URLs are under. */
  baseUrl?: string;
  /** Called once, just before the first byte: the first batch was read, so the filter worked. */
  onStart?: () => void;
}

/** Streams the export to `out`; returns the number of rows written (stops early if `out` is destroyed). */
export async function exportRequests(
  knex: Knex,
  filter: RequestFilter,
  format: BulkFormat,
  timeZone: string,
  layers: string[],
  out: Writable,
  options: ExportOptions = {},
): Promise<number> {
  const batchSize = options.batchSize ?? BATCH;
  // A layer named like a column (accepted by an older version) is left out: it would repeat the column's
  // name in the CSV header and the row's keys (JSON.parse keeping the layer's value for `lat`).
  const own = layers.filter((l) => !(BULK_COLUMNS as readonly string[]).includes(l));
  const columns = [...BULK_COLUMNS, ...own];
  const values = columnSql(knex, timeZone, own, options.baseUrl ?? '');
  const line = lineSql(
    knex,
    format,
    columns,
    values.map((v) => v.number),
    options.raw === true,
  );
  const valueSql = values.map((v) => v.sql);
  const write = backPressureWriter(out);
  // The first batch is read before anything is written: a failing filter is still an error status.
  let batch = await readBatch(knex, filter, valueSql, line, null, batchSize);
  options.onStart?.();
  let n = 0;
  if (format === 'csv') {
    const header = columns.map((c) => csvHeaderCell(c, options.raw === true)).join(',');
    await write(`${options.bom ? '\uFEFF' : ''}${header}\r\n`);
  } else if (format === 'json') await write('[');
  else if (format === 'geojson') await write('{"type":"FeatureCollection","features":[');
  for (;;) {
    if (batch.rows === 0 || out.destroyed) break;
    n += batch.rows;
    await write(n > batch.rows ? `${line.separator}${batch.text}` : batch.text);
    if (!batch.next || out.destroyed) break;
    batch = await readBatch(knex, filter, valueSql, line, batch.next, batchSize);
  }
  if (format === 'json') await write(']');
  else if (format === 'geojson') await write(']}');
  return n;
}
