/**
 * GET requests parameters (GeoReport v2 plus the extensions in OPEN311.md) → a RequestFilter.
 * Every problem is collected, each naming its parameter.
 */
import type { Jurisdiction, Service } from '../catalog';
import { badRequest, Problems } from '../core';
import { checker, queryInput } from '../core';
import { DETAILED_STATUSES, type DetailedStatus } from '../requests';
import type { RequestFilter } from '../requests';
import { scalar, type RawParams } from '../http';
import { parseDateTime } from '../core';

export const MAX_PAGE_SIZE = 1000;
export const MAX_RANGE_DAYS = 90;
const DAY_MS = 86_400_000;
const DEFAULT_RADIUS = 500;
const MAX_RADIUS = 50_000;

const textList = (max: number) => ({ type: 'array', items: { type: 'string' }, maxItems: max }) as const;

/**
 * The typed parameters of GET requests. Dates (read in the jurisdiction's time zone), bbox and the
 * parameters that go together are checked by hand below, in the same list of problems.
 */
const listSchema = {
  $id: 'open311/list-params',
  type: 'object',
  properties: {
    service_request_id: textList(MAX_PAGE_SIZE),
    service_code: textList(500),
    status: {
      ...textList(2),
      items: { type: 'string', enum: ['open', 'closed'], 'x-problem': 'status must be open or closed.' },
    },
    detailed_status: {
      ...textList(DETAILED_STATUSES.length),
      items: {
        type: 'string',
        enum: DETAILED_STATUSES,
        'x-problem': `detailed_status must be among ${DETAILED_STATUSES.join(', ')}.`,
      },
    },
    lat: { type: 'number', minimum: -90, maximum: 90 },
    long: { type: 'number', minimum: -180, maximum: 180 },
    radius: { type: 'number', minimum: 1, maximum: MAX_RADIUS },
    sort: { type: 'string', enum: ['requested', 'updated', 'distance'] },
    page: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    page_size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
    extensions: { type: 'boolean' },
  },
} as const;

interface ListInput {
  service_request_id?: string[];
  service_code?: string[];
  status?: Array<'open' | 'closed'>;
  detailed_status?: DetailedStatus[];
  lat?: number;
  long?: number;
  radius?: number;
  sort?: RequestFilter['sort'];
  page?: number;
  page_size?: number;
  extensions?: boolean;
}

const listCheck = checker<ListInput>(listSchema);
const lower = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(lower) : typeof v === 'string' ? v.toLowerCase() : v;
const unique = <T>(v: T[] | undefined): T[] | undefined => (v ? [...new Set(v)] : undefined);

function date(params: RawParams, name: string, tz: string, problems: Problems): Date | undefined {
  const raw = scalar(params, name);
  if (raw === undefined) return undefined;
  const d = parseDateTime(raw, tz);
  if (!d)
    problems.add(
      `${name} must be an ISO 8601 date and time, e.g. 2026-11-22T14:03:00-05:00 (got "${raw.slice(0, 40)}").`,
    );
  return d ?? undefined;
}

/** The parameters of GET requests read by hand below (the schema's are the others). */
const HAND_READ = [
  'start_date',
  'end_date',
  'updated_after',
  'updated_before',
  'agency_responsible',
  'bbox',
  'district_layer',
  'district',
  'jurisdiction_id',
];
/** Every parameter GET requests reads (the staff work queue refuses any other). */
export const LIST_PARAMS: ReadonlySet<string> = new Set([
  ...Object.keys(listSchema.properties),
  ...HAND_READ,
]);
const KNOWN = LIST_PARAMS;

/**
 * `status[]=closed`, `service_code[0]=X`: a known parameter in a bracketed form (PHP's and Rails' lists)
 * is a 400 saying how to send it, not silently ignored (the client would get the whole unfiltered list).
 * Unknown plain parameters stay ignored: GeoReport clients send their own.
 */
function bracketedProblems(params: RawParams, problems: Problems): void {
  for (const [key, value] of Object.entries(params)) {
    const base = /^([^[\]]+)\[[^\]]*\]/.exec(key)?.[1];
    if (base === undefined || !KNOWN.has(base)) continue;
    const first = (Array.isArray(value) ? value : [value]).find((v) => typeof v === 'string') as
      string | undefined;
    const example = first ? `${base}=${first.slice(0, 40)}` : `${base}=…`;
    problems.add(
      `${key.slice(0, 60)} is not a parameter of this endpoint; send ${example}${
        listSchema.properties[base as keyof typeof listSchema.properties]?.type === 'array'
          ? ' (comma-separated for several)'
          : ''
      }.`,
    );
  }
}

export interface ListOptions {
  filter: RequestFilter;
  extensions: boolean;
}

