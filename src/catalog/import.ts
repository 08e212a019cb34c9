/**
 * Writes a catalog (agencies, services, attribute definitions) for a jurisdiction in one transaction.
 * Re-importing updates services in place and bumps their version so cached validators are rebuilt.
 */
import type { Knex } from 'knex';
import { Problems } from '../core';
import type { Datatype, ServiceType, SlaUnit } from './types';

export interface CatalogInput {
  agencies: Array<{ code: string; name: string; email?: string | null; phone?: string | null }>;
  services: Array<{
    service_code: string;
    service_name: string;
    description?: string;
    keywords?: string[];
    groups?: string[];
    type?: ServiceType;
    agency_code?: string | null;
    sla?: { value: number; unit: SlaUnit } | null;
    attributes?: Array<{
      code: string;
      variable?: boolean;
      datatype: Datatype;
      required?: boolean;
      datatype_description?: string | null;
      order?: number;
      description?: string;
      values?: Array<{ key: string; name: string }>;
    }>;
  }>;
}

// Codes become XML element names in extended output, so they must be XML-name safe.
const CODE = /^[A-Za-z_][\w.-]{0,99}$/;

export function checkCatalog(input: CatalogInput): void {
  const problems = new Problems();
  const agencies = new Set(input.agencies.map((a) => a.code));
  for (const s of input.services) {
    if (!s.service_code || s.service_code.length > 100)
      problems.add(`service_code "${s.service_code}" is empty or too long.`);
    if (s.agency_code && !agencies.has(s.agency_code))
      problems.add(`${s.service_code}: unknown agency_code "${s.agency_code}".`);
    for (const a of s.attributes ?? []) {
      if (!CODE.test(a.code))
        problems.add(
          `${s.service_code}: attribute code "${a.code}" must start with a letter and use letters, digits, _ . -`,
        );
      if (
        (a.datatype === 'singlevaluelist' || a.datatype === 'multivaluelist') &&
        (a.values ?? []).length === 0
      ) {
        problems.add(`${s.service_code}: attribute ${a.code} is a list without values.`);
      }
    }
  }
  problems.throwIfAny();
}

export async function importCatalog(
  knex: Knex,
  jurisdictionId: string,
  input: CatalogInput,
): Promise<{ services: number; agencies: number }> {
  checkCatalog(input);
  await knex.transaction(async (trx) => {
    const agencyIds = new Map<string, number>();
    for (const a of input.agencies) {
      const [row] = (await trx('agencies')
        .insert({
          jurisdiction_id: jurisdictionId,
          code: a.code,
          name: a.name,
          email: a.email ?? null,
          phone: a.phone ?? null,
        })
        .onConflict(['jurisdiction_id', 'code'])
        .merge(['name', 'email', 'phone'])
        .returning('id')) as Array<{ id: number }>;
      agencyIds.set(a.code, Number(row?.id));
    }
    for (const s of input.services) {
      // The same fields on first import and on re-import; a re-import also bumps the version.
      const fields = {
        service_name: s.service_name,
        description: s.description ?? '',
        type: s.type ?? 'realtime',
        keywords: s.keywords ?? [],
        groups: s.groups ?? [],
        agency_id: s.agency_code ? (agencyIds.get(s.agency_code) ?? null) : null,
        sla_value: s.sla?.value ?? null,
        sla_unit: s.sla?.unit ?? null,
      };
      const [row] = (await trx('services')
        .insert({ jurisdiction_id: jurisdictionId, service_code: s.service_code, ...fields })
        .onConflict(['jurisdiction_id', 'service_code'])
        .merge({ ...fields, version: trx.raw('services.version + 1'), updated_at: trx.fn.now() })
        .returning('id')) as Array<{ id: number }>;
      const serviceId = Number(row?.id);
      await trx('service_attributes').where('service_id', serviceId).delete();
      const attributes = s.attributes ?? [];
      if (attributes.length > 0) {
        await trx('service_attributes').insert(
          attributes.map((a, i) => ({
            service_id: serviceId,
            code: a.code,
            variable: a.variable ?? true,
            datatype: a.datatype,
            required: a.required ?? false,
            datatype_description: a.datatype_description ?? null,
            sort_order: a.order ?? i + 1,
            description: a.description ?? '',
            values: JSON.stringify(a.values ?? []),
          })),
        );
      }
    }
  });
  return { services: input.services.length, agencies: input.agencies.length };
}
