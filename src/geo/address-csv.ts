import { pipeline, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { AppError, badRequest } from '../core';
import { parseAddress } from './address-normalise';
import type { AddressRecord } from './import-points';

/** Which CSV column holds each field (the `geo import` flags rename them). */
export interface AddressColumns {
  /**
   * A one-line address column ("3016 THORNDALE AVE, BC"), read instead of `houseNumber` and `street`
   * when named: split as the geocoder splits a resident's address (parseAddress). Never by default.
   */
  address?: string;
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
 * line number and a reader of its columns: an absent or empty column reads as null. A header without one of
 * the `required` columns, or a file the parser cannot read (an unclosed quote where a file was cut), fails
 * with one sentence, before any row for the header.
 */
export async function* csvRows(
  input: Readable,
  required: readonly string[] = [],
): AsyncGenerator<[number, (column: string) => string | null]> {
  // Set by the parser when it reads the header line; checked before the first row is handed out.
  const seen: { header: string[] | null; checked: boolean } = { header: null, checked: false };
  const checkHeader = (columns: string[]) => {
    const missing = required.filter((c) => !columns.includes(c));
    if (missing.length > 0)
      throw badRequest(
        `The CSV has no ${missing.map((c) => `"${c}"`).join(', ')} column${missing.length > 1 ? 's' : ''} (its header: ${columns.join(', ').slice(0, 200) || 'empty'}); name the columns to read with the column options.`,
      );
  };
  const parser = pipeline(
    input,
    parse({
      columns: (h: string[]) => (seen.header = h),
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: true,
    }),
    () => undefined,
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      if (!seen.checked) checkHeader(seen.header ?? []);
      seen.checked = true;
      yield [
        info.lines,
        (column) => (record[column] === undefined || record[column] === '' ? null : record[column]),
      ];
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badRequest(`The CSV file cannot be read (malformed or cut short?): ${(err as Error).message}`);
  }
  if (!seen.header) throw badRequest('The CSV file is empty: it has no header line.');
  if (!seen.checked) checkHeader(seen.header);
}

/**
 * The number, street, unit and zip of a one-line address, as the geocoder reads one (the street in its
 * normalised form, "THORNDALE AVE"); a `unit` or `zip` from their own columns wins. A reason without a street.
 */
export function oneLineAddress(
  text: string,
  unit: string | null,
  zip: string | null,
): Pick<AddressRecord, 'houseNumber' | 'street' | 'unit' | 'zip'> | string {
  const p = parseAddress(text);
  if (p.street === '') return 'no street in the address';
  return { houseNumber: p.houseNumber, street: p.street, unit: unit ?? p.unit, zip: zip ?? p.zip };
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
  const oneLine = columns.address;
  const required = [oneLine ?? columns.street, columns.lat, columns.long];
  for await (const [line, get] of csvRows(input, required)) {
    const street = get(oneLine ?? columns.street);
    const lat = Number(get(columns.lat));
    const long = Number(get(columns.long));
    const parts = oneLine
      ? street && oneLineAddress(street, get(columns.unit), get(columns.zip))
      : { houseNumber: get(columns.houseNumber), street, unit: get(columns.unit), zip: get(columns.zip) };
    if (!street) yield [line, oneLine ? 'no address' : 'no street'];
    else if (typeof parts === 'string') yield [line, parts];
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
          houseNumber: parts?.houseNumber ?? null,
          street: parts?.street ?? street,
          unit: parts?.unit ?? null,
          zip: parts?.zip ?? null,
          lat,
          long,
        },
      ];
    }
  }
}
