/**
 * GET /staff/v1/requests/{id}/media answers as its sibling staff routes do (GET /staff/v1/requests/{id},
 * .../history): 404 for an id that is no request of the key's jurisdiction (unknown, malformed, or
 * another city's), the list (empty or not) for one that is.
 */
import request from 'supertest';
import { createApiKey } from '../src/auth';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { createRequest } from './helpers/factories';
import { disableDuplicateDetection, plainService } from './helpers/fixtures';

let t: TestServer;
let staff: string;
let springStaff: string;
let bostonRequest: string;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  staff = (
    await createApiKey(
      t.db.knex,
      { name: 'boston staff', role: 'staff', channel: 'staff', jurisdictionId: 'boston' },
      t.clock.now(),
    )
  ).secret;
  // Made while Boston is the only city (a request naming no jurisdiction_id is Boston's).
  bostonRequest = (await createRequest(t, await plainService(t))).service_request_id as string;
  await request(t.app)
    .post('/admin/v1/jurisdictions')
    .set('Authorization', `Bearer ${ADMIN_KEY}`)
    .send({ id: 'springfield', name: 'Springfield', time_zone: 'America/Chicago' })
    .expect(201);
  springStaff = (
    await createApiKey(
      t.db.knex,
      { name: 'springfield staff', role: 'staff', channel: 'staff', jurisdictionId: 'springfield' },
      t.clock.now(),
    )
  ).secret;
});
afterAll(() => t.close());

const get = (path: string, key: string) =>
  request(t.app).get(`/staff/v1/requests/${path}`).set('Authorization', `Bearer ${key}`);

describe('staff list of a request’s files', () => {
  it('when the id is unknown, malformed or another city’s, then 404 as GET /staff/v1/requests/{id} answers', async () => {
    const cases: Array<[string, string]> = [
      ['999999999', staff],
      ['abc', staff],
      [bostonRequest, springStaff],
    ];
    for (const [id, key] of cases) {
      const sibling = await get(id, key);
      const media = await get(`${id}/media`, key);
      expect([id, media.status]).toEqual([id, sibling.status]);
      expect(media.status).toBe(404);
      expect(media.body).toEqual(sibling.body);
      expect(media.body).toEqual([{ code: 404, description: `service_request_id "${id}" was not found.` }]);
    }
  });

  it('when the request is the key’s city’s, then 200 with its files (none yet)', async () => {
    const res = await get(`${bostonRequest}/media`, staff);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });
});
