/**
 * Outside probe (PostgreSQL): under parallel staff changes to one request, its history listed a status
 * change before the change it had waited for ("from action_scheduled to in_progress" ahead of the one that
 * set action_scheduled), because each change was timed before waiting for the request's row lock. A change
 * is now timed once it holds the lock. PostgreSQL only: the embedded database has one connection, so two
 * changes never wait for each other there.
 */
import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { createAtHereford, disableDuplicateDetection, plainService } from './helpers/fixtures';
import { usePostgres } from './helpers/template';

const itOnPostgres = usePostgres() ? it : it.skip;

let t: TestServer;
let staff: string;
let id: string;
beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  staff = await t.key('staff', 'staff');
  id = await createAtHereford(t, await t.key('client', 'mobile'), (await plainService(t)).serviceCode);
});
afterAll(() => t.close());

itOnPostgres(
  'when a status change waits for another change to the request, then it is timed after that wait',
  async () => {
    const other = await t.db.knex.transaction();
    let answered = false;
    try {
      // Another change holds the request's row, as a staff action does while it writes.
      await other('service_requests').where({ id }).forUpdate().first('id');
      const sentAt = t.clock.now();
      const change = request(t.app)
        .post(`/staff/v1/requests/${id}/status`)
        .set('Authorization', `Bearer ${staff}`)
        .send({ detailed_status: 'in_progress' })
        .then((r) => {
          answered = true;
          return r;
        });
      for (;;) {
        const rows = (
          await t.db.knex.raw(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          )
        ).rows as { n: number }[];
        if (rows[0]?.n) break;
        if (answered) throw new Error('the change did not wait for the row lock');
        await new Promise((r) => setTimeout(r, 20));
      }
      t.clock.advance(90_000); // the wait, on the server's clock
      await other.commit();
      expect((await change).status).toBe(200);
      const row = await t.db
        .knex('request_history')
        .where({ request_id: id, kind: 'status_change' })
        .orderBy('id', 'desc')
        .first('occurred_at');
      expect(new Date(row.occurred_at).getTime()).toBe(sentAt.getTime() + 90_000);
    } finally {
      if (!other.isCompleted()) await other.rollback();
    }
  },
);
