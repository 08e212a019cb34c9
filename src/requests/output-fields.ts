/**
 * The field names a request is written out with, one list per output, used by the outputs themselves
 * (open311/views.ts, staff/views.ts and opendata/bulk-export.ts type or build their objects from them), and
 * together the names a district layer may not take: a layer's name becomes a key of
 * `extended_attributes` and a column (property) of the bulk export, next to these fields. A layer named
 * `priority` or `lat` used to overwrite the built-in field in GeoReport JSON and XML, the staff queue and
 * the open data (outside probe, finding H5). A layer such a name that an older version accepted is still
 * stored and filterable, but the outputs write the built-in field and leave the layer's value out.
 */
import { badRequest, quoted } from '../core';

/** A request's GeoReport v2 fields in the standard's order, then the extensions' (extensions=true). */
export const GEOREPORT_REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
  'extended_attributes',
  'notes',
] as const;
export type GeoReportRequestField = (typeof GEOREPORT_REQUEST_FIELDS)[number];

/** The built-in keys of `extended_attributes` (the district layers' keys go among them). */
export const EXTENDED_ATTRIBUTE_FIELDS = [
  'detailed_status',
  'channel',
  'priority',
  'location_match',
  'location_accuracy_m',
  'duplicate',
  'parent_service_request_id',
  'supporter_count',
  'distance',
  'media_urls',
  'attributes',
] as const;
export type ExtendedAttributeField = (typeof EXTENDED_ATTRIBUTE_FIELDS)[number];

/**
 * The bulk export's columns (GeoReport Bulk, as piloted by Louisville, Bloomington and San Diego), then one
 * per district layer; in JSON and GeoJSON the same names are the rows' keys and the features' properties.
 */
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
  'media_url',
] as const;

/** What the staff API adds to a request's GeoReport fields (GET /staff/v1/requests and /requests/{id}). */
export const STAFF_REQUEST_FIELDS = [
  'agency_code',
  'assigned_to',
  'overdue',
  'location',
  'closed_datetime',
  'contact',
  'media',
] as const;
export type StaffRequestField = (typeof STAFF_REQUEST_FIELDS)[number];

/** Every name above, sorted: a district layer named one of them is refused (400). */
export const RESERVED_LAYER_NAMES: readonly string[] = [
  ...new Set<string>([
    ...GEOREPORT_REQUEST_FIELDS,
    ...EXTENDED_ATTRIBUTE_FIELDS,
    ...BULK_COLUMNS,
    ...STAFF_REQUEST_FIELDS,
  ]),
].sort();
const RESERVED: ReadonlySet<string> = new Set(RESERVED_LAYER_NAMES);

/** 400 when a new district layer would be named like a field of a request's output. */
export function assertLayerNameFree(name: string): void {
  if (!RESERVED.has(name)) return;
  throw badRequest(
    `A district layer cannot be named "${quoted(name)}": its name becomes a field of every request's output ` +
      `(extended_attributes, the bulk export's columns), so these names are reserved: ${RESERVED_LAYER_NAMES.join(', ')}.`,
  );
}

/**
 * A request's districts without the layers named like one of `builtIn` (a layer an older version
 * accepted): the output keeps its own field and leaves the layer's value out, never overwriting it.
 */
export function districtsBeside(
  districts: Readonly<Record<string, string>>,
  builtIn: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [layer, name] of Object.entries(districts)) if (!builtIn.includes(layer)) out[layer] = name;
  return out;
}
