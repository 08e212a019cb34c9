/**
 * Issue #21: a POST with lat/long reads the point's facts and the duplicate check's candidates in one
 * statement (pointFactsAndParent). It must answer exactly what the two statements answer apart
 * (pointFacts, findParent), for points with and without a parent, inside and outside the city, with and
 * without the nearest address, under the default rule, a saved rule, and detection switched off.
 */
import request from 'supertest';
import type { Service } from '../src/catalog';
import { pointFacts } from '../src/geo';
import { findParent, pointFactsAndParent } from '../src/requests';
import { startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { disableDuplicateDetection, HEREFORD, plainService, WORCESTER } from './helpers/fixtures';

let t: TestServer;
let service: Service;
let client: string;

const north = (metres: number) => ({ lat: HEREFORD.lat + metres / 111_320, long: HEREFORD.long });
const POINTS = [north(0), north(8), north(45), north(70), north(400), WORCESTER];

beforeAll(async () => {
  t = await startTestServer();
  service = await plainService(t);
  await resetWrites(t.db);
  await t.db.knex('duplicate_rules').delete();
  t.clock.set('2026-11-23T15:00:00Z');
  client = await t.key('client', 'mobile');
  // Two open reports 60 m apart; the second is linked to nothing (beyond the default 50 m).
  for (const p of [north(0), north(60)]) {
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: client, service_code: service.serviceCode, ...p });
    expect(res.status).toBe(201);
    t.clock.advance(60_000);
  }
});
afterAll(() => t.close());

async function expectSameAsApart(label: string): Promise<void> {
  const now = t.clock.now();
  const j = service.jurisdictionId;
  for (const p of POINTS)
    for (const nearest of [null, 100]) {
      const together = await pointFactsAndParent(t.db.knex, j, service, p, now, 25, nearest);
      const facts = await pointFacts(t.db.knex, j, p, 25, nearest);
      const parent = await findParent(t.db.knex, j, service, p, now);
      expect({ label, p, nearest, ...together }).toEqual({ label, p, nearest, facts, parent });
    }
}

describe('pointFactsAndParent', () => {
  it('when a point is checked under the default rule, then the one statement answers as the two do', async () => {
    await expectSameAsApart('default rule');
    // The comparison covers a parent found and none found, a point inside the city and one outside.
    const found = await pointFactsAndParent(
      t.db.knex,
      service.jurisdictionId,
      service,
      north(8),
      t.clock.now(),
      25,
      100,
    );
    expect(found.parent).not.toBeNull();
    expect(found.facts.inside).toBe(true);
    expect(found.facts.nearest).not.toBeNull();
    const outside = await pointFactsAndParent(
      t.db.knex,
      service.jurisdictionId,
      service,
      WORCESTER,
      t.clock.now(),
      25,
      null,
    );
    expect(outside.facts.inside).toBe(false);
    expect(outside.parent).toBeNull();
  });

  it('when the jurisdiction saves a wider rule, then the one statement applies it as findParent does', async () => {
    await t.db.knex('duplicate_rules').delete();
    await t.db.knex('duplicate_rules').insert({
      jurisdiction_id: service.jurisdictionId,
      service_id: null,
      radius_metres: 150,
      window_hours: 1,
      statuses: ['open'],
      enabled: true,
    });
    await expectSameAsApart('saved rule');
    const wide = await pointFactsAndParent(
      t.db.knex,
      service.jurisdictionId,
      service,
      north(120),
      t.clock.now(),
      25,
      null,
    );
    expect(wide.parent).not.toBeNull();
  });

  it('when detection is switched off, then neither finds a parent', async () => {
    await disableDuplicateDetection(t);
    await expectSameAsApart('detection off');
    const off = await pointFactsAndParent(
      t.db.knex,
      service.jurisdictionId,
      service,
      north(0),
      t.clock.now(),
      25,
      null,
    );
    expect(off.parent).toBeNull();
  });
});
