/**
 * Issue #20.2: public reads from a real streaming replica (scripts/pg-local.sh standby; CI starts one and
 * sets TEST_DATABASE_READ_URL). Replay is paused on the standby to make it lag for real: a request just
 * written is then missing from the replica's lists but read back by id from the primary; a replica past
 * READ_MAX_LAG_SECONDS, or down, is not read, and /readyz and the metrics say so.
 */
import type { Express } from 'express';
import knexFactory, { type Knex } from 'knex';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../src/app';
import { createContext } from '../src/context';
import { openDatabase, readReplica, type ReadReplica } from '../src/db';
import { HEREFORD, plainService } from './helpers/fixtures';
import { startTestServer, type TestServer } from './helpers/app';
import { usePostgres } from './helpers/template';

const READ_URL = process.env.TEST_DATABASE_READ_URL;
const runs = usePostgres() && !!READ_URL;
if (!runs)
  // eslint-disable-next-line no-console
  console.info(
    `read-replica.test.ts: skipped: ${usePostgres() ? 'TEST_DATABASE_READ_URL is not set (bash scripts/pg-local.sh standby starts a replica)' : 'a replica needs PostgreSQL (TEST_DB=postgres)'}`,
  );

async function within<T>(withinMs: number, probe: () => Promise<T | false>, what: string): Promise<T> {
  const started = performance.now();
  for (;;) {
    const v = await probe().catch(() => false as const);
    if (v !== false) return v;
    if (performance.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

(runs ? describe : describe.skip)('a streaming read replica', () => {
  let t: TestServer;
  let standby: Knex; // a superuser connection to the standby's copy of the test database
  const replicas: ReadReplica[] = [];
  const appWith = async (
    url: string,
    maxLagSeconds: number,
  ): Promise<{ app: Express; replica: ReadReplica }> => {
    const replica = readReplica(await openDatabase({ kind: 'postgres', url, poolMax: 2 }), { maxLagSeconds });
    replicas.push(replica);
    const ctx = createContext({
      config: t.ctx.config,
      db: t.db,
      logger: pino({ level: 'silent' }),
      clock: t.clock.now,
      replica,
    });
    return { app: createApp(ctx), replica };
  };
  let replicaUrl: string;

  beforeAll(async () => {
    t = await startTestServer();
    // The same database on the standby: the clone made on the primary arrives by replication.
    const u = new URL(READ_URL!);
    u.pathname = new URL(t.db.describe).pathname;
    replicaUrl = u.toString();
    standby = knexFactory({ client: 'pg', connection: replicaUrl, pool: { min: 0, max: 1 } });
    // The clone is a whole database's files to replay: on a loaded 2-core machine (a CI run beside other
    // work) it once took over 20 s.
    await within(
      90_000,
      async () => (await standby.raw('SELECT pg_is_in_recovery() AS r')).rows[0].r === true,
      'clone on the standby',
    );
  });
  afterAll(async () => {
    await standby?.raw('SELECT pg_wal_replay_resume()').catch(() => {});
    await standby?.destroy();
    for (const r of replicas) await r.close();
    await t.close();
  });

  const listIds = async (app: Express, id: string) =>
    (
      (await request(app).get(`/open311/v2/requests.json?service_request_id=${id}`).expect(200))
        .body as Array<{
        service_request_id: string;
      }>
    ).map((r) => r.service_request_id);

  it('when the replica keeps up, then lists read from it; while it lags they miss a new request, which is read back by id from the primary', async () => {
    const { app, replica } = await appWith(replicaUrl, 3600);
    expect(await replica.check()).toMatchObject({ status: 'ok', inUse: true });
    const ready = await request(app).get('/readyz').expect(200);
    expect(ready.body.replica).toMatchObject({ status: 'ok', in_use: true, max_lag_seconds: 3600 });

    await standby.raw('SELECT pg_wal_replay_pause()');
    const svc = await plainService(t);
    const posted = await request(app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({
        api_key: await t.key(),
        service_code: svc.serviceCode,
        lat: HEREFORD.lat,
        long: HEREFORD.long,
      });
    expect(posted.status).toBe(201);
    const id = String(posted.body[0].service_request_id);
    // Written to the primary, not replayed on the replica: the list (from the replica) lacks it…
    expect(await listIds(app, id)).toEqual([]);
    expect(await listIds(t.app, id)).toEqual([id]); // (the primary has it)
    // …and reading one's own write by id still works.
    expect(
      (await request(app).get(`/open311/v2/requests/${id}.json`).expect(200)).body[0].service_request_id,
    ).toBe(id);

    await standby.raw('SELECT pg_wal_replay_resume()');
    await within(5000, async () => (await listIds(app, id)).length === 1, 'replayed on the replica');
  });

  it('when the replica is further behind than READ_MAX_LAG_SECONDS, then reads fall back to the primary, and /readyz and the metrics say so', async () => {
    const { app, replica } = await appWith(replicaUrl, 0);
    await standby.raw('SELECT pg_wal_replay_pause()');
    try {
      const svc = await plainService(t);
      const posted = await request(app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({
          api_key: await t.key(),
          service_code: svc.serviceCode,
          lat: HEREFORD.lat,
          long: HEREFORD.long,
        });
      const id = String(posted.body[0].service_request_id);
      const state = await within(
        5000,
        async () => {
          const s = await replica.check();
          return s.status === 'lagging' && s;
        },
        'lag seen',
      );
      expect(state.inUse).toBe(false);
      expect(await listIds(app, id)).toEqual([id]); // from the primary
      const ready = await request(app).get('/readyz').expect(200);
      expect(ready.body).toMatchObject({ status: 'ready', replica: { status: 'lagging', in_use: false } });
      expect(ready.body.replica.reason).toMatch(/behind|no WAL/);
      const metrics = (await request(app).get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/^open311_db_replica_in_use 0$/m);
      expect(metrics).toMatch(/^open311_db_pool_connections\{pool="replica",state="used"\} \d+$/m);
    } finally {
      await standby.raw('SELECT pg_wal_replay_resume()');
    }
    // Caught up again (nothing left to replay: lag 0), it is read again.
    await within(5000, async () => (await replica.check()).inUse, 'caught up');
    expect((await request(app).get('/metrics').expect(200)).text).toMatch(
      /^open311_db_replica_lag_seconds 0$/m,
    );
  });

  it('when the replica does not answer, then reads fall back to the primary and /readyz stays ready, saying it is down', async () => {
    const closed = new URL(replicaUrl);
    closed.port = '1';
    const { app, replica } = await appWith(closed.toString(), 5);
    expect(await replica.check()).toMatchObject({ status: 'down', inUse: false, lagSeconds: null });
    await request(app).get('/open311/v2/requests.json').expect(200);
    const ready = await request(app).get('/readyz').expect(200);
    expect(ready.body.replica).toMatchObject({ status: 'down', in_use: false, lag_seconds: null });
    expect((await request(app).get('/metrics').expect(200)).text).toMatch(
      /^open311_db_replica_lag_seconds -1$/m,
    );
  });
});
