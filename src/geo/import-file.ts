/**
 * Imports one geography layer from a stream (a file for the CLI, the request body for the admin API):
 * GeoJSON FeatureCollections are read feature by feature with stream-json and CSV row by row, so memory
 * stays flat for large files. The CRS comes from `srid`, else from the GeoJSON `crs` member (read from the
 * head of the stream: one it cannot read is a 400), else WGS84. Every error it answers is printable text.
 */
import { Readable, pipeline } from 'node:stream';
import type { Knex } from 'knex';
import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/Pick';
import { streamArray } from 'stream-json/streamers/StreamArray';
import {
  csvRows,
  DEFAULT_ADDRESS_COLUMNS,
  oneLineAddress,
  readAddressCsv,
  type AddressColumns,
} from './address-csv';
import { AppError, badRequest } from '../core';
import { importBoundary, importDistricts, sridOf, type Feature } from './import';
import {
  importAddresses,
  importIntersections,
  type AddressRecord,
  type IntersectionRecord,
} from './import-points';
import { asImportError, type ImportLayer, type ImportOptions, type ImportReport } from './import-run';
import { SRID } from './postgis';

export type LayerSpec = ImportLayer;

/** `boundary`, `addresses`, `intersections` or `districts:NAME` (NAME: letters, digits, underscore). */
export function parseLayer(text: string): LayerSpec | null {
  if (text === 'boundary' || text === 'addresses' || text === 'intersections') return { kind: text };
  const m = /^districts:([a-z][a-z0-9_]{0,49})$/.exec(text);
  return m?.[1] ? { kind: 'districts', name: m[1] } : null;
}

export interface FileImportOptions extends ImportOptions {
  format: 'geojson' | 'csv';
  nameProperty?: string;
  columns?: Partial<AddressColumns>;
}

const HEAD_BYTES = 64 * 1024;

/**
 * The first `"crs": {...}` object of a file's head, parsed (null for `"crs": null`, undefined when there is
 * none), so that sridOf judges the member itself: a regex for its "name" used to take a later feature's
 * "name" property for it, and silently fell back to WGS84 on a name it could not read.
 */
export function crsMember(head: string): unknown {
  const found = /"crs"\s*:\s*/.exec(head);
  if (!found) return undefined;
  const start = found.index + found[0].length;
  if (head.startsWith('null', start)) return null;
  if (head[start] !== '{') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < head.length; i++) {
    const c = head[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        return JSON.parse(head.slice(start, i + 1)) as unknown;
      } catch {
        return { unreadable: true };
      }
    }
  }
  return { unreadable: true };
}

/**
 * Reads up to 64 KB to find a GeoJSON `crs` name, then hands back a stream that still starts at byte 0
 * (the rest is read from the same iterator, so a file larger than the head is not cut, and a read error
 * reaches the parser).
 */
async function peekCrs(input: Readable): Promise<{ stream: Readable; crs: unknown }> {
  const source = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < HEAD_BYTES) {
    const next = await source.next();
    if (next.done) {
      done = true;
      break;
    }
    const buf = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(buf);
    size += buf.length;
  }
  const crs = crsMember(Buffer.concat(head).toString('utf8'));
  async function* all(): AsyncGenerator<Buffer | string> {
    yield* head;
    if (done) return;
    for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
  }
  return { stream: Readable.from(all(), { objectMode: false }), crs };
}

/**
 * The features of a FeatureCollection, streamed, numbered from 1. A file the parser cannot read (cut
 * short, not JSON) fails with one sentence; what was read before is rolled back with the import.
 */
