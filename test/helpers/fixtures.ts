import request from 'supertest';
import type { Service } from '../../src/catalog';
import type { Knex } from 'knex';
import { startTestServer, type TestServer } from './app';

/** Real Boston points (from the demo address data). */
export const HEREFORD = { lat: 42.3504, long: -71.0867, address: '29 Hereford St' };
export const WORCESTER = { lat: 42.2626, long: -71.8023 };

export async function services(t: TestServer): Promise<Service[]> {
  return t.ctx.catalog.services('boston');
}

export async function findService(
  t: TestServer,
  pred: (s: Service) => boolean,
  what: string,
): Promise<Service> {
  const s = (await services(t)).find(pred);
  if (!s) throw new Error(`the demo catalog has no ${what}`);
  return s;
}

/** A realtime public service without required attributes. */
export const plainService = (t: TestServer) =>
  findService(
    t,
    (s) => s.type === 'realtime' && !s.isPrivate && s.attributes.every((a) => !a.required || !a.variable),
    'plain realtime service',
  );

/** Form fields that satisfy every required attribute of a service. */
export function requiredAttributeFields(s: Service): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of s.attributes.filter((x) => x.variable && x.required)) {
    const key = `attribute[${a.code}]`;
    if (a.datatype === 'number') out[key] = '2';
    else if (a.datatype === 'datetime') out[key] = '2026-11-20T08:00:00-05:00';
    else if (a.datatype === 'singlevaluelist' || a.datatype === 'multivaluelist')
      out[key] = a.values[0]?.key ?? '';
    else out[key] = 'something';
  }
  return out;
}

/** For tests that need several distinct requests at one spot: turn the jurisdiction's duplicate rule off. */
export async function disableDuplicateDetection(t: TestServer | Knex): Promise<void> {
  const knex = 'db' in t ? t.db.knex : t;
  await knex('duplicate_rules').where('jurisdiction_id', 'boston').delete();
  await knex('duplicate_rules').insert({
    jurisdiction_id: 'boston',
    service_id: null,
    radius_metres: 1,
    window_hours: 1,
    statuses: [],
    enabled: false,
  });
}

/** POSTs a request of `serviceCode` at 29 Hereford St with `apiKey`, expects 201, returns its id. */
export async function createAtHereford(t: TestServer, apiKey: string, serviceCode: string): Promise<string> {
  const res = await request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({ api_key: apiKey, service_code: serviceCode, lat: HEREFORD.lat, long: HEREFORD.long });
  expect(res.status).toBe(201);
  return res.body[0].service_request_id;
}

/** What the staff-action tests start from: a server, its staff and client keys, and reports to act on. */
export interface StaffSetup {
  t: TestServer;
  staff: string;
  client: string;
  /** A new report at Hereford St of a plain service (no duplicate rule: each is its own request). */
  create: () => Promise<string>;
}

export async function startStaffSetup(): Promise<StaffSetup> {
  const t = await startTestServer();
  await disableDuplicateDetection(t);
  const staff = await t.key('staff', 'staff');
  const client = await t.key('client', 'mobile');
  const serviceCode = (await plainService(t)).serviceCode;
  return { t, staff, client, create: () => createAtHereford(t, client, serviceCode) };
}
