/**
 * GET requests parameters (GeoReport v2 plus the extensions in OPEN311.md) → a RequestFilter.
 * Every problem is collected, each naming its parameter.
 */
import type { Jurisdiction, Service } from '../catalog';
import { Problems } from '../core';
import { DETAILED_STATUSES, isDetailedStatus } from '../requests';
import type { RequestFilter } from '../requests';
import { boolean, list, number, scalar, type RawParams } from '../http';
import { parseDateTime } from '../core';

export const MAX_PAGE_SIZE = 1000;
export const MAX_RANGE_DAYS = 90;
const DAY_MS = 86_400_000;
const DEFAULT_RADIUS = 500;
const MAX_RADIUS = 50_000;

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
  const problems = new Problems();
  const tz = j.timeZone;
  const filter: RequestFilter = { jurisdictionId: j.id, sort: 'requested', page: 1, pageSize: MAX_PAGE_SIZE };

  const ids = list(params, 'service_request_id', MAX_PAGE_SIZE, problems);
  if (ids) filter.ids = ids;

  const codes = list(params, 'service_code', 500, problems);
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

  const statuses = list(params, 'status', 2, problems)?.map((s) => s.toLowerCase());
  if (statuses) {
    const bad = statuses.filter((s) => s !== 'open' && s !== 'closed');
    if (bad.length > 0) problems.add(`status must be open or closed (got "${bad.join(', ')}").`);
    else filter.statuses = statuses as Array<'open' | 'closed'>;
  }
  const detailed = list(params, 'detailed_status', DETAILED_STATUSES.length, problems)?.map((s) =>
    s.toLowerCase(),
  );
  if (detailed) {
    const bad = detailed.filter((s) => !isDetailedStatus(s));
    if (bad.length > 0)
      problems.add(
        `detailed_status must be among ${DETAILED_STATUSES.join(', ')} (got "${bad.join(', ')}").`,
      );
    else filter.detailedStatuses = detailed.filter(isDetailedStatus);
  }

  const agency = scalar(params, 'agency_responsible');
  if (agency) filter.agency = agency.slice(0, 200);

  const lat = number(params, 'lat', problems, { min: -90, max: 90 });
  const long = number(params, 'long', problems, { min: -180, max: 180 });
  const radius = number(params, 'radius', problems, { min: 1, max: MAX_RADIUS });
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

  const sort = scalar(params, 'sort')?.toLowerCase();
  if (sort !== undefined) {
    if (sort === 'distance' && !filter.near) problems.add('sort=distance needs lat and long.');
    else if (sort === 'distance' || sort === 'requested' || sort === 'updated') filter.sort = sort;
    else problems.add('sort must be requested, updated or distance.');
  }

  const page = number(params, 'page', problems, { min: 1, max: 1_000_000, integer: true });
  const pageSize = number(params, 'page_size', problems, { min: 1, max: MAX_PAGE_SIZE, integer: true });
  if (page !== undefined) filter.page = page;
  if (pageSize !== undefined) filter.pageSize = pageSize;

  const extensions = boolean(params, 'extensions', problems) ?? false;
  problems.throwIfAny();
  return { filter, extensions };
}

export type AddressQuery =
  { q: string; limit: number } | { point: { lat: number; long: number }; radius: number; limit: number };

/** GET addresses: `q` (autocomplete) or `lat` + `long` (+ `radius`, default 100 m) for a reverse lookup. */
export function parseAddressQuery(params: RawParams): AddressQuery {
  const problems = new Problems();
  const q = scalar(params, 'q');
  const lat = number(params, 'lat', problems, { min: -90, max: 90 });
  const long = number(params, 'long', problems, { min: -180, max: 180 });
  const radius = number(params, 'radius', problems, { min: 1, max: 5000 }) ?? 100;
  const limit = number(params, 'limit', problems, { min: 1, max: 10, integer: true }) ?? 10;
  if (q !== undefined && q.length > 200) problems.add('q is too long (at most 200 characters).');
  if (q === undefined && (lat === undefined || long === undefined) && !problems.any) {
    problems.add('Send q (part of an address) or lat and long.');
  }
  problems.throwIfAny();
  if (q !== undefined) return { q, limit };
  return { point: { lat: lat as number, long: long as number }, radius, limit };
}
