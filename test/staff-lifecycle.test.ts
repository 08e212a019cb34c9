import request from 'supertest';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { HEREFORD, disableDuplicateDetection, plainService } from './helpers/fixtures';

let t: TestServer;
let client: string;
let staff: string;
let id: string;

beforeAll(async () => {
  t = await startTestServer();
  await disableDuplicateDetection(t);
});
beforeEach(async () => {
  await resetWrites(t.db);
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
  const s = await plainService(t);
  const res = await request(t.app).post('/open311/v2/requests.json').type('form').send({
    api_key: client,
    service_code: s.serviceCode,
    lat: HEREFORD.lat,
    long: HEREFORD.long,
    email: 'a@b.example',
    first_name: 'Ana',
  });
  id = res.body[0].service_request_id;
});
afterAll(() => t.close());

const staffPost = (path: string, body: object) =>
  request(t.app).post(`/staff/v1/requests/${id}${path}`).set('Authorization', `Bearer ${staff}`).send(body);

describe('staff API', () => {
  it('when a client key is used, then 403; without a key, then 403', async () => {
    expect(
      (await request(t.app).get(`/staff/v1/requests/${id}`).set('Authorization', `Bearer ${client}`)).status,
    ).toBe(403);
    expect((await request(t.app).get(`/staff/v1/requests/${id}`)).status).toBe(403);
  });

  it('when staff read a request, then they see contact and assignment that the public never sees', async () => {
    const res = await request(t.app).get(`/staff/v1/requests/${id}`).set('Authorization', `Bearer ${staff}`);
    expect(res.status).toBe(200);
    expect(res.body.contact.email).toBe('a@b.example');
    const pub = await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`);
    expect(JSON.stringify(pub.body)).not.toMatch(/a@b\.example|Ana/);
  });

  it('when a request moves through its lifecycle, then every step is in its history and public ones move updated_datetime', async () => {
    t.clock.advance(60_000);
    expect(
      (await staffPost('/status', { detailed_status: 'in_progress', note: 'Crew on the way', public: true }))
        .status,
    ).toBe(200);
    t.clock.advance(60_000);
    expect((await staffPost('/notes', { text: 'Caller is a regular', public: false })).status).toBe(201);
    t.clock.advance(60_000);
    expect((await staffPost('/priority', { priority: 'high' })).status).toBe(200);
    expect((await staffPost('/assign', { assigned_to: 'crew 7' })).status).toBe(200);
    const agencies = await t.db
      .knex('agencies')
      .where('jurisdiction_id', 'boston')
      .select('code', 'id')
      .orderBy('code');
    const current = await t.db.knex('service_requests').where('id', id).first('agency_id');
    const other = agencies.find((a) => Number(a.id) !== Number(current?.agency_id))!;
    t.clock.advance(60_000);
    expect(
      (await staffPost('/transfer', { agency_code: other.code, note: 'Wrong department', public: true }))
        .status,
    ).toBe(200);
    t.clock.advance(60_000);
    const closed = await staffPost('/status', {
      detailed_status: 'fixed',
      note: 'Replaced the lamp',
      public: true,
    });
    expect(closed.body.status).toBe('closed');

    const history = await request(t.app)
      .get(`/staff/v1/requests/${id}/history`)
      .set('Authorization', `Bearer ${staff}`);
    expect(history.body.map((h: { kind: string }) => h.kind)).toEqual([
      'created',
      'status_change',
      'note',
      'priority',
      'assignment',
      'transfer',
      'status_change',
    ]);
    expect(history.body[1].actor.label).toBe('test staff staff');

    const pub = await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`);
    const r = pub.body[0];
    expect(r.status).toBe('closed');
    expect(r.status_notes).toBe('Replaced the lamp');
    expect(r.updated_datetime).toBe('2026-11-23T10:05:00-05:00');
    expect(r.notes.map((n: { description: string }) => n.description)).toEqual([
      'Crew on the way',
      'Wrong department',
      'Replaced the lamp',
    ]);
    expect(JSON.stringify(r)).not.toContain('Caller is a regular');
  });

  it('when staff give a note with a status change or a transfer without public: true, then the note stays internal and the change itself is public', async () => {
    const otherAgency = async () => {
      const current = await t.db.knex('service_requests').where('id', id).first('agency_id');
      return (await t.db
        .knex('agencies')
        .where('jurisdiction_id', 'boston')
        .whereNot('id', current?.agency_id)
        .orderBy('code')
        .first('code', 'name')) as { code: string; name: string };
    };
    t.clock.advance(60_000);
    expect(
      (await staffPost('/status', { detailed_status: 'in_progress', note: 'Ask Joe Bloggs 443-555-0101' }))
        .status,
    ).toBe(200);
    const first = await otherAgency();
    t.clock.advance(60_000);
    const moved = await staffPost('/transfer', {
      agency_code: first.code,
      note: 'per inspector 443-555-0102',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.agency_responsible).toBe(first.name);
    const second = await otherAgency();
    t.clock.advance(60_000);
    expect(
      (await staffPost('/transfer', { agency_code: second.code, note: 'call 443-555-0103', public: 'false' }))
        .status,
    ).toBe(200);
    const lastPublicChange = t.clock.now().getTime();
    t.clock.advance(60_000);
    expect((await staffPost('/notes', { text: 'neighbour 443-555-0104' })).status).toBe(201);
    const bad = await staffPost('/transfer', { agency_code: first.code, public: 'maybe' });
    expect(bad.status).toBe(400);

    const pub = await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`);
    const r = pub.body[0];
    expect(JSON.stringify(pub.body)).not.toMatch(/443-555/);
    expect(r.status_notes).toBeNull();
    expect(r.agency_responsible).toBe(second.name);
    // The facts are public: the status change and both transfers, and they move updated_datetime.
    expect(r.notes.map((n: { summary: string }) => n.summary)).toEqual([
      'Status changed from open to in_progress',
      `Transferred to ${first.name}`,
      `Transferred to ${second.name}`,
    ]);
    expect(new Date(r.updated_datetime).getTime()).toBe(lastPublicChange);
    const updates = await request(t.app).get(
      '/open311/v2/servicerequestupdates.json?start_date=2026-11-23T00:00:00Z&end_date=2026-11-24T00:00:00Z',
    );
    expect(updates.status).toBe(200);
    expect(updates.body.length).toBe(3);
    expect(JSON.stringify(updates.body)).not.toMatch(/443-555/);
    const bulk = await request(t.app).get('/open311/v2/bulk/requests.json');
    expect(JSON.stringify(bulk.body)).not.toMatch(/443-555/);

    // Staff keep every note, internal, beside the change it came with.
    const history = await request(t.app)
      .get(`/staff/v1/requests/${id}/history`)
      .set('Authorization', `Bearer ${staff}`);
    const rows = history.body as Array<{ kind: string; public: boolean; description: string | null }>;
    expect(rows.map((h) => [h.kind, h.public, h.description])).toEqual([
      ['created', false, null],
      ['status_change', true, null],
      ['note', false, 'Ask Joe Bloggs 443-555-0101'],
      ['transfer', true, null],
      ['note', false, 'per inspector 443-555-0102'],
      ['transfer', true, null],
      ['note', false, 'call 443-555-0103'],
      ['note', false, 'neighbour 443-555-0104'],
    ]);
  });

  it('when public is a number or a word, then 400 "public must be true or false." (it said "or text or null")', async () => {
    for (const value of [1, 'yes'])
      expect((await staffPost('/notes', { text: 'x', public: value })).body).toEqual([
        { code: 400, description: 'public must be true or false.' },
      ]);
  });

  it('when a request closed as duplicate is changed without reopening, then 400 with a reason; reopening works', async () => {
    // Only a linked request can be closed as a duplicate (test/staff-link-ids.test.ts).
    const s = await plainService(t);
    const parent = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: client, service_code: s.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long });
    const parentId = parent.body[0].service_request_id as string;
    expect((await staffPost('/link', { parent_service_request_id: parentId })).status).toBe(200);
    expect((await staffPost('/status', { detailed_status: 'duplicate' })).body.status).toBe('closed');
    const bad = await staffPost('/status', { detailed_status: 'fixed' });
    expect(bad.status).toBe(400);
    expect(bad.body[0].description).toMatch(/reopen/);
    expect((await staffPost('/status', { detailed_status: 'reopen' })).body.status).toBe('open');
  });

  it('when the history is tampered with in SQL, then the database refuses', async () => {
    await expect(t.db.knex('request_history').update({ summary: 'x' })).rejects.toThrow(/append-only/);
    await expect(t.db.knex('request_history').delete()).rejects.toThrow(/append-only/);
  });

  it('when staff take a request by phone for a resident, then it is recorded with that channel', async () => {
    const s = await plainService(t);
    const res = await request(t.app).post('/staff/v1/requests').set('Authorization', `Bearer ${staff}`).send({
      service_code: s.serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
      channel: 'phone',
      phone: '617-555-0100',
    });
    expect(res.status).toBe(201);
    expect(res.body.extended_attributes.channel).toBe('phone');
    const bad = await request(t.app)
      .post('/staff/v1/requests')
      .set('Authorization', `Bearer ${staff}`)
      .send({ service_code: s.serviceCode, lat: HEREFORD.lat, long: HEREFORD.long, channel: 'pigeon' });
    expect(bad.status).toBe(400);
  });
});

describe('servicerequestupdates (mySociety)', () => {
  it('when FixMyStreet posts an update, then it changes the status once and reads back under the server id it was answered with', async () => {
    const body = {
      api_key: staff,
      service_request_id: id,
      update_id: 'fms-1',
      status: 'IN_PROGRESS',
      updated_datetime: '2026-11-23T10:10:00-05:00',
      description: 'Council looking at it',
    };
    const first = await request(t.app).post('/open311/v2/servicerequestupdates.xml').type('form').send(body);
    expect(first.status).toBe(200);
    const serverId = /<update_id>(\d+)<\/update_id>/.exec(first.text)?.[1];
    expect(first.text).toContain(
      `<service_request_updates><request_update><update_id>${serverId}</update_id></request_update></service_request_updates>`,
    );
    const again = await request(t.app).post('/open311/v2/servicerequestupdates.json').type('form').send(body);
    expect(again.body).toEqual([{ update_id: serverId }]);
    const list = await request(t.app).get(
      '/open311/v2/servicerequestupdates.json?start_date=2026-11-23T00:00:00Z&end_date=2026-11-24T00:00:00Z',
    );
    expect(list.body).toEqual([
      {
        update_id: serverId,
        service_request_id: id,
        status: 'in_progress',
        updated_datetime: '2026-11-23T10:10:00-05:00',
        description: 'Council looking at it',
        media_url: null,
      },
    ]);
    const r = await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`);
    expect(r.body[0].extended_attributes.detailed_status).toBe('in_progress');
  });

  it('when there is no key or fields are missing, then 403 or 400', async () => {
    const noKey = await request(t.app)
      .post('/open311/v2/servicerequestupdates.json')
      .type('form')
      .send({ service_request_id: id });
    expect(noKey.status).toBe(403);
    const missing = await request(t.app)
      .post('/open311/v2/servicerequestupdates.json')
      .type('form')
      .send({ api_key: staff, status: 'OPEN' });
    expect(missing.status).toBe(400);
    expect(missing.body.length).toBe(4);
  });

  it('when service_request_id is given, then only those requests’ updates are listed, over their whole history', async () => {
    // Outside probe (5 December): the parameter was ignored and every update of the last day listed.
    const other = (
      await request(t.app)
        .post('/open311/v2/requests.json')
        .type('form')
        .send({
          api_key: client,
          service_code: (await plainService(t)).serviceCode,
          lat: HEREFORD.lat,
          long: HEREFORD.long,
        })
    ).body[0].service_request_id as string;
    expect((await staffPost('/status', { detailed_status: 'in_progress' })).status).toBe(200);
    const otherChange = await request(t.app)
      .post(`/staff/v1/requests/${other}/status`)
      .set('Authorization', `Bearer ${staff}`)
      .send({ detailed_status: 'in_progress' });
    expect(otherChange.status).toBe(200);
    t.clock.advance(40 * 86_400_000); // older than the default window of a day
    const list = (query: string) => request(t.app).get(`/open311/v2/servicerequestupdates.json?${query}`);
    const all = await list('');
    expect(all.body).toEqual([]);
    const mine = await list(`service_request_id=${id}`);
    expect(mine.status).toBe(200);
    expect(mine.body.length).toBeGreaterThan(0);
    expect(new Set(mine.body.map((u: { service_request_id: string }) => u.service_request_id))).toEqual(
      new Set([id]),
    );
    const both = await list(`service_request_id=0${id},${other}`);
    expect(new Set(both.body.map((u: { service_request_id: string }) => u.service_request_id))).toEqual(
      new Set([id, other]),
    );
    for (const bad of [
      'abc',
      `${id},`,
      `${id};1`,
      '1e3',
      `service_request_id=${id}&service_request_id=${other}`,
    ]) {
      const res = await list(bad.startsWith('service_request_id=') ? bad : `service_request_id=${bad}`);
      expect([bad, res.status]).toEqual([bad, 400]);
    }
  });
});
