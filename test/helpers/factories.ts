/**
 * Test data made for the test at hand, instead of searching the demo catalog for a service that happens
 * to fit: `buildService` writes a service (with its agency and attributes) through the catalog's own
 * writer, `createRequest` POSTs a request for it through the API.
 */
import request from 'supertest';
import type { Service } from '../../src/catalog';
import { importCatalog, type CatalogInput } from '../../src/catalog/import';
import type { TestServer } from './app';
import { HEREFORD, requiredAttributeFields } from './fixtures';

type ServiceInput = CatalogInput['services'][number];
export type AttributeInput = NonNullable<ServiceInput['attributes']>[number];

export interface ServiceOverrides extends Partial<Omit<ServiceInput, 'agency_code'>> {
  jurisdictionId?: string;
  /** The agency responsible; created (or renamed) with the service. `null` for none. */
  agency?: { code: string; name: string } | null;
}

let serial = 0;

/** A public realtime service of Boston, no response level, no attributes, unless overridden. */
export async function buildService(t: TestServer, overrides: ServiceOverrides = {}): Promise<Service> {
  serial += 1;
  const {
    jurisdictionId = 'boston',
    agency = { code: 'test-agency', name: 'Test Agency' },
    ...fields
  } = overrides;
  const input: ServiceInput = {
    service_code: `test-service-${process.pid}-${serial}`,
    service_name: `Test service ${serial}`,
    description: 'Made by test/helpers/factories.ts',
    type: 'realtime',
    sla: null,
    attributes: [],
    ...fields,
    agency_code: agency?.code ?? null,
  };
  await importCatalog(t.db.knex, jurisdictionId, { agencies: agency ? [agency] : [], services: [input] });
  t.ctx.catalog.invalidate();
  const service = await t.ctx.catalog.service(jurisdictionId, input.service_code);
  if (!service) throw new Error(`buildService: ${input.service_code} did not read back`);
  return service;
}

/** Attribute definitions for `buildService`, one per datatype family. */
export const attributes = {
  requiredText: (code = 'note'): AttributeInput => ({
    code,
    datatype: 'string',
    required: true,
    description: 'A required note',
  }),
  requiredSingleList: (code = 'size'): AttributeInput => ({
    code,
    datatype: 'singlevaluelist',
    required: true,
    description: 'How big',
    values: [
      { key: 'small', name: 'Small' },
      { key: 'large', name: 'Large' },
    ],
  }),
  multiList: (code = 'kinds'): AttributeInput => ({
    code,
    datatype: 'multivaluelist',
    required: false,
    description: 'Which kinds',
    values: [
      { key: 'glass', name: 'Glass' },
      { key: 'paper', name: 'Paper' },
      { key: 'metal', name: 'Metal' },
    ],
  }),
};

export interface RequestOverrides {
  apiKey?: string;
  lat?: number;
  long?: number;
  /** Any other form fields; required attributes are filled in unless given here. */
  fields?: Record<string, string>;
  /** Expected status (default 201). */
  status?: number;
}

/** POSTs a request for `service` at 29 Hereford St (form encoded) and returns the response body's first entry. */
export async function createRequest(
  t: TestServer,
  service: Service,
  overrides: RequestOverrides = {},
): Promise<{ service_request_id?: string | null; token?: string; service_notice?: string | null }> {
  const res = await request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({
      api_key: overrides.apiKey ?? (await t.key('client', 'mobile')),
      service_code: service.serviceCode,
      lat: overrides.lat ?? HEREFORD.lat,
      long: overrides.long ?? HEREFORD.long,
      ...requiredAttributeFields(service),
      ...overrides.fields,
    });
  expect(res.status).toBe(overrides.status ?? 201);
  return res.body[0];
}
