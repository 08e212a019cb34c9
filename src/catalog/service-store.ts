/**
 * Writes one service definition as a whole document (issue #14). Every change bumps `services.version`
 * (cached attribute validators are keyed by it) and is kept in service_versions: who, when, what changed
 * and the document after the change. A document equal to the stored one writes nothing.
 */
import type { Knex } from 'knex';
import { AppError } from '../core';
import { diffService } from './diff';
import { assertLevelsReachable } from './response-levels';
import type { AttributeDoc, ServiceDoc } from './document';
import type { Service, ServiceAttribute } from './types';

/** An attribute exactly as a GeoReport service definition publishes it (and as the admin API takes it). */
export function attributeDoc(a: ServiceAttribute): AttributeDoc {
  return {
    variable: a.variable,
    code: a.code,
    datatype: a.datatype,
    required: a.required,
    datatype_description: a.datatypeDescription,
    order: a.order,
    description: a.description,
    values: a.values.map((v) => ({ key: v.key, name: v.name })),
  };
}

export function serviceDocOf(s: Service): ServiceDoc {
  return {
    service_code: s.serviceCode,
    service_name: s.serviceName,
    description: s.description,
    type: s.type,
    metadata: s.attributes.length > 0,
    keywords: [...s.keywords],
    groups: [...s.groups],
    agency_code: s.agency?.code ?? null,
    response_level: s.sla ? { value: s.sla.value, unit: s.sla.unit } : null,
    attributes: s.attributes.map(attributeDoc),
    active: s.active,
    residents_can_reopen: s.residentsCanReopen !== false,
  };
}

export interface SaveResult {
  serviceCode: string;
  version: number;
  changes: string[];
}

/** The departments of a jurisdiction by code, for documents that name them. */
export async function agencyIds(knex: Knex, jurisdictionId: string): Promise<Map<string, number>> {
  const rows = (await knex('agencies')
    .where('jurisdiction_id', jurisdictionId)
    .select('id', 'code')) as Array<{
    id: number;
    code: string;
  }>;
  return new Map(rows.map((r) => [r.code, Number(r.id)]));
}

async function recordVersion(
  trx: Knex.Transaction,
  serviceId: number,
  version: number,
  at: Date,
  actor: string,
  changes: string[],
  doc: ServiceDoc,
): Promise<void> {
  await trx('service_versions').insert({
    service_id: serviceId,
    version,
    changed_at: at,
    actor,
    summary:
      changes.length > 3
        ? `${changes.slice(0, 3).join('; ')}; and ${changes.length - 3} more`
        : changes.join('; '),
    changes: JSON.stringify(changes),
    document: JSON.stringify(doc),
  });
}

/**
 * Creates or replaces the service `doc.service_code` of a jurisdiction. `before` is the stored service
 * (null to create). `agencies` maps department codes to ids; an unknown code is a 400.
 */
export async function saveService(
  trx: Knex.Transaction,
  jurisdictionId: string,
  before: Service | null,
  doc: ServiceDoc,
  agencies: Map<string, number>,
  actor: string,
  at: Date,
): Promise<SaveResult> {
  const previous = before ? serviceDocOf(before) : null;
  const next: ServiceDoc = { ...doc, metadata: doc.attributes.length > 0 };
  const changes = diffService(previous, next);
  if (changes.length === 0) return { serviceCode: doc.service_code, version: before?.version ?? 1, changes };
  const level = doc.response_level;
  if (
    level &&
    (previous?.response_level?.value !== level.value || previous.response_level.unit !== level.unit)
  )
    await assertLevelsReachable(
      trx,
      jurisdictionId,
      [{ where: `service ${doc.service_code}: response_level`, level }],
      at,
    );
  let agencyId: number | null = null;
  if (doc.agency_code !== null) {
    agencyId = agencies.get(doc.agency_code) ?? null;
    if (agencyId === null)
      throw new AppError(400, `agency_code "${doc.agency_code}" is not a department of ${jurisdictionId}.`);
  }
  const fields = {
    service_name: doc.service_name,
    description: doc.description,
    type: doc.type,
    keywords: doc.keywords,
    groups: doc.groups,
    agency_id: agencyId,
    sla_value: doc.response_level?.value ?? null,
    sla_unit: doc.response_level?.unit ?? null,
    active: doc.active,
    residents_can_reopen: doc.residents_can_reopen,
    updated_at: at,
  };
  let serviceId: number;
  let version: number;
  if (before === null) {
    const [row] = (await trx('services')
      .insert({ jurisdiction_id: jurisdictionId, service_code: doc.service_code, ...fields, version: 1 })
      .returning(['id', 'version'])) as Array<{ id: number; version: number }>;
    serviceId = Number(row?.id);
    version = Number(row?.version);
  } else {
    serviceId = before.id;
    // A service edited for the first time since versioning began: keep what it was as the base version.
    const known = (await trx('service_versions').where('service_id', serviceId).first('id')) as unknown;
    if (!known && previous)
      await recordVersion(
        trx,
        serviceId,
        before.version,
        at,
        'system',
        ['state before the first recorded change'],
        previous,
      );
    const [row] = (await trx('services')
      .where('id', serviceId)
      .update({ ...fields, version: trx.raw('version + 1') })
      .returning(['version'])) as Array<{ version: number }>;
    version = Number(row?.version);
  }
  const attributesChanged =
    previous === null || JSON.stringify(previous.attributes) !== JSON.stringify(next.attributes);
  if (attributesChanged) {
    await trx('service_attributes').where('service_id', serviceId).delete();
    if (doc.attributes.length > 0)
      await trx('service_attributes').insert(
        doc.attributes.map((a) => ({
          service_id: serviceId,
          code: a.code,
          variable: a.variable,
          datatype: a.datatype,
          required: a.required,
          datatype_description: a.datatype_description,
          sort_order: a.order,
          description: a.description,
          values: JSON.stringify(a.values),
        })),
      );
  }
  await recordVersion(trx, serviceId, version, at, actor, changes, next);
  return { serviceCode: doc.service_code, version, changes };
}

export interface ServiceVersion {
  version: number;
  changed_at: Date;
  actor: string;
  summary: string;
  changes: string[];
  document: ServiceDoc;
}

export async function serviceVersions(knex: Knex, serviceId: number): Promise<ServiceVersion[]> {
  const rows = (await knex('service_versions')
    .where('service_id', serviceId)
    .orderBy('version', 'desc')
    .select('version', 'changed_at', 'actor', 'summary', 'changes', 'document')) as ServiceVersion[];
  return rows.map((r) => ({ ...r, version: Number(r.version), changed_at: new Date(r.changed_at) }));
}

/** Requests (or batch tokens) refer to the service: it can only be deactivated, never deleted. */
export async function serviceHasRequests(knex: Knex, serviceId: number): Promise<boolean> {
  const request = await knex('service_requests').where('service_id', serviceId).first('id');
  const token = await knex('request_tokens').where('service_id', serviceId).first('token');
  return request !== undefined || token !== undefined;
}

/** Deletes a service nothing refers to (its attributes, levels, rules and versions go with it). */
export async function deleteService(knex: Knex, serviceId: number): Promise<void> {
  await knex('services').where('id', serviceId).delete();
}
