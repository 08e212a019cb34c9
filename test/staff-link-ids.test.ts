/**
 * Outside probe (both databases): staff could merge or link a request into itself by writing its id with a
 * leading zero ("00100422" passed the "itself" check, which compared text, and was then looked up as the
 * number 100422); a bad id in a staff path was a database cast error (400 "A value in the request is not
 * valid…", and "0x10" a 404 on PGlite but a 400 on PostgreSQL); detailed_status "duplicate" closed a request
 * as a duplicate of nothing. Ids are now canonical before anything compares or looks them up, as the public
 * GET requests/{id} has always read them; what cannot be an id is a 404 naming its field.
 */
import request from 'supertest';
import type { TestServer } from './helpers/app';
import { startStaffSetup, type StaffSetup } from './helpers/fixtures';

let t: TestServer;
let staff: string;
let client: string;
let create: StaffSetup['create'];
beforeAll(async () => {
  ({ t, staff, client, create } = await startStaffSetup());
});
afterAll(() => t.close());
const post = (path: string, body: object = {}) =>
  request(t.app).post(`/staff/v1/requests/${path}`).set('Authorization', `Bearer ${staff}`).send(body);
const view = async (id: string) => {
  const res = await request(t.app).get(`/staff/v1/requests/${id}`).set('Authorization', `Bearer ${staff}`);
  expect(res.status).toBe(200);
  return res.body as {
    service_request_id: string;
    status: string;
    extended_attributes: { detailed_status: string; parent_service_request_id: string | null };
  };
};
const problem = (res: request.Response) => [res.status, res.body[0]?.description as string];

describe('request ids written with leading zeros', () => {
  it('when a request is merged into itself written as 00<id>, then 400 and it stays open with no parent', async () => {
    const id = await create();
    const child = await create();
    expect((await post(`${child}/link`, { parent_service_request_id: id })).status).toBe(200);
    expect(problem(await post(`00${id}/merge`, { into_service_request_id: id }))).toEqual([
      400,
      'A request cannot be merged into itself.',
    ]);
    expect(problem(await post(`${id}/merge`, { into_service_request_id: `0${id}` }))).toEqual([
      400,
      'A request cannot be merged into itself.',
    ]);
    const after = await view(id);
    expect([after.status, after.extended_attributes.parent_service_request_id]).toEqual(['open', null]);
    expect((await view(child)).extended_attributes.parent_service_request_id).toBe(id);
  });

  it('when a request is linked to itself written as 0<id>, or a parent to its own duplicate, then 400', async () => {
    const a = await create();
    const b = await create();
    expect(problem(await post(`${a}/link`, { parent_service_request_id: `0${a}` }))).toEqual([
      400,
      'A request cannot be a duplicate of itself.',
    ]);
    expect((await post(`${a}/link`, { parent_service_request_id: b })).status).toBe(200);
    // a's root is b: linking b to a would link b to itself.
    expect(problem(await post(`0${b}/link`, { parent_service_request_id: a }))).toEqual([
      400,
      'A request cannot be a duplicate of itself.',
    ]);
    expect((await view(b)).extended_attributes.parent_service_request_id).toBeNull();
    expect((await view(a)).extended_attributes.parent_service_request_id).toBe(b);
  });

  it('when ids with leading zeros name other requests, then they are those requests, as in the public GET', async () => {
    const a = await create();
    const b = await create();
    const linked = await post(`000${a}/link`, { parent_service_request_id: `0${b}` });
    expect(linked.status).toBe(200);
    expect(linked.body.service_request_id).toBe(a);
    expect(linked.body.extended_attributes.parent_service_request_id).toBe(b);
    expect((await view(`00${a}`)).service_request_id).toBe(a);
    const pub = await request(t.app).get(`/open311/v2/requests/00${a}.json`);
    expect([pub.status, pub.body[0]?.service_request_id]).toEqual([200, a]);
  });
});

