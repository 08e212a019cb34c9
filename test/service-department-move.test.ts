/**
 * PUT /admin/v1/jurisdictions/{id}/services/{code} with another agency_code (probe finding 14): the
 * service's open requests stay with their department unless ?move_open_requests=true moves them, each with
 * a history entry, in the transaction of the service's new version.
 */
import request from 'supertest';
import type { Service } from '../src/catalog';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService, createRequest } from './helpers/factories';
import { disableDuplicateDetection } from './helpers/fixtures';
import { expectMatchesSpec } from './helpers/openapi';

let t: TestServer;
let staff: string;
let service: Service;

const OLD = { code: 'OLD-DEPT', name: 'Old Department' };
const NEW = { code: 'NEW-DEPT', name: 'New Department' };
const THIRD = { code: 'THIRD-DEPT', name: 'Third Department' };

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  // The departments exist through services of their own.
  await buildService(t, { agency: NEW });
  await buildService(t, { agency: THIRD });
});
beforeEach(async () => {
  await resetWrites(t.db);
  staff = await t.key('staff', 'staff');
  service = await buildService(t, { agency: OLD });
});
afterAll(() => t.close());

const url = (s: Service, query = '') => `/admin/v1/jurisdictions/boston/services/${s.serviceCode}${query}`;
const put = async (s: Service, body: object, query = '') => {
  const res = await request(t.app).put(url(s, query)).set('Authorization', `Bearer ${ADMIN_KEY}`).send(body);
  expectMatchesSpec('PUT', url(s, query), res.status, res.body);
  return res;
};
const docOf = async (s: Service) =>
  (await request(t.app).get(url(s)).set('Authorization', `Bearer ${ADMIN_KEY}`)).body as Record<
    string,
    unknown
  >;
const staffView = async (id: string) =>
  (await request(t.app).get(`/staff/v1/requests/${id}`).set('Authorization', `Bearer ${staff}`)).body;
const act = (id: string, action: string, body: object) =>
  request(t.app)
    .post(`/staff/v1/requests/${id}/${action}`)
    .set('Authorization', `Bearer ${staff}`)
    .send(body)
    .expect(200);
const make = async () => {
  t.clock.advance(60_000);
  return (await createRequest(t, service)).service_request_id as string;
};

describe('moving a service to another department', () => {
  it('when the department changes without move_open_requests, then existing requests stay and new ones go to the new department', async () => {
    const before = await make();
    const res = await put(service, { ...(await docOf(service)), agency_code: NEW.code });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('requests_moved');
    expect((await staffView(before)).agency_responsible).toBe(OLD.name);
    const after = await make();
    expect((await staffView(after)).agency_responsible).toBe(NEW.name);
  });

  it('when move_open_requests=true, then its open requests still with the old department move, each with an internal transfer entry', async () => {
    const open = await make();
    const elsewhere = await make();
    const closed = await make();
    await act(open, 'assign', { assigned_to: 'old crew' });
    await act(elsewhere, 'transfer', { agency_code: THIRD.code });
    await act(closed, 'status', { detailed_status: 'fixed' });
    const updatedBefore = (await staffView(open)).updated_datetime;

    t.clock.advance(60_000);
    const res = await put(
      service,
      { ...(await docOf(service)), agency_code: NEW.code },
      '?move_open_requests=true',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ agency_code: NEW.code, requests_moved: 1 });

    const moved = await staffView(open);
    expect(moved.agency_responsible).toBe(NEW.name);
    expect(moved.assigned_to).toBeNull();
    // A reorganisation, as a department merge: internal, updated_datetime does not move.
    expect(moved.updated_datetime).toBe(updatedBefore);
    const history = (
      await request(t.app).get(`/staff/v1/requests/${open}/history`).set('Authorization', `Bearer ${staff}`)
    ).body as Array<{ kind: string; public: boolean; summary: string; data: Record<string, unknown> }>;
    expect(history.at(-1)).toMatchObject({
      kind: 'transfer',
      public: false,
      summary: `Service moved from ${OLD.name} to ${NEW.name}`,
      data: { service_move: true, unassigned: 'old crew' },
    });
    // A request staff had sent elsewhere, and a closed one, keep their department.
    expect((await staffView(elsewhere)).agency_responsible).toBe(THIRD.name);
    expect((await staffView(closed)).agency_responsible).toBe(OLD.name);
    const versions = (
      await request(t.app)
        .get(`${url(service)}/versions`)
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
    ).body as unknown[];
    expect(versions.length).toBeGreaterThanOrEqual(2);

    // Again: nothing left to move.
    const again = await put(service, await docOf(service), '?move_open_requests=true');
    expect(again.body.requests_moved).toBe(0);
  });

  it('when move_open_requests is not true or false, or there is no department to move to, then 400 and nothing changes', async () => {
    const open = await make();
    const doc = await docOf(service);
    const bad = await put(service, { ...doc, agency_code: NEW.code }, '?move_open_requests=yes');
    expect(bad.status).toBe(400);
    expect(bad.body[0].description).toMatch(/move_open_requests must be true or false/);
    const none = await put(service, { ...doc, agency_code: null }, '?move_open_requests=true');
    expect(none.status).toBe(400);
    expect(none.body[0].description).toMatch(/needs the department/);
    expect((await docOf(service)).agency_code).toBe(OLD.code);
    expect((await staffView(open)).agency_responsible).toBe(OLD.name);
  });
});
