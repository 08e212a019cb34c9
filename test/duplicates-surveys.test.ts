import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, plainService } from './helpers/fixtures';

let t: TestServer;
let client: string;
let staff: string;
let code: string;

beforeAll(async () => {
  t = await startTestServer();
  code = (await plainService(t)).serviceCode;
});
beforeEach(async () => {
  await resetWrites(t.db);
  await t.db.knex('surveys').delete();
  await t.db.knex('duplicate_rules').delete();
  t.clock.set('2026-11-23T15:00:00Z');
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
});
afterAll(() => t.close());

async function report(offsetMetres: number, extra: Record<string, string> = {}) {
  const lat = HEREFORD.lat + offsetMetres / 111_320;
  const res = await request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({ api_key: client, service_code: code, lat, long: HEREFORD.long, ...extra });
  expect(res.status).toBe(201);
  t.clock.advance(60_000);
  return res.body[0] as { service_request_id: string; service_notice: string | null };
}
const staffPost = (id: string, path: string, body: object) =>
  request(t.app).post(`/staff/v1/requests/${id}${path}`).set('Authorization', `Bearer ${staff}`).send(body);
const read = async (id: string) =>
  (await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`)).body[0];

describe('duplicates', () => {
  it('when twenty people report one pothole, then one parent has nineteen linked reports, each told and still open, and closing the parent closes them all', async () => {
    const first = await report(0, { email: 'first@example.com' });
    const others = [];
    for (let i = 1; i < 20; i += 1)
      others.push(await report(i % 5, i === 3 ? { email: 'third@example.com' } : {}));
    for (const o of others) {
      expect(o.service_notice).toContain(`already been reported as ${first.service_request_id}`);
      const r = await read(o.service_request_id);
      // A machine guess never closes a resident's report: it stays open and follows its parent.
      expect(r.status).toBe('open');
      expect(r.extended_attributes).toMatchObject({
        detailed_status: 'open',
        duplicate: true,
        parent_service_request_id: first.service_request_id,
      });
    }
    expect((await read(first.service_request_id)).extended_attributes.supporter_count).toBe(19);
    // Each joining report is in the parent's history and tells integrators the parent changed.
    const supporters = (await t.db
      .knex('request_history')
      .where({ request_id: first.service_request_id, kind: 'supporter' })
      .orderBy('id')
      .select('summary', 'public', 'actor_label')) as Array<{
      summary: string;
      public: boolean;
      actor_label: string;
    }>;
    expect(supporters).toHaveLength(19);
    expect(supporters[18]).toEqual({
      summary: `Another report of this problem (${others[18]?.service_request_id}); 19 in all`,
      public: false,
      actor_label: 'duplicate check',
    });
    const events = (await t.db
      .knex('outbox')
      .where('request_id', first.service_request_id)
      .orderBy('id')
      .select('event_type', 'payload')) as Array<{
      event_type: string;
      payload: Record<string, unknown> | string;
    }>;
    expect(events.map((e) => e.event_type)).toEqual([
      'request.created',
      ...Array(19).fill('request.updated'),
    ]);
    const last = events[19]?.payload;
    expect(typeof last === 'string' ? JSON.parse(last) : last).toMatchObject({
      event: 'request.updated',
      change: 'supporter',
      public: false,
      status: 'open',
      summary: supporters[18]?.summary,
    });

    expect(
      (
        await staffPost(first.service_request_id, '/status', {
          detailed_status: 'fixed',
          note: 'Filled',
          public: true,
        })
      ).status,
    ).toBe(200);
    for (const o of others) {
      const r = await read(o.service_request_id);
      expect(r.status).toBe('closed');
      expect(r.extended_attributes.detailed_status).toBe('fixed');
      expect(r.status_notes).toBe('Filled');
      expect(r.notes.at(-1)).toMatchObject({
        type: 'status_change',
        summary: `Status changed from open to fixed, following ${first.service_request_id}`,
        description: 'Filled',
      });
    }
    // Both reporters who left contact details are asked how it went.
    expect(await t.db.knex('surveys').count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('when a report is far away or late, then it is not linked', async () => {
    const first = await report(0);
    const far = await report(80);
    expect((await read(far.service_request_id)).extended_attributes.duplicate).toBe(false);
    t.clock.advance(8 * 24 * 3_600_000);
    const late = await report(1);
    expect((await read(late.service_request_id)).extended_attributes.parent_service_request_id).not.toBe(
      first.service_request_id,
    );
  });

  it('when staff unlink and link, then links and counts follow and each step is in the history', async () => {
    const a = await report(0);
    const b = await report(1);
    expect(
      (await staffPost(b.service_request_id, '/unlink', {})).body.extended_attributes.detailed_status,
    ).toBe('open');
    expect((await read(a.service_request_id)).extended_attributes.supporter_count).toBe(0);
    const linked = await staffPost(b.service_request_id, '/link', {
      parent_service_request_id: a.service_request_id,
    });
    expect(linked.body.extended_attributes.parent_service_request_id).toBe(a.service_request_id);
    expect(
      (await staffPost(a.service_request_id, '/link', { parent_service_request_id: a.service_request_id }))
        .status,
    ).toBe(400);
    const history = await request(t.app)
      .get(`/staff/v1/requests/${b.service_request_id}/history`)
      .set('Authorization', `Bearer ${staff}`);
    expect(history.body.map((h: { kind: string }) => h.kind)).toEqual(
      expect.arrayContaining(['link', 'unlink']),
    );
  });

  it('when the rule is edited through the admin API, then the new radius applies', async () => {
    const put = await request(t.app)
      .put(`/admin/v1/services/${code}/duplicate-rule`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ radius_metres: 200, window_hours: 24 });
    expect(put.status).toBe(200);
    const first = await report(0);
    const near = await report(150);
    expect((await read(near.service_request_id)).extended_attributes.parent_service_request_id).toBe(
      first.service_request_id,
    );
    await request(t.app)
      .put(`/admin/v1/services/${code}/duplicate-rule`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({});
  });
});

describe('the jurisdiction-wide duplicate rule (_default)', () => {
  const path = '/admin/v1/services/_default/duplicate-rule';
  const admin = () => ({ Authorization: `Bearer ${ADMIN_KEY}` });

  it('when nothing is saved, then GET returns the built-in defaults', async () => {
    const res = await request(t.app).get(path).set(admin());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ radius_metres: 50, window_hours: 168, enabled: true });
  });

  it('when a rule was saved with PUT, then GET returns the saved rule, not the defaults', async () => {
    const saved = {
      radius_metres: 120,
      window_hours: 48,
      statuses: ['open'],
      related_service_codes: [],
      enabled: false,
    };
    expect((await request(t.app).put(path).set(admin()).send(saved)).status).toBe(200);
    const res = await request(t.app).get(path).set(admin());
    expect(res.status).toBe(200);
    expect(res.body).toEqual(saved);
    // A service without its own rule follows the saved jurisdiction rule too.
    expect((await request(t.app).get(`/admin/v1/services/${code}/duplicate-rule`).set(admin())).body).toEqual(
      saved,
    );
  });

  it('when a PUT sends a value of the wrong type or below the minimum, then 400 naming each and the rule is unchanged', async () => {
    await request(t.app).put(path).set(admin()).send({ radius_metres: 120, window_hours: 48 });
    for (const [body, says] of [
      [{ enabled: 'false' }, 'enabled must be true or false'],
      [{ enabled: 0 }, 'enabled must be true or false'],
      [{ radius_metres: 0.0001 }, 'radius_metres must be a number from 1 to 5000'],
      [{ radius_metres: [50] }, 'radius_metres must be a number from 1 to 5000'],
      [{ radius_metres: true }, 'radius_metres must be a number from 1 to 5000'],
      [{ window_hours: 0.01 }, 'window_hours must be a number from 1 to 8760'],
      [{ statuses: 'open' }, 'statuses must be a list'],
      [{ statuses: [] }, 'statuses must name at least one status'],
      [{ related_service_codes: 'X' }, 'related_service_codes must be a list'],
    ] as const) {
      const res = await request(t.app).put(path).set(admin()).send(body);
      expect([res.status, res.body[0]?.description]).toEqual([400, expect.stringContaining(says)]);
    }
    expect((await request(t.app).get(path).set(admin())).body).toMatchObject({
      radius_metres: 120,
      window_hours: 48,
      enabled: true,
    });
    // Numeric text is still a number.
    expect(
      (await request(t.app).put(path).set(admin()).send({ radius_metres: '75' })).body.radius_metres,
    ).toBe(75);
  });

  it('when a service has its own rule, then _default still returns the jurisdiction rule', async () => {
    await request(t.app).put(path).set(admin()).send({ radius_metres: 120, window_hours: 48 });
    await request(t.app)
      .put(`/admin/v1/services/${code}/duplicate-rule`)
      .set(admin())
      .send({ radius_metres: 10, window_hours: 2 });
    const res = await request(t.app).get(path).set(admin());
    expect(res.body).toMatchObject({ radius_metres: 120, window_hours: 48 });
  });
});

describe('surveys', () => {
  async function closedWithSurvey(): Promise<string> {
    const r = await report(0, { email: 'resident@example.com' });
    await staffPost(r.service_request_id, '/status', { detailed_status: 'fixed' });
    const event = await t.db
      .knex('outbox')
      .where('event_type', 'survey.created')
      .orderBy('id', 'desc')
      .first('payload');
    return String((event?.payload as { survey_path: string }).survey_path);
  }

  it('when a resident answers, then once only; ratings outside 1-5 are refused', async () => {
    const path = await closedWithSurvey();
    const html = await request(t.app).get(path);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('<legend>The service you received</legend>');
    expect((await request(t.app).post(path).send({ service_rating: 0, timeliness_rating: 6 })).status).toBe(
      400,
    );
    // A comment that is not text, or a body of another type, is refused without using up the survey.
    const object = await request(t.app)
      .post(path)
      .send({ service_rating: 3, timeliness_rating: 3, comment: { x: 1 } });
    expect([object.status, object.text]).toEqual([400, expect.stringContaining('comment must be text')]);
    const xml = await request(t.app)
      .post(path)
      .set('Content-Type', 'application/xml')
      .send('<answer><service_rating>3</service_rating></answer>');
    expect(xml.status).toBe(415);
    expect(
      (await request(t.app).post(path).send({ service_rating: 4, timeliness_rating: 2, comment: 'ok' }))
        .status,
    ).toBe(201);
    expect((await request(t.app).post(path).send({ service_rating: 5, timeliness_rating: 5 })).status).toBe(
      409,
    );
    expect((await request(t.app).get(path).set('Accept', 'application/json')).body.answered).toBe(true);
    expect((await request(t.app).get('/surveys/not-a-token').set('Accept', 'application/json')).status).toBe(
      404,
    );
  });

  it('when a link is unknown, used or expired, then POST answers that before judging the answer (as GET tells them apart)', async () => {
    // Unknown: the 404 GET gives, for a browser (HTML) and an app (JSON) alike, whatever the body holds.
    const getHtml = await request(t.app).get('/surveys/0').set('Accept', 'text/html,application/xhtml+xml');
    const getJson = await request(t.app).get('/surveys/0').set('Accept', 'application/json');
    expect([getHtml.status, getJson.status]).toEqual([404, 404]);
    // A browser gets a page, as for POST (it got the JSON error list; probe).
    expect(getHtml.headers['content-type']).toMatch(/text\/html/);
    expect(getHtml.text).toContain('This survey link is not valid.');
    const postHtml = await request(t.app).post('/surveys/0').type('form').send('rating=5');
    expect([postHtml.status, postHtml.headers['content-type']]).toEqual([
      404,
      expect.stringMatching(/text\/html/),
    ]);
    expect(postHtml.text).toContain('This survey link is not valid.');
    expect(postHtml.text).not.toContain('service_rating');
    const postJson = await request(t.app).post('/surveys/0').send({ rating: 5 });
    expect([postJson.status, postJson.body]).toEqual([404, getJson.body]);

    // Used: 409 (GET shows "already answered"), not the 400 for the missing ratings.
    const used = await closedWithSurvey();
    expect((await request(t.app).post(used).send({ service_rating: 4, timeliness_rating: 4 })).status).toBe(
      201,
    );
    const again = await request(t.app).post(used).type('form').send('rating=5');
    expect([again.status, again.text]).toEqual([409, expect.stringContaining('already been answered')]);

    // Expired: 410 (GET shows "Survey closed").
    const old = await closedWithSurvey();
    t.clock.advance(31 * 24 * 3_600_000);
    expect((await request(t.app).get(old)).text).toContain('This survey has expired.');
    const late = await request(t.app).post(old).send({ rating: 5 });
    expect([late.status, late.body[0]?.description]).toEqual([410, 'This survey has expired.']);
  });

  it('when the link is older than SURVEY_TTL_DAYS, then 410', async () => {
    const path = await closedWithSurvey();
    t.clock.advance(31 * 24 * 3_600_000);
    expect((await request(t.app).post(path).send({ service_rating: 4, timeliness_rating: 4 })).status).toBe(
      410,
    );
  });

  it('when surveys are answered, then the satisfaction report adds up against the 85% goal', async () => {
    for (const [s, tl] of [
      [5, 4],
      [2, 3],
      [4, 1],
    ]) {
      const path = await closedWithSurvey();
      await request(t.app).post(path).send({ service_rating: s, timeliness_rating: tl });
    }
    await closedWithSurvey(); // not answered
    const res = await request(t.app)
      .get(
        '/admin/v1/reports/satisfaction?start_date=2026-11-01T00:00:00Z&end_date=2026-12-31T00:00:00Z&group_by=channel',
      )
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual([
      expect.objectContaining({
        group: 'mobile',
        surveys: 4,
        responses: 3,
        response_rate: 0.75,
        share_service_3_or_better: 0.667,
        share_timeliness_3_or_better: 0.667,
        goal: 0.85,
        meets_goal: false,
      }),
    ]);
    // The dashboard's summary runs the same figures inside its own statement (src/rollup/figures.ts).
    const summary = await request(t.app).get(
      '/dashboard/api/summary?start_date=2026-11-01T00:00:00Z&end_date=2026-12-31T00:00:00Z&layer=ward',
    );
    expect(summary.status).toBe(200);
    expect(summary.body.totals.satisfaction).toEqual({ ...res.body.rows[0], group: 'all' });
    expect(
      summary.body.by_channel.find((c: { group: string }) => c.group === 'mobile').satisfaction_share,
    ).toBe(0.667);
  });
});
