/**
 * Imports one geography layer from a stream (a file for the CLI, the request body for the admin API):
 * GeoJSON FeatureCollections are read feature by feature with stream-json and CSV row by row, so memory
 * stays flat for large files. The CRS comes from `srid`, else from the GeoJSON `crs` member (read from the
 * head of the stream), else WGS84.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Knex } from 'knex';
import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/Pick';
import { streamArray } from 'stream-json/streamers/StreamArray';
import { csvRows, DEFAULT_ADDRESS_COLUMNS, readAddressCsv, type AddressColumns } from './address-csv';
import {
  importAddresses,
  importBoundary,
  importDistricts,
  importIntersections,
  sridOf,
  type IntersectionRecord,
  type AddressRecord,
  type Feature,
  type ImportReport,
} from './import';
import { SRID } from './postgis';

export type LayerSpec =
  | { kind: 'boundary' }
  | { kind: 'addresses' }
  | { kind: 'intersections' }
  | { kind: 'districts'; name: string };

/** `boundary`, `addresses`, `intersections` or `districts:NAME` (NAME: letters, digits, underscore). */
export function parseLayer(text: string): LayerSpec | null {
  if (text === 'boundary' || text === 'addresses' || text === 'intersections') return { kind: text };
  const m = /^districts:([a-z][a-z0-9_]{0,49})$/.exec(text);
  return m?.[1] ? { kind: 'districts', name: m[1] } : null;
}

export interface FileImportOptions {
  format: 'geojson' | 'csv';
  srid?: number;
  replace?: boolean;
  nameProperty?: string;
  columns?: Partial<AddressColumns>;
  onProgress?: (rows: number) => void;
}

const HEAD_BYTES = 64 * 1024;

/** Reads up to 64 KB to find a GeoJSON `crs` name, then hands back a stream that still starts at byte 0. */
async function peekCrs(input: Readable): Promise<{ stream: Readable; crs: string | undefined }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(buf);
    size += buf.length;
    if (size >= HEAD_BYTES) break;
  }
  const head = Buffer.concat(chunks).toString('utf8');
  const crs = /"crs"\s*:\s*\{[\s\S]*?"name"\s*:\s*"([^"]+)"/.exec(head)?.[1];
  const out = new PassThrough();
  out.write(Buffer.concat(chunks));
  if (input.readableEnded) out.end();
  else input.pipe(out);
  return { stream: out, crs };
}

async function* features(input: Readable): AsyncGenerator<[number, Feature]> {
  const items = input
    .pipe(parser())
    .pipe(pick({ filter: 'features' }))
    .pipe(streamArray());
  for await (const item of items as AsyncIterable<{ key: number; value: Feature }>)
    yield [item.key + 1, item.value];
}

async function* pointFeaturesAsAddresses(
  input: Readable,
  cols: AddressColumns,
): AsyncGenerator<[number, AddressRecord | string]> {
  for await (const [n, f] of features(input)) {
    const p = f.properties ?? {};
    const text = (k: string) => (p[k] === undefined || p[k] === null || p[k] === '' ? null : String(p[k]));
    const coords = f.geometry?.type === 'Point' ? (f.geometry.coordinates as number[]) : null;
    const street = text(cols.street);
    if (!coords || coords.length < 2) yield [n, 'not a Point feature'];
    else if (!street) yield [n, `no "${cols.street}" property`];
    else
      yield [
        n,
        {
          externalId: text(cols.externalId),
          houseNumber: text(cols.houseNumber),
          street,
          unit: text(cols.unit),
          zip: text(cols.zip),
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
  for await (const [line, get] of csvRows(input)) {
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

export async function importLayerStream(
  knex: Knex,
  jurisdictionId: string,
  layer: LayerSpec,
  input: Readable,
  opts: FileImportOptions,
): Promise<ImportReport> {
  const columns = { ...DEFAULT_ADDRESS_COLUMNS, ...opts.columns };
  if (layer.kind === 'intersections' && opts.format === 'csv')
    return importIntersections(knex, jurisdictionId, csvIntersections(input), {
      srid: opts.srid,
      replace: opts.replace,
      onProgress: opts.onProgress,
    });
  if (opts.format === 'csv') {
    if (layer.kind !== 'addresses')
      throw new Error('CSV files can only hold address points; use GeoJSON for boundaries and districts.');
    const srid = opts.srid ?? SRID;
    return importAddresses(knex, jurisdictionId, readAddressCsv(input, columns, srid === SRID), {
      srid,
      replace: opts.replace,
      onProgress: opts.onProgress,
    });
  }
  const { stream, crs } = await peekCrs(input);
  const srid = opts.srid ?? sridOf({ crs: crs ? { properties: { name: crs } } : undefined });
  const common = { srid, replace: opts.replace, onProgress: opts.onProgress };
  if (layer.kind === 'addresses')
    return importAddresses(knex, jurisdictionId, pointFeaturesAsAddresses(stream, columns), common);
  if (layer.kind === 'intersections')
    return importIntersections(knex, jurisdictionId, featureIntersections(stream), common);
  const all: Feature[] = [];
  for await (const [, f] of features(stream)) all.push(f);
  const fc = { type: 'FeatureCollection' as const, features: all };
  if (layer.kind === 'boundary') return importBoundary(knex, jurisdictionId, fc, common);
  return importDistricts(knex, jurisdictionId, layer.name, fc, {
    ...common,
    nameProperty: opts.nameProperty,
  });
}
