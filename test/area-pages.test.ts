/**
 * Radius and bbox pages newest first (src/requests/query.ts, newestInArea) and radius pages nearest first
 * (nearestInArea): read through the GiST indexes in time or distance order, and still cut exactly in the
 * list's order (requested_at or distance, then id, newest first) when requests share a requested_at or a
 * spot across a page's edge.
 */
import request from 'supertest';
import { listQuery, listRequests } from '../src/requests/query';
import type { RequestFilter } from '../src/requests';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, disableDuplicateDetection, plainService } from './helpers/fixtures';

let t: TestServer;
/** Newest first as the list orders them: by requested_at, then by id. */
let expected: string[] = [];
/** Nearest first (to NEAR) as the list orders them: by distance, then by id. */
let nearestFirst: string[] = [];

const NEAR = { lat: HEREFORD.lat, long: HEREFORD.long, radius: 300 };
const BOX = { minLong: -71.092, minLat: 42.347, maxLong: -71.082, maxLat: 42.354 };

beforeAll(async () => {
  t = await startTestServer();
  await resetWrites(t.db);
  await disableDuplicateDetection(t);
  const key = await t.key('client', 'web');
  const serviceCode = (await plainService(t)).serviceCode;
  // Three moments, an hour apart, with 3, 4 and 2 requests each (the clock stands still within one, so
  // they share requested_at), a few metres apart near Hereford St; one more in Dorchester, outside.
  // Within a moment the i-th request is i steps of ~27 m from NEAR: the same spot in every moment.
  const posted: Array<{ id: string; at: number; step: number }> = [];
  const post = async (p: { lat: number; long: number }) => {
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: key, service_code: serviceCode, lat: p.lat, long: p.long });
    expect(res.status).toBe(201);
    return res.body[0].service_request_id as string;
  };
  for (const size of [3, 4, 2]) {
    for (let i = 0; i < size; i++) {
      const id = await post({ lat: HEREFORD.lat + i * 0.0002, long: HEREFORD.long - i * 0.0002 });
      posted.push({ id, at: t.clock.now().getTime(), step: i });
    }
    await post({ lat: 42.2973, long: -71.0745 });
    t.clock.advance(3_600_000);
  }
  const newerId = (a: { id: string }, b: { id: string }) => Number(BigInt(b.id) - BigInt(a.id));
  expected = [...posted].sort((a, b) => b.at - a.at || newerId(a, b)).map((p) => p.id);
  nearestFirst = [...posted].sort((a, b) => a.step - b.step || newerId(a, b)).map((p) => p.id);
});
afterAll(() => t.close());

const listed = async (query: string) =>
  (
    (await request(t.app).get(`/open311/v2/requests.json?${query}`)).body as Array<{
      service_request_id: string;
    }>
  ).map((r) => r.service_request_id);

describe('radius and bbox pages', () => {
  it('when requests share a requested_at across page edges, then every page size cuts the full list in order', async () => {
    const near = `lat=${NEAR.lat}&long=${NEAR.long}&radius=${NEAR.radius}`;
    const box = `bbox=${BOX.minLong},${BOX.minLat},${BOX.maxLong},${BOX.maxLat}`;
    const cases: Array<[string, string[]]> = [
      [near, expected],
      [box, expected],
      [`${near}&sort=distance`, nearestFirst],
    ];
    for (const [query, list] of cases) {
      expect(await listed(query)).toEqual(list);
      for (const size of [1, 2, 3, 4]) {
        const pages: string[] = [];
        for (let page = 1; page <= Math.ceil(list.length / size) + 1; page++)
          pages.push(...(await listed(`${query}&page_size=${size}&page=${page}`)));
        expect(pages).toEqual(list);
      }
    }
  });

  it('when the planner reads the area in order through the index, then the pages are still exact', async () => {
    const filter = (
      area: Partial<Pick<RequestFilter, 'near' | 'bbox' | 'sort'>>,
      page: number,
      pageSize: number,
    ) => ({
      jurisdictionId: 'boston',
      page,
      pageSize,
      ...area,
      sort: area.sort ?? ('requested' as const),
    });
    const cases: Array<[Partial<Pick<RequestFilter, 'near' | 'bbox' | 'sort'>>, RegExp, string[]]> = [
      [{ near: NEAR }, /Order By: \(.*requested_at <-> /, expected],
      [{ bbox: BOX }, /Order By: \(.*requested_at <-> /, expected],
      [{ near: NEAR, sort: 'distance' }, /Order By: \(.*location <-> /, nearestFirst],
    ];
    for (const [area, ordered, list] of cases) {
      for (const size of [2, 3]) {
        const pages = await t.db.knex.transaction(async (trx) => {
          // The test city holds a handful of requests, for which sorting them all is the cheaper plan:
          // these make the time-ordered index scan PostgreSQL's choice, as it is in a busy area at scale.
          await trx.raw('SET LOCAL enable_bitmapscan = off');
          await trx.raw('SET LOCAL enable_seqscan = off');
          await trx.raw('SET LOCAL enable_sort = off');
          const plan = (
            (await trx.raw(`EXPLAIN ${listQuery(trx, filter(area, 1, size), false).toString()}`)) as {
              rows: Array<{ 'QUERY PLAN': string }>;
            }
          ).rows
            .map((r) => r['QUERY PLAN'])
            .join('\n');
          expect(plan).toMatch(ordered);
          const ids: string[] = [];
          for (let page = 1; page <= Math.ceil(list.length / size); page++)
            ids.push(...(await listRequests(trx, filter(area, page, size), false)).map((r) => r.id));
          return ids;
        });
        expect(pages).toEqual(list);
      }
    }
  });
});
