import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { createAtHereford, disableDuplicateDetection, plainService } from './helpers/fixtures';
import { getBoth } from './helpers/xml';

let t: TestServer;
let code: string;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
  code = (await plainService(t)).serviceCode;
});
beforeEach(() => resetWrites(t.db));
afterAll(() => t.close());

const admin = (method: 'post' | 'put', path: string, body: object) =>
  request(t.app)[method](path).set('Authorization', `Bearer ${ADMIN_KEY}`).send(body);
const descriptions = (res: request.Response): string[] =>
  (res.body as Array<{ code: number; description: string }>).map((e) => {
    expect(e.code).toBe(400);
    return e.description;
  });

describe('input checked against schemas', () => {
  it('when a webhook is posted with events instead of event_types, then 400 naming events and nothing is stored', async () => {
    await t.db.knex('webhook_subscriptions').delete();
    const res = await admin('post', '/admin/v1/webhooks', {
      url: 'https://example.test/hook',
      events: ['request.created'],
      secret: 'short',
    });
    expect(res.status).toBe(400);
    expect(descriptions(res)).toEqual([
      expect.stringContaining('Unknown field "events" (did you mean "event_types"?)'),
      'secret must be 16 to 256 characters (or omitted to have one generated).',
    ]);
    expect(Number((await t.db.knex('webhook_subscriptions').count({ n: '*' }))[0]?.n)).toBe(0);

    const bad = await admin('post', '/admin/v1/webhooks', { url: 'ftp://x', event_types: ['nope'] });
    expect(descriptions(bad)).toEqual([
      expect.stringMatching(/^event_types must be among /),
      'url must be an http or https URL.',
    ]);

    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://localhost:8080/x',
      'http://localhost.:8080/x',
      'http://api.localhost./x',
      'http://127.0.0.1./x',
      'http://[::1]/x',
    ]) {
      const internal = await admin('post', '/admin/v1/webhooks', { url });
      expect(internal.status).toBe(400);
      expect(descriptions(internal)).toEqual([expect.stringMatching(/^url must be a public address/)]);
    }

    const ok = await admin('post', '/admin/v1/webhooks', { url: 'https://example.test/hook' });
    expect(ok.status).toBe(201);
    expect(ok.body.event_types.length).toBeGreaterThan(1);
    expect(ok.body.secret.length).toBeGreaterThanOrEqual(16);
  });

  it('when staff send status_notes instead of note, then 400 naming it and the status is unchanged', async () => {
    const client = await t.key('client', 'mobile');
    const staff = await t.key('staff', 'staff');
    const id = await createAtHereford(t, client, code);
    const post = (body: object) =>
      request(t.app)
        .post(`/staff/v1/requests/${id}/status`)
        .set('Authorization', `Bearer ${staff}`)
        .send(body);
    const detailedStatus = async () =>
      (
        (await t.db.knex('service_requests').where('id', id).first('detailed_status')) as {
          detailed_status: string;
        }
      ).detailed_status;
    const bad = await post({ detailed_status: 'in_progress', status_notes: 'On it' });
    expect(bad.status).toBe(400);
    expect(descriptions(bad)).toEqual([
      expect.stringContaining('Unknown field "status_notes" (did you mean "note"?)'),
    ]);
    expect(await detailedStatus()).toBe('open');
    const ok = await post({ detailed_status: 'in_progress', note: 'On it', public: 'true' });
    expect(ok.status).toBe(200);
    expect(await detailedStatus()).toBe('in_progress');
  });

  it('when GET requests has several bad parameters, then one 400 lists every one, in JSON and XML', async () => {
    const { status, json, xml } = await getBoth(
      t.app,
      '/open311/v2/requests',
      'page_size=0&page=x&lat=91&long=0&status=maybe&detailed_status=open,later&sort=up&extensions=perhaps&start_date=soon',
    );
    expect(status).toBe(400);
    const list = (json as Array<{ description: string }>).map((e) => e.description);
    for (const name of [
      'page_size',
      'page',
      'lat',
      'status',
      'detailed_status',
      'sort',
      'extensions',
      'start_date',
    ])
      expect(list.some((d) => d.startsWith(name))).toBe(true);
    expect(list).toContain('page_size must be a whole number from 1 to 1000 (got "0").');
    expect(list).toContain('status must be open or closed.');
    expect(list).toHaveLength(8);
    expect(xml).toContain(
      '<description>page_size must be a whole number from 1 to 1000 (got &quot;0&quot;).</description>',
    );
  });

  it('when response levels carry an unknown field, then 400 naming it and nothing is written', async () => {
    const url = `/admin/v1/services/${code}/response-levels`;
    const before = (await request(t.app).get(url).set('Authorization', `Bearer ${ADMIN_KEY}`)).body;
    const res = await admin('put', url, {
      default: { value: 2, unit: 'hours' },
      priorities: {},
      recompute: true,
    });
    expect(res.status).toBe(400);
    expect(descriptions(res)).toEqual([expect.stringContaining('Unknown field "recompute"')]);
    expect((await request(t.app).get(url).set('Authorization', `Bearer ${ADMIN_KEY}`)).body).toEqual(before);
  });

  it('when other admin bodies carry unknown fields, then each is a 400 naming them', async () => {
    const key = await admin('post', '/admin/v1/api-keys', { name: 'x', rol: 'staff' });
    expect(descriptions(key)).toEqual([
      expect.stringContaining('Unknown field "rol" (did you mean "role"?)'),
    ]);
    const rule = await admin('put', `/admin/v1/services/${code}/duplicate-rule`, {
      radius_metres: 50,
      radius: 50,
      window: 3,
    });
    expect(descriptions(rule)).toEqual([
      expect.stringContaining('Unknown field "radius"'),
      expect.stringContaining('Unknown field "window"'),
    ]);
    const calendar = await admin('put', '/admin/v1/jurisdictions/boston/calendar', { hours: {} });
    expect(descriptions(calendar)).toEqual([expect.stringContaining('Unknown field "hours"')]);
  });
});
