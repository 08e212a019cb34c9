/**
 * The dashboard of a city with no district layers yet (created with the admin API, no geography
 * imported): its page has no layer to send, so the summary answers the city-wide figures with an empty
 * area breakdown instead of a 400 for a layer nobody asked for. A layer named there, or one a city with
 * layers does not have, stays a 400.
 */
import request from 'supertest';
import { createApiKey } from '../src/auth';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { disableDuplicateDetection } from './helpers/fixtures';

const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const SPRINGFIELD = { id: 'springfield', name: 'Springfield', time_zone: 'America/Chicago' };
const descriptions = (res: request.Response): string =>
  (res.body as Array<{ description: string }>).map((e) => e.description).join('\n');

describe('the dashboard of a city without district layers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await disableDuplicateDetection(t);
    await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(SPRINGFIELD).expect(201);
    await request(t.app)
      .post('/admin/v1/jurisdictions/springfield/services')
      .set(admin)
      .send({ service_code: 'SPR-POTHOLE', service_name: 'Springfield pothole' })
      .expect(201);
    const key = await createApiKey(
      t.db.knex,
      { name: 'spring', role: 'client', channel: 'mobile', jurisdictionId: 'springfield' },
      t.clock.now(),
    );
    const res = await request(t.app).post('/open311/v2/requests.json').type('form').send({
      api_key: key.secret,
      jurisdiction_id: 'springfield',
      service_code: 'SPR-POTHOLE',
      lat: 39.7817,
      long: -89.6501,
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => t.close());

  it('when its page asks for the summary with no layer (or layer= empty), then 200 with the city-wide figures and no areas', async () => {
    const config = await request(t.app).get('/dashboard/api/config?jurisdiction_id=springfield');
    expect(config.status).toBe(200);
    expect(config.body.layers).toEqual([]);
    // The period as the page sends it: up to tomorrow (the request was made just now).
    const end = new Date(t.clock.now().getTime() + 86_400_000).toISOString().slice(0, 10);
    for (const url of [
      `/dashboard/api/summary?jurisdiction_id=springfield&end_date=${end}`,
      `/dashboard/api/summary?jurisdiction_id=springfield&end_date=${end}&layer=`,
    ]) {
      const res = await request(t.app).get(url);
      expect([url, res.status, res.text.slice(0, 200)]).toEqual([url, 200, expect.any(String)]);
      expect(res.body.layer).toBeNull();
      expect(res.body.totals.received).toBe(1);
      expect(res.body.by_district).toEqual([]);
      expect(res.body.spread).toEqual({ best: null, worst: null, gap: null });
      expect(res.body.by_channel.map((c: { received: number }) => c.received)).toEqual([1]);
    }
  });

  it('when a layer is named for it, or a city with layers is asked for one it lacks, then 400', async () => {
    const named = await request(t.app).get('/dashboard/api/summary?jurisdiction_id=springfield&layer=ward');
    expect(named.status).toBe(400);
    expect(descriptions(named)).toBe('layer "ward" is not known: this jurisdiction has no district layers.');
    const boston = await request(t.app).get('/dashboard/api/summary?jurisdiction_id=boston&layer=wards');
    expect(boston.status).toBe(400);
    expect(descriptions(boston)).toMatch(/^layer must be one of .*ward/);
    const ok = await request(t.app).get('/dashboard/api/summary?jurisdiction_id=boston&layer=ward');
    expect(ok.status).toBe(200);
    expect(ok.body.layer).toBe('ward');
    expect(ok.body.by_district.length).toBeGreaterThan(0);
  });
});