export function parseListParams(
  params: RawParams,
  j: Jurisdiction,
  services: Service[],
  now: Date,
  opts: { maxRangeDays?: number | null } = {},
): ListOptions {
  const input = queryInput(listSchema, params);
  for (const name of ['status', 'detailed_status', 'sort'] as const)
    if (input[name] !== undefined) input[name] = lower(input[name]);
  const problems = new Problems();
  bracketedProblems(params, problems);
  for (const p of listCheck.problems(input)) problems.add(p);
  // Read on even when a value is wrong, so every problem is reported; nothing is returned then.
  const q = input as ListInput;
  const tz = j.timeZone;
  const filter: RequestFilter = { jurisdictionId: j.id, sort: 'requested', page: 1, pageSize: MAX_PAGE_SIZE };

  const ids = unique(q.service_request_id);
  if (ids) filter.ids = ids;
  const codes = unique(q.service_code);
  if (codes) {
    const wanted = new Set(codes);
    filter.serviceIds = services.filter((s) => wanted.has(s.serviceCode)).map((s) => s.id);
  }

  const start = date(params, 'start_date', tz, problems);
  const end = date(params, 'end_date', tz, problems);
  const maxDays = opts.maxRangeDays === undefined ? MAX_RANGE_DAYS : opts.maxRangeDays;
  if (start && end && start > end) problems.add('start_date must not be after end_date.');
  else if (maxDays === null) {
    if (start) filter.start = start;
    if (end) filter.end = end;
  } else if (start && end) {
    if (end.getTime() - start.getTime() > maxDays * DAY_MS) {
      problems.add(
        `The range from start_date to end_date may not exceed ${maxDays} days; page through narrower ranges or use the bulk export.`,
      );
    }
    filter.start = start;
    filter.end = end;
  } else if (start) {
    filter.start = start;
    filter.end = new Date(start.getTime() + maxDays * DAY_MS);
  } else {
    // Without dates: the last 90 days (before end_date when only that is given).
    filter.start = new Date((end ?? now).getTime() - maxDays * DAY_MS);
    if (end) filter.end = end;
  }

  const updatedAfter = date(params, 'updated_after', tz, problems);
  const updatedBefore = date(params, 'updated_before', tz, problems);
  if (updatedAfter) filter.updatedAfter = updatedAfter;
  if (updatedBefore) filter.updatedBefore = updatedBefore;

  const statuses = unique(q.status);
  if (statuses) filter.statuses = statuses;
  const detailed = unique(q.detailed_status);
  if (detailed) filter.detailedStatuses = detailed;

  const agency = scalar(params, 'agency_responsible');
  if (agency) filter.agency = agency.slice(0, 200);

  const { lat, long, radius } = q;
  if ((lat === undefined) !== (long === undefined)) problems.add('lat and long must be given together.');
  else if (lat !== undefined && long !== undefined)
    filter.near = { lat, long, radius: radius ?? DEFAULT_RADIUS };
  else if (radius !== undefined) problems.add('radius needs lat and long.');

  const bbox = scalar(params, 'bbox');
  if (bbox !== undefined) {
    const parts = bbox.split(',').map((p) => Number(p.trim()));
    const [minLong, minLat, maxLong, maxLat] = parts as [number, number, number, number];
    if (
      parts.length !== 4 ||
      parts.some((p) => !Number.isFinite(p)) ||
      Math.abs(minLat) > 90 ||
      Math.abs(maxLat) > 90 ||
      Math.abs(minLong) > 180 ||
      Math.abs(maxLong) > 180 ||
      minLong >= maxLong ||
      minLat >= maxLat
    ) {
      problems.add(
        'bbox must be min_long,min_lat,max_long,max_lat (longitude first, as in GeoJSON), with min below max.',
      );
    } else {
      filter.bbox = { minLong, minLat, maxLong, maxLat };
    }
  }

  const layer = scalar(params, 'district_layer');
  const district = scalar(params, 'district');
  if ((layer === undefined) !== (district === undefined))
    problems.add('district_layer and district must be given together.');
  else if (layer && district) filter.district = { layer: layer.slice(0, 100), name: district.slice(0, 200) };

  if (q.sort === 'distance' && !filter.near) problems.add('sort=distance needs lat and long.');
  else if (q.sort) filter.sort = q.sort;
  if (q.page !== undefined) filter.page = q.page;
  if (q.page_size !== undefined) filter.pageSize = q.page_size;

  problems.throwIfAny();
  return { filter, extensions: q.extensions ?? false };
}

export type AddressQuery =
  { q: string; limit: number } | { point: { lat: number; long: number }; radius: number; limit: number };

/** GET addresses: `q` (autocomplete) or `lat` + `long` (+ `radius`, default 100 m) for a reverse lookup. */
const addressSchema = {
  $id: 'open311/address-query',
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 200 },
    lat: { type: 'number', minimum: -90, maximum: 90 },
    long: { type: 'number', minimum: -180, maximum: 180 },
    radius: { type: 'number', minimum: 1, maximum: 5000, default: 100 },
    limit: { type: 'integer', minimum: 1, maximum: 10, default: 10 },
  },
} as const;

const addressCheck = checker<{ q?: string; lat?: number; long?: number; radius: number; limit: number }>(
  addressSchema,
);

export function parseAddressQuery(params: RawParams): AddressQuery {
  const { q, lat, long, radius, limit } = addressCheck.parse(queryInput(addressSchema, params));
  if (q !== undefined) return { q, limit };
  if (lat === undefined || long === undefined)
    throw badRequest('Send q (part of an address) or lat and long.');
  return { point: { lat, long }, radius, limit };
}