describe('ids that cannot be request ids', () => {
  const BAD = ['abc', '1e3', '%C3%A9', '99999999999999999999', '0x10', '1_000', '-1', '12.0'];
  const shown = (s: string) => decodeURIComponent(s);
  // Bodies name a request that is there (the probe's 400 came from a merge into a real request).
  const ROUTES = (other: string): Array<[method: 'get' | 'post', suffix: string, body: object]> => [
    ['get', '', {}],
    ['get', '/history', {}],
    ['get', '/media', {}],
    ['post', '/status', { detailed_status: 'in_progress' }],
    ['post', '/transfer', { agency_code: 'x' }],
    ['post', '/priority', { priority: 'high' }],
    ['post', '/assign', { assigned_to: 'sam' }],
    ['post', '/notes', { text: 'x' }],
    ['post', '/link', { parent_service_request_id: other }],
    ['post', '/unlink', {}],
    ['post', '/confirm-duplicate', {}],
    ['post', '/merge', { into_service_request_id: other }],
    // Even with a body that would be refused: the path is judged first.
    ['post', '/merge', { nonsense: 1 }],
  ];

  it('when a staff route is given one in its path, then 404 naming it, on either database', async () => {
    const other = await create();
    const seen: Array<[string, unknown]> = [];
    for (const bad of BAD)
      for (const [method, suffix, body] of ROUTES(other)) {
        const url = `/staff/v1/requests/${bad}${suffix}`;
        const agent = request(t.app);
        const res = await (method === 'get' ? agent.get(url) : agent.post(url))
          .set('Authorization', `Bearer ${staff}`)
          .send(body);
        seen.push([`${method} ${bad}${suffix}`, problem(res)]);
      }
    expect(seen).toEqual(
      seen.map(([what]) => [
        what,
        [404, `service_request_id "${shown(what.split(' ')[1]!.split('/')[0]!)}" was not found.`],
      ]),
    );
  });

  it('when a link or a merge names one in its body, then 404 naming the field', async () => {
    const id = await create();
    for (const bad of ['abc', '1e3', 'é', '99999999999999999999', '0x10', '123456789012345678']) {
      expect(problem(await post(`${id}/link`, { parent_service_request_id: bad }))).toEqual([
        404,
        `parent_service_request_id "${bad}" was not found.`,
      ]);
      expect(problem(await post(`${id}/merge`, { into_service_request_id: bad }))).toEqual([
        404,
        `into_service_request_id "${bad}" was not found.`,
      ]);
    }
    expect((await view(id)).status).toBe('open');
  });
});

describe('detailed_status "duplicate" through the status route', () => {
  it('when the request is not linked, then 400 pointing at link and merge, and it stays open', async () => {
    const id = await create();
    const res = await post(`${id}/status`, { detailed_status: 'duplicate' });
    expect(res.status).toBe(400);
    expect(res.body[0].description).toMatch(/is not linked to another request.*confirm-duplicate.*merge/);
    expect((await view(id)).status).toBe('open');
  });

  it('when the request is linked, then it is confirmed as a duplicate of its parent, as confirm-duplicate does', async () => {
    const parent = await create();
    const child = await create();
    expect((await post(`${child}/link`, { parent_service_request_id: parent })).status).toBe(200);
    const res = await post(`${child}/status`, { detailed_status: 'DUPLICATE' });
    expect(res.status).toBe(200);
    expect([res.body.status, res.body.status_notes, res.body.extended_attributes]).toEqual([
      'closed',
      `Duplicate of ${parent}`,
      expect.objectContaining({ detailed_status: 'duplicate', parent_service_request_id: parent }),
    ]);
    const history = await request(t.app)
      .get(`/staff/v1/requests/${child}/history`)
      .set('Authorization', `Bearer ${staff}`);
    expect(history.body.map((h: { summary: string }) => h.summary)).toContain(
      `Confirmed as a duplicate of ${parent}`,
    );
  });
});

describe('servicerequestupdates', () => {
  const update = (key: string, id: string, status: string, updateId: string) =>
    request(t.app).post('/open311/v2/servicerequestupdates.json').type('form').send({
      api_key: key,
      service_request_id: id,
      update_id: updateId,
      status,
      updated_datetime: t.clock.now().toISOString(),
      description: 'comment',
    });

  it('when a staff key posts DUPLICATE, then only a linked report is closed so; an unlinked one is a 400', async () => {
    const parent = await create();
    const lone = await create();
    const refused = await update(staff, lone, 'DUPLICATE', `dup-${lone}`);
    expect(refused.status).toBe(400);
    expect(refused.body[0].description).toMatch(/is not linked to another request/);
    expect((await view(lone)).status).toBe('open');
    expect((await post(`${lone}/link`, { parent_service_request_id: parent })).status).toBe(200);
    expect((await update(staff, lone, 'DUPLICATE', `dup2-${lone}`)).status).toBe(200);
    expect((await view(lone)).extended_attributes).toMatchObject({
      detailed_status: 'duplicate',
      parent_service_request_id: parent,
    });
  });

  it('when an update is retried naming the request with a leading zero, then the first answer comes back', async () => {
    const id = await create();
    const first = await update(client, `0${id}`, 'OPEN', `zero-${id}`);
    expect(first.status).toBe(200);
    const again = await update(client, `0${id}`, 'OPEN', `zero-${id}`);
    expect([again.status, again.body]).toEqual([200, first.body]);
    expect((await update(client, id, 'OPEN', `zero-${id}`)).body).toEqual(first.body);
  });
});
