import type { Knex } from 'knex';
import { canonicalTimeZone } from '../sla';
import type {
  Agency,
  Datatype,
  Jurisdiction,
  Service,
  ServiceAttribute,
  ServiceType,
  SlaUnit,
} from './types';

interface JurisdictionRow {
  id: string;
  name: string;
  time_zone: string;
  email: string | null;
  phone: string | null;
  website: string | null;
  has_boundary: boolean;
}

export async function listJurisdictions(knex: Knex): Promise<Jurisdiction[]> {
  const rows: JurisdictionRow[] = await knex('jurisdictions')
    .select(
      'id',
      'name',
      'time_zone',
      'email',
      'phone',
      'website',
      knex.raw('boundary IS NOT NULL AS has_boundary'),
    )
    .orderBy('id');
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    timeZone: r.time_zone,
    email: r.email,
    phone: r.phone,
    website: r.website,
    hasBoundary: r.has_boundary,
  }));
}

interface ServiceRow {
  id: number;
  jurisdiction_id: string;
  service_code: string;
  service_name: string;
  description: string;
  type: ServiceType;
  keywords: string[];
  groups: string[];
  agency_id: number | null;
  agency_code: string | null;
  agency_name: string | null;
  sla_value: number | null;
  sla_unit: SlaUnit | null;
  is_private: boolean;
  active: boolean;
  version: number;
  residents_can_reopen: boolean;
}

interface AttributeRow {
  service_id: number;
  code: string;
  variable: boolean;
  datatype: Datatype;
  required: boolean;
  datatype_description: string | null;
  sort_order: number;
  description: string;
  values: Array<{ key: string; name: string }>;
}

/** The whole catalog of one jurisdiction (hundreds to a few thousand services: held in memory). */
export async function loadServices(knex: Knex, jurisdictionId: string): Promise<Service[]> {
  const rows: ServiceRow[] = await knex('services as s')
    .leftJoin('agencies as a', 'a.id', 's.agency_id')
    .where('s.jurisdiction_id', jurisdictionId)
    .select(
      's.id',
      's.jurisdiction_id',
      's.service_code',
      's.service_name',
      's.description',
      's.type',
      's.keywords',
      's.groups',
      's.agency_id',
      'a.code as agency_code',
      'a.name as agency_name',
      's.sla_value',
      's.sla_unit',
      's.is_private',
      's.active',
      's.version',
      's.residents_can_reopen',
    )
    .orderBy('s.service_code');
  const attributes: AttributeRow[] = await knex('service_attributes as at')
    .join('services as s', 's.id', 'at.service_id')
    .where('s.jurisdiction_id', jurisdictionId)
    .select('at.*')
    .orderBy([{ column: 'at.service_id' }, { column: 'at.sort_order' }, { column: 'at.code' }]);
  const levelRows = (await knex('service_response_levels as l')
    .join('services as s', 's.id', 'l.service_id')
    .where('s.jurisdiction_id', jurisdictionId)
    .select('l.service_id', 'l.priority', 'l.value', 'l.unit')) as Array<{
    service_id: number;
    priority: string;
    value: number;
    unit: SlaUnit;
  }>;
  const levels = new Map<number, NonNullable<Service['levels']>>();
  for (const l of levelRows) {
    const forService = levels.get(Number(l.service_id)) ?? {};
    forService[l.priority] = { value: Number(l.value), unit: l.unit };
    levels.set(Number(l.service_id), forService);
  }
  const byService = new Map<number, ServiceAttribute[]>();
  for (const a of attributes) {
    const list = byService.get(Number(a.service_id)) ?? [];
    list.push({
      code: a.code,
      variable: a.variable,
      datatype: a.datatype,
      required: a.required,
      datatypeDescription: a.datatype_description,
      order: a.sort_order,
      description: a.description,
      values: a.values ?? [],
    });
    byService.set(Number(a.service_id), list);
  }
  return rows.map((r) => ({
    id: Number(r.id),
    jurisdictionId: r.jurisdiction_id,
    serviceCode: r.service_code,
    serviceName: r.service_name,
    description: r.description,
    type: r.type,
    keywords: r.keywords,
    groups: r.groups,
    agency:
      r.agency_id === null
        ? null
        : ({ id: Number(r.agency_id), code: r.agency_code, name: r.agency_name } as Agency),
    sla:
      r.sla_value === null || r.sla_unit === null ? null : { value: Number(r.sla_value), unit: r.sla_unit },
    levels: levels.get(Number(r.id)) ?? {},
    isPrivate: r.is_private,
    active: r.active,
    version: r.version,
    attributes: byService.get(Number(r.id)) ?? [],
    residentsCanReopen: r.residents_can_reopen,
  }));
}

/** A cheap fingerprint of a jurisdiction's catalog: changes whenever any service is edited, added or removed. */
export async function catalogFingerprint(knex: Knex, jurisdictionId: string): Promise<string> {
  const row = (await knex('services')
    .where('jurisdiction_id', jurisdictionId)
    .first(
      knex.raw(
        "count(*)::text || ':' || coalesce(sum(version), 0)::text || ':' || coalesce(max(updated_at)::text, '') AS fp",
      ),
    )) as { fp: string } | undefined;
  return row?.fp ?? '';
}

/** A new jurisdiction (the demo loader; the admin API for cities). */
export async function createJurisdiction(
  knex: Knex,
  j: {
    id: string;
    name: string;
    timeZone: string;
    email?: string | null;
    phone?: string | null;
    website?: string | null;
  },
): Promise<void> {
  await knex('jurisdictions').insert({
    id: j.id,
    name: j.name,
    time_zone: canonicalTimeZone(j.timeZone) ?? j.timeZone,
    email: j.email ?? null,
    phone: j.phone ?? null,
    website: j.website ?? null,
  });
}

/** Sets a jurisdiction's boundary (geo's boundary import computes the geometry); false when it does not exist. */
export async function setJurisdictionBoundary(
  trx: Knex.Transaction,
  jurisdictionId: string,
  boundary: Knex.Raw,
): Promise<boolean> {
  const updated = await trx('jurisdictions')
    .where('id', jurisdictionId)
    .update({ boundary, updated_at: trx.fn.now() });
  return updated > 0;
}