async function* features(input: Readable): AsyncGenerator<[number, Feature]> {
  const items = pipeline(input, parser(), pick({ filter: 'features' }), streamArray(), () => undefined);
  let n = 0;
  try {
    for await (const item of items as AsyncIterable<{ key: number; value: Feature }>) {
      n = item.key + 1;
      yield [n, item.value];
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badRequest(
      `The GeoJSON file cannot be read (malformed or cut short?) after feature ${n}: ${(err as Error).message}`,
    );
  }
}

async function* pointFeaturesAsAddresses(
  input: Readable,
  cols: AddressColumns,
): AsyncGenerator<[number, AddressRecord | string]> {
  for await (const [n, f] of features(input)) {
    const p = f.properties ?? {};
    const text = (k: string) => (p[k] === undefined || p[k] === null || p[k] === '' ? null : String(p[k]));
    const coords = f.geometry?.type === 'Point' ? (f.geometry.coordinates as number[]) : null;
    const streetProperty = cols.address ?? cols.street;
    const street = text(streetProperty);
    const parts = cols.address
      ? street && oneLineAddress(street, text(cols.unit), text(cols.zip))
      : { houseNumber: text(cols.houseNumber), street, unit: text(cols.unit), zip: text(cols.zip) };
    if (!coords || coords.length < 2) yield [n, 'not a Point feature'];
    else if (!street) yield [n, `no "${streetProperty}" property`];
    else if (typeof parts === 'string') yield [n, parts];
    else
      yield [
        n,
        {
          externalId: text(cols.externalId),
          houseNumber: parts?.houseNumber ?? null,
          street: parts?.street ?? street,
          unit: parts?.unit ?? null,
          zip: parts?.zip ?? null,
          long: Number(coords[0]),
          lat: Number(coords[1]),
        },
      ];
  }
}

/** An intersection from CSV columns or GeoJSON properties `street_a`, `street_b`, `zip`, `external_id`. */
function intersectionOf(
  get: (k: string) => string | null,
  lat: number,
  long: number,
): IntersectionRecord | string {
  const a = get('street_a');
  const b = get('street_b');
  if (!a || !b) return 'no "street_a" and "street_b"';
  if (!Number.isFinite(lat) || !Number.isFinite(long)) return 'missing or non-numeric coordinates';
  return { streetA: a, streetB: b, zip: get('zip'), externalId: get('external_id'), lat, long };
}

async function* csvIntersections(input: Readable): AsyncGenerator<[number, IntersectionRecord | string]> {
  for await (const [line, get] of csvRows(input, ['street_a', 'street_b', 'lat', 'long'])) {
    yield [line, intersectionOf(get, Number(get('lat') ?? NaN), Number(get('long') ?? NaN))];
  }
}

async function* featureIntersections(input: Readable): AsyncGenerator<[number, IntersectionRecord | string]> {
  for await (const [n, f] of features(input)) {
    const p = f.properties ?? {};
    const get = (k: string) => (p[k] === undefined || p[k] === null || p[k] === '' ? null : String(p[k]));
    const coords = f.geometry?.type === 'Point' ? (f.geometry.coordinates as number[]) : null;
    if (!coords || coords.length < 2) yield [n, 'not a Point feature'];
    else yield [n, intersectionOf(get, Number(coords[1]), Number(coords[0]))];
  }
}

/**
 * One layer from a stream, with the checks and the all-or-nothing policy of runImport. Every failure is
 * an AppError (see import-run.ts).
 */
export async function importLayerStream(
  knex: Knex,
  jurisdictionId: string,
  layer: LayerSpec,
  input: Readable,
  opts: FileImportOptions,
): Promise<ImportReport> {
  try {
    return await importLayer(knex, jurisdictionId, layer, input, opts);
  } catch (err) {
    throw printableError(asImportError(err));
  }
}

/** C0 and C1 controls and DEL, and what undecodable bytes became: never echoed to a client or terminal. */
// eslint-disable-next-line no-control-regex
const NOT_PRINTABLE = /[\u0000-\u001F\u007F-\u009F\uFFFD]/;

/**
 * The error with its descriptions made printable: a message quoting the file (a CSV header) echoed the
 * bytes of a compressed or binary body, control characters included (probe L5). The same error when clean.
 */
function printableError(err: AppError): AppError {
  if (!err.errors.some((e) => NOT_PRINTABLE.test(e.description))) return err;
  const runs = new RegExp(`${NOT_PRINTABLE.source}+`, 'g');
  const clean = new AppError(
    err.status,
    err.errors.map((e) => e.description.replace(runs, '?')),
  );
  Object.assign(clean.headers, err.headers);
  return clean;
}

async function importLayer(
  knex: Knex,
  jurisdictionId: string,
  layer: LayerSpec,
  input: Readable,
  opts: FileImportOptions,
): Promise<ImportReport> {
  const { format, nameProperty, columns: renamed, ...common } = opts;
  const columns = { ...DEFAULT_ADDRESS_COLUMNS, ...renamed };
  if (format === 'csv') {
    if (layer.kind === 'intersections')
      return importIntersections(knex, jurisdictionId, csvIntersections(input), common);
    if (layer.kind !== 'addresses')
      throw badRequest(
        'CSV files can only hold address points or intersections; use GeoJSON for boundaries and districts.',
      );
    const srid = opts.srid ?? SRID;
    return importAddresses(knex, jurisdictionId, readAddressCsv(input, columns, srid === SRID), common);
  }
  const { stream, crs } = await peekCrs(input);
  const srid = opts.srid ?? sridOf({ crs });
  const withSrid = { ...common, srid, unit: 'feature' as const };
  if (layer.kind === 'addresses')
    return importAddresses(knex, jurisdictionId, pointFeaturesAsAddresses(stream, columns), withSrid);
  if (layer.kind === 'intersections')
    return importIntersections(knex, jurisdictionId, featureIntersections(stream), withSrid);
  const all: Feature[] = [];
  for await (const [, f] of features(stream)) all.push(f);
  const fc = { type: 'FeatureCollection' as const, features: all };
  if (layer.kind === 'boundary') return importBoundary(knex, jurisdictionId, fc, withSrid);
  return importDistricts(knex, jurisdictionId, layer.name, fc, { ...withSrid, nameProperty });
}
