/**
 * A write that makes a private service public counts its requests first (src/catalog/publishing.ts), and
 * that count must not miss a request being written at the same moment: that request would be published
 * without anyone having been told. Here a transaction of the test writes a request of the private service
 * and holds it uncommitted, as a POST does between its INSERT and its COMMIT; the admin PUT waits for it
 * and then counts it. And a POST that comes while the PUT holds the service waits for the PUT. Those two on
 * PostgreSQL only: the embedded database has one connection, so two transactions never overlap there.
 */
import request from 'supertest';
import type { Service } from '../src/catalog';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { createAtHereford, disableDuplicateDetection, findService, HEREFORD } from './helpers/fixtures';
import { untilWaitingForLocks } from './helpers/pg-locks';
import { usePostgres } from './helpers/template';

const itOnPostgres = usePostgres() ? it : it.skip;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

let t: TestServer;
let client: string;
let hidden: Service;
let open: Service;

const serviceUrl = (code: string, query = '') =>
  `/admin/v1/jurisdictions/boston/services/${encodeURIComponent(code)}${query}`;
const withKeywords = async (code: string, keywords: string[]) => ({
  ...(await request(t.app).get(serviceUrl(code)).set(admin).expect(200)).body,
  keywords,
});

describe('making a private service public while its requests are being written', () => {
  beforeAll(async () => {
    t = await startTestServer();
    await disableDuplicateDetection(t);
    const plain = (s: Service) =>
      s.type === 'realtime' && !s.isPrivate && s.attributes.every((a) => !a.required || !a.variable);
    open = await findService(t, plain, 'plain realtime service');
    hidden = await findService(t, (s) => plain(s) && s.id !== open.id, 'second plain realtime service');
    await request(t.app)
      .put(serviceUrl(hidden.serviceCode))
      .set(admin)
      .send(await withKeywords(hidden.serviceCode, ['private']))
      .expect(200);
  });
  beforeEach(async () => {
    await resetWrites(t.db);
    client = await t.key('client', 'mobile');
  });
  afterAll(() => t?.close());

  itOnPostgres(
    'when a request of the service is written but not yet committed, then the PUT waits for it and refuses to publish it',
    async () => {
      const id = await createAtHereford(t, client, open.serviceCode);
      const inFlight = await t.db.knex.transaction();
      let answered = false;
      try {
        // The request becomes one of the private service's, uncommitted: what a POST holds until its COMMIT.
        await inFlight('service_requests').where({ id }).update({ service_id: hidden.id });
        const put = request(t.app)
          .put(serviceUrl(hidden.serviceCode))
          .set(admin)
          .send(await withKeywords(hidden.serviceCode, []))
          .then((r) => {
            answered = true;
            return r;
          });
        await untilWaitingForLocks(t.db.knex, 1, () => answered);
        expect(answered).toBe(false);
        await inFlight.commit();
        const res = await put;
        expect(res.status).toBe(400);
        expect(res.body[0].description).toContain(
          `service "${hidden.serviceCode}" is private (keyword "private") and this change makes it public: its 1 request(s)`,
        );
      } finally {
        if (!inFlight.isCompleted()) await inFlight.rollback();
      }
      const doc = (await request(t.app).get(serviceUrl(hidden.serviceCode)).set(admin).expect(200)).body;
      expect(doc.keywords).toEqual(['private']);
    },
  );

  itOnPostgres(
    'when the PUT holds the service, then a POST to it waits, and is written after it',
    async () => {
      const write = await t.db.knex.transaction();
      let answered = false;
      try {
        // What guardPublishing holds while it counts and the PUT writes. The POST waits through its check of
        // the service_id foreign key (FOR KEY SHARE): the lock the PUT's count relies on, so dropping that
        // key, say for speed, fails here.
        await write('services').where({ id: hidden.id }).forUpdate().first('id');
        const post = request(t.app)
          .post('/open311/v2/requests.json')
          .type('form')
          .send({ api_key: client, service_code: hidden.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long })
          .then((r) => {
            answered = true;
            return r;
          });
        await untilWaitingForLocks(t.db.knex, 1, () => answered);
        expect(answered).toBe(false);
        await write.commit();
        expect((await post).status).toBe(201);
      } finally {
        if (!write.isCompleted()) await write.rollback();
      }
    },
  );

  it('when a batch token of the service waits to become a request, then it is counted as one', async () => {
    await t.db.knex('request_tokens').insert({
      token: '00000000-0000-4000-8000-000000000001',
      jurisdiction_id: 'boston',
      service_id: hidden.id,
      submission: JSON.stringify({}),
      created_at: t.clock.now(),
    });
    const res = await request(t.app)
      .put(serviceUrl(hidden.serviceCode))
      .set(admin)
      .send(await withKeywords(hidden.serviceCode, []));
    expect(res.status).toBe(400);
    expect(res.body[0].description).toContain('its 1 request(s)');
  });
});
