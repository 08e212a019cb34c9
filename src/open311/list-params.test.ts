import type { Jurisdiction, Service } from '../catalog';
import { AppError } from '../core/errors';
import { MAX_PAGE_SIZE, MAX_RANGE_DAYS, parseAddressQuery, parseListParams } from './list-params';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-11-23T15:00:00Z');
const BOSTON: Jurisdiction = {
  id: 'boston',
  name: 'Boston',
  timeZone: 'America/New_York',
  email: null,
  phone: null,
  website: null,
  hasBoundary: true,
};
const service = (id: number, serviceCode: string): Service => ({
  id,
  jurisdictionId: 'boston',
  serviceCode,
  serviceName: serviceCode,
  description: '',
  type: 'realtime',
  keywords: [],
  groups: [],
  agency: null,
  sla: null,
  isPrivate: false,
  active: true,
  version: 1,
  attributes: [],
});
const SERVICES = [service(1, 'pothole'), service(2, 'graffiti')];

const parse = (params: Record<string, unknown>, opts?: { maxRangeDays?: number | null }) =>
  parseListParams(params, BOSTON, SERVICES, NOW, opts);

/** The descriptions of the AppError `fn` throws. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    return (err as AppError).errors.map((e) => e.description);
  }
  throw new Error('expected a 400');
}

describe('parseListParams', () => {
  test('when nothing is given, then the last 90 days of the jurisdiction, newest requested first, one full page', () => {
    const { filter, extensions } = parse({});
    expect(filter).toEqual({
      jurisdictionId: 'boston',
      sort: 'requested',
      page: 1,
      pageSize: MAX_PAGE_SIZE,
      start: new Date(NOW.getTime() - MAX_RANGE_DAYS * DAY_MS),
    });
    expect(extensions).toBe(false);
  });

  test('when dates carry no offset, then they are read in the jurisdiction time zone', () => {
    const { filter } = parse({ start_date: '2026-10-15T08:00:00', end_date: '2026-11-02T08:00:00-05:00' });
    expect(filter.start).toEqual(new Date('2026-10-15T12:00:00Z')); // EDT;
    expect(filter.end).toEqual(new Date('2026-11-02T13:00:00Z')); // EST, an explicit offset wins;
  });

  test('when only start_date is given, then the range ends 90 days later', () => {
    const { filter } = parse({ start_date: '2026-01-01T00:00:00Z' });
    expect(filter.end).toEqual(new Date(Date.parse('2026-01-01T00:00:00Z') + MAX_RANGE_DAYS * DAY_MS));
  });

  test('when the range limit is lifted (bulk export), then only the dates given bound it', () => {
    expect(parse({}, { maxRangeDays: null }).filter.start).toBeUndefined();
    const { filter } = parse(
      { start_date: '2020-01-01T00:00:00Z', end_date: '2026-01-01T00:00:00Z' },
      { maxRangeDays: null },
    );
    expect(filter.start).toEqual(new Date('2020-01-01T00:00:00Z'));
    expect(filter.end).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  test('when service codes are given, then they become the matching service ids; unknown codes match nothing', () => {
    expect(parse({ service_code: 'graffiti,pothole' }).filter.serviceIds).toEqual([1, 2]);
    expect(parse({ service_code: 'nope' }).filter.serviceIds).toEqual([]);
  });

  test('when filters are given, then each lands in the filter', () => {
    const { filter, extensions } = parse({
      service_request_id: '101,102',
      status: 'OPEN',
      detailed_status: 'in_progress',
      agency_responsible: 'Public Works',
      lat: '42.35',
      long: '-71.08',
      sort: 'distance',
      page: '2',
      page_size: '50',
      extensions: 'true',
      district_layer: 'ward',
      district: '5',
    });
    expect(filter).toMatchObject({
      ids: ['101', '102'],
      statuses: ['open'],
      detailedStatuses: ['in_progress'],
      agency: 'Public Works',
      near: { lat: 42.35, long: -71.08, radius: 500 },
      sort: 'distance',
      page: 2,
      pageSize: 50,
      district: { layer: 'ward', name: '5' },
    });
    expect(extensions).toBe(true);
  });

  test('when a bbox is given longitude first, then it is the filter box', () => {
    expect(parse({ bbox: '-71.1,42.3,-71.0,42.4' }).filter.bbox).toEqual({
      minLong: -71.1,
      minLat: 42.3,
      maxLong: -71.0,
      maxLat: 42.4,
    });
  });

  test('when many parameters are wrong, then every problem is reported at once, each naming its parameter', () => {
    const found = problems(() =>
      parse({
        start_date: 'yesterday',
        status: 'pending',
        lat: '95',
        long: '-71',
        page_size: '5000',
        sort: 'random',
        extensions: 'maybe',
        bbox: '1,2,3',
      }),
    );
    expect(found.length).toBeGreaterThanOrEqual(7);
    for (const name of ['start_date', 'status', 'lat', 'page_size', 'sort', 'extensions', 'bbox'])
      expect(found.some((d) => d.startsWith(name))).toBe(true);
  });

  test.each([
    [
      { start_date: '2026-11-10T00:00:00Z', end_date: '2026-11-01T00:00:00Z' },
      'start_date must not be after end_date.',
    ],
    [{ lat: '42.35' }, 'lat and long must be given together.'],
    [{ radius: '100' }, 'radius needs lat and long.'],
    [{ sort: 'distance' }, 'sort=distance needs lat and long.'],
    [{ district: '5' }, 'district_layer and district must be given together.'],
    [{ status: 'open,closed,open,closed' }, 'status must be a list of at most 2 values.'],
  ])('when %j, then "%s"', (params, message) => {
    expect(problems(() => parse(params))).toEqual([message]);
  });

  test('when the range is longer than 90 days, then the problem points to paging or the bulk export', () => {
    const [message] = problems(() =>
      parse({ start_date: '2026-01-01T00:00:00Z', end_date: '2026-06-01T00:00:00Z' }),
    );
    expect(message).toContain(`may not exceed ${MAX_RANGE_DAYS} days`);
  });

  test('when bbox has min above max, then it is refused', () => {
    expect(problems(() => parse({ bbox: '-71.0,42.3,-71.1,42.4' }))[0]).toMatch(/^bbox must be/);
  });
});

describe('parseAddressQuery', () => {
  test('when q is given, then it is an autocomplete with at most 10 results', () => {
    expect(parseAddressQuery({ q: '29 Hereford' })).toEqual({ q: '29 Hereford', limit: 10 });
    expect(parseAddressQuery({ q: 'x', limit: '3' })).toEqual({ q: 'x', limit: 3 });
  });

  test('when lat and long are given, then it is a reverse lookup within 100 m by default', () => {
    expect(parseAddressQuery({ lat: '42.35', long: '-71.08' })).toEqual({
      point: { lat: 42.35, long: -71.08 },
      radius: 100,
      limit: 10,
    });
  });

  test('when neither is given, then one problem says what to send', () => {
    expect(problems(() => parseAddressQuery({}))).toEqual(['Send q (part of an address) or lat and long.']);
  });

  test('when values are wrong, then each is named, and the "send q" hint is not added on top', () => {
    const found = problems(() => parseAddressQuery({ lat: 'x', limit: '50', q: 'y'.repeat(201) }));
    expect(found).toHaveLength(3);
    expect(found.some((d) => d.startsWith('lat'))).toBe(true);
    expect(found.some((d) => d.startsWith('limit'))).toBe(true);
    expect(found.some((d) => d.startsWith('q must be text of at most 200 characters'))).toBe(true);
  });
});
