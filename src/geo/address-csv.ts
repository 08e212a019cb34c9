import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { AddressRecord } from './import';

/** Which CSV column holds each field (the `geo import` flags rename them). */
export interface AddressColumns {
  externalId: string;
  houseNumber: string;
  street: string;
  unit: string;
  zip: string;
  lat: string;
  long: string;
}

export const DEFAULT_ADDRESS_COLUMNS: AddressColumns = {
  externalId: 'external_id',
  houseNumber: 'house_number',
  street: 'street',
  unit: 'unit',
  zip: 'zip',
  lat: 'lat',
  long: 'long',
};

/**
 * The rows of a CSV with a header line (a byte-order mark, blank lines and short rows tolerated), each with its
 * line number and a reader of its columns: an absent or empty column reads as null.
 */
export async function* csvRows(input: Readable): AsyncGenerator<[number, (column: string) => string | null]> {
  const parser = input.pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: true,
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    yield [
      info.lines,
      (column) => (record[column] === undefined || record[column] === '' ? null : record[column]),
    ];
  }
}

/**
 * Streams address records out of a CSV with a header row, yielding [line, record] or [line, reason].
 * Coordinates are checked for WGS84 range only when `checkWgs84` (projected CRSs have other ranges).
 */
export async function* readAddressCsv(
  input: Readable,
  columns: AddressColumns = DEFAULT_ADDRESS_COLUMNS,
  checkWgs84 = true,
): AsyncGenerator<[number, AddressRecord | string]> {
  for await (const [line, get] of csvRows(input)) {
    const street = get(columns.street);
    const lat = Number(get(columns.lat));
    const long = Number(get(columns.long));
    if (!street) yield [line, 'no street'];
    else if (
      get(columns.lat) === null ||
      get(columns.long) === null ||
      !Number.isFinite(lat) ||
      !Number.isFinite(long)
    ) {
      yield [line, 'missing or non-numeric coordinates'];
    } else if (checkWgs84 && (Math.abs(lat) > 90 || Math.abs(long) > 180))
      yield [line, 'coordinates out of range'];
    else {
      yield [
        line,
        {
          externalId: get(columns.externalId),
          houseNumber: get(columns.houseNumber),
          street,
          unit: get(columns.unit),
          zip: get(columns.zip),
          lat,
          long,
        },
      ];
    }
  }
}
