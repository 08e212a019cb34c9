/**
 * Outside probe (PostgreSQL): under parallel staff changes to one request, its history listed a status
 * change before the change it had waited for ("from action_scheduled to in_progress" ahead of the one that
 * set action_scheduled), because each change was timed before waiting for the request's row lock. A change
 * is now timed once it holds the lock; so are links, unlinks and merges. PostgreSQL only: the embedded
 * database has one connection, so two changes never wait for each other there.
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
 * Sends a staff action while another transaction holds `lockedId`'s row, moves the server's clock 90 s
 * while it waits, and returns the time the action's `kind` history row of `recordedOn` was given.
 */
async function timedAfterWait(
  lockedId: string,
  path: string,
  body: object,
  kind: string,
  recordedOn: string,
): Promise<{ sentAt: number; recordedAt: number }> {
  const other = await t.db.knex.transaction();
  let answered = false;
  try {
    // Another change holds the request's row, as a staff action does while it writes.
    await other('service_requests').where({ id: lockedId }).forUpdate().first('id');
    const sentAt = t.clock.now().getTime();
    const action = request(t.app)
      .post(`/staff/v1/requests/${path}`)
      .set('Authorization', `Bearer ${staff}`)
      .send(body)
      .then((r) => {
        answered = true;
        return r;
      });
    await untilWaitingForLocks(t.db.knex, 1, () => answered);
    t.clock.advance(90_000); // the wait, on the server's clock
    await other.commit();
    expect((await action).status).toBe(200);
    const row = await t.db
      .knex('request_history')
      .where({ request_id: recordedOn, kind })
      .orderBy('id', 'desc')
      .first('occurred_at');
    return { sentAt, recordedAt: new Date(row.occurred_at).getTime() };
  } finally {
    if (!other.isCompleted()) await other.rollback();
  }
}

itOnPostgres(
  'when a status change waits for another change to the request, then it is timed after that wait',
  async () => {
    const id = await create();
    const { sentAt, recordedAt } = await timedAfterWait(
      id,
      `${id}/status`,
      { detailed_status: 'in_progress' },
      'status_change',
      id,
    );
    expect(recordedAt).toBe(sentAt + 90_000);
  },
);

itOnPostgres(
  'when a link, an unlink or a merge waits for a request, then it is timed after that wait',
  async () => {
    const parent = await create();
    const child = await create();
    const linked = await timedAfterWait(
      child,
      `${child}/link`,
      { parent_service_request_id: parent },
      'link',
      child,
    );
    expect(linked.recordedAt).toBe(linked.sentAt + 90_000);
    const unlinked = await timedAfterWait(child, `${child}/unlink`, {}, 'unlink', child);
    expect(unlinked.recordedAt).toBe(unlinked.sentAt + 90_000);
    const merged = await timedAfterWait(
      parent,
      `${child}/merge`,
      { into_service_request_id: parent },
      'link',
      child,
    );
    expect(merged.recordedAt).toBe(merged.sentAt + 90_000);
  },
);
