/**
 * Outside probe (PostgreSQL): a link of A to B and one of B to A sent at once both answered 200 (1 run in
 * 4), leaving A's parent B and B's parent A. Each had found its parent to be a root before waiting for the
 * rows, and nothing looked again once it held them. Links and merges now lock both requests in id order and
 * check the root under the lock. The interleaving is forced: another transaction holds A's row while both
 * actions are sent, and lets go once both wait for it (seen in pg_stat_activity). PostgreSQL only: the
 * embedded database has one connection, so two actions never wait for each other there.
 */
import request from 'supertest';
import type { TestServer } from './helpers/app';
import { startStaffSetup, type StaffSetup } from './helpers/fixtures';
import { untilWaitingForLocks } from './helpers/pg-locks';
import { usePostgres } from './helpers/template';

const itOnPostgres = usePostgres() ? it : it.skip;

let t: TestServer;
let staff: string;
let create: StaffSetup['create'];
beforeAll(async () => {
  ({ t, staff, create } = await startStaffSetup());
});
afterAll(() => t.close());

/**
 * Sends two staff actions (`first`, then `second` once the first waits) while another transaction holds
 * `lockedId`'s row; lets go once both wait. Returns both answers' statuses.
 */
async function bothWaitingOn(
  lockedId: string,
  first: [path: string, body: object],
  second: [path: string, body: object],
): Promise<number[]> {
  const other = await t.db.knex.transaction();
  let answered = 0;
  const send = ([path, body]: [string, object]) =>
    request(t.app)
      .post(`/staff/v1/requests/${path}`)
      .set('Authorization', `Bearer ${staff}`)
      .send(body)
      .then((r) => {
        answered += 1;
        return r;
      });
  try {
    await other('service_requests').where({ id: lockedId }).forUpdate().first('id');
    const one = send(first);
    await untilWaitingForLocks(t.db.knex, 1, () => answered > 0);
    const two = send(second);
    await untilWaitingForLocks(t.db.knex, 2, () => answered > 0);
    await other.commit();
    return [(await one).status, (await two).status];
  } finally {
    if (!other.isCompleted()) await other.rollback();
  }
}

const parentOf = async (id: string): Promise<string | null> =>
  (
    (await t.db
      .knex('service_requests')
      .where({ id })
      .first(t.db.knex.raw('parent_request_id::text AS parent'))) as { parent: string | null }
  ).parent;

itOnPostgres(
  'when A is linked to B and B to A at the same moment, then one link is refused and there is no cycle',
  async () => {
    const a = await create();
    const b = await create();
    const statuses = await bothWaitingOn(
      a,
      [`${a}/link`, { parent_service_request_id: b }],
      [`${b}/link`, { parent_service_request_id: a }],
    );
    expect(statuses).toEqual([200, 400]);
    expect([await parentOf(a), await parentOf(b)]).toEqual([b, null]);
  },
);

itOnPostgres(
  'when A is linked to B while B is merged into A, then the merge is refused and nothing points at itself',
  async () => {
    const a = await create();
    const b = await create();
    const statuses = await bothWaitingOn(
      a,
      [`${a}/link`, { parent_service_request_id: b }],
      [`${b}/merge`, { into_service_request_id: a }],
    );
    expect(statuses).toEqual([200, 400]);
    expect([await parentOf(a), await parentOf(b)]).toEqual([b, null]);
    const open = await t.db.knex('service_requests').whereIn('id', [a, b]).orderBy('id').pluck('status');
    expect(open).toEqual(['open', 'open']);
  },
);
