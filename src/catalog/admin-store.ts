/**
 * Jurisdictions and their departments (agencies) as the admin API edits them (issue #14). Refusals are
 * 409s that say why: a jurisdiction with requests, a department with services or requests.
 */
import type { Knex } from 'knex';
import { AppError, quoted } from '../core';
import type { AgencyDoc, JurisdictionDoc } from './document';

const JURISDICTION_COLUMNS = ['id', 'name', 'time_zone', 'email', 'phone', 'website', 'language'] as const;

/** Rows a delete/update touched: a number from pg, a result object from the embedded driver. */
const affected = (r: unknown): number =>
  typeof r === 'number' ? r : Number((r as { rowCount?: number } | null)?.rowCount ?? 0);

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

export async function listJurisdictionDocs(knex: Knex): Promise<JurisdictionDoc[]> {
  return (await knex('jurisdictions')
    .select(...JURISDICTION_COLUMNS)
    .orderBy('id')) as JurisdictionDoc[];
}

export async function jurisdictionDoc(knex: Knex, id: string): Promise<JurisdictionDoc | null> {
  return (
    ((await knex('jurisdictions')
      .where('id', id)
      .first(...JURISDICTION_COLUMNS)) as JurisdictionDoc) ?? null
  );
}

/**
 * The jurisdiction `id` must exist: a 404 naming the known ones (the sentence `geo import` gives), for the
 * CLI commands that write rows pointing at it (catalog import, api-keys create), where a typo would
 * otherwise surface as a foreign-key violation.
 */
export async function requireJurisdiction(knex: Knex, id: string): Promise<void> {
  if (await knex('jurisdictions').where('id', id).first('id')) return;
  const known = (await knex('jurisdictions').orderBy('id').limit(10).pluck('id')) as string[];
  throw new AppError(
    404,
    `There is no jurisdiction "${quoted(id)}" (${known.length ? `known: ${known.join(', ')}` : 'none yet: create one first'}).`,
  );
}

/**
 * A new jurisdiction, or a 409 naming the one that holds its id: ids are compared without regard to case
 * (`BOSTON.gov` beside `boston.gov` is refused; the unique index on lower(id) holds it under a race too).
 */
export async function insertJurisdiction(knex: Knex, doc: JurisdictionDoc): Promise<void> {
  const clash = async (): Promise<AppError | null> => {
    const row = (await knex('jurisdictions').whereRaw('lower(id) = lower(?)', [doc.id]).first('id')) as
      { id: string } | undefined;
    if (!row) return null;
    return new AppError(
      409,
      row.id === doc.id
        ? `jurisdiction "${doc.id}" exists already.`
        : `jurisdiction "${quoted(doc.id)}" differs only in case from "${row.id}", which exists already: ` +
            'jurisdiction ids are compared without regard to case.',
    );
  };
  const before = await clash();
  if (before) throw before;
  try {
    await knex('jurisdictions').insert({ ...doc });
  } catch (err) {
    if (isUniqueViolation(err))
      throw (await clash()) ?? new AppError(409, `jurisdiction "${doc.id}" exists already.`);
    throw err;
  }
}

/**
 * What the operator is told when a jurisdiction is added (issue: a second city breaks the first one's apps
 * silently). With one jurisdiction, `jurisdiction_id` is optional; with two it is required unless
 * DEFAULT_JURISDICTION names one, so the moment a second city is created, every call of the first
 * city's apps that names none becomes a 400 (or, with DEFAULT_JURISDICTION naming the new city, reads the
 * new city). `ids`: every jurisdiction now hosted, `created` among them.
 */
export function jurisdictionAddedWarnings(
  ids: readonly string[],
  created: string,
  defaultJurisdiction: string | null,
): string[] {
  const others = ids.filter((id) => id !== created);
  const first = others[0];
  if (others.length !== 1 || first === undefined || defaultJurisdiction === first) return [];
  const hosted = `This server now hosts 2 jurisdictions (${first}, ${created}).`;
  const keep = `To keep them working, set DEFAULT_JURISDICTION=${first} in the server's environment or .env and restart it, or have every app send jurisdiction_id (a key bound to its city also works).`;
  if (defaultJurisdiction === created)
    return [
      `${hosted} DEFAULT_JURISDICTION=${created}: GeoReport calls that name no jurisdiction_id, as ${first}'s existing apps and dashboard send them, now read and write ${created} instead of ${first}. ${keep}`,
    ];
  const unknownDefault =
    defaultJurisdiction === null
      ? ''
      : ` (DEFAULT_JURISDICTION=${defaultJurisdiction} names no jurisdiction of this server)`;
  return [
    `${hosted} GeoReport calls that name no jurisdiction_id, as ${first}'s existing apps and dashboard send them, now get 400 "jurisdiction_id is required"${unknownDefault}. ${keep}`,
  ];
}

export async function updateJurisdiction(knex: Knex, doc: JurisdictionDoc, at: Date): Promise<boolean> {
  const { id, ...fields } = doc;
  return (
    affected(
      await knex('jurisdictions')
        .where('id', id)
        .update({ ...fields, updated_at: at }),
    ) > 0
  );
}

/** Deletes a jurisdiction that has never had a request; its catalog, geography, keys and rules go with it. */
export async function deleteJurisdiction(knex: Knex, id: string): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const request = await trx('service_requests').where('jurisdiction_id', id).first('id');
    const token = await trx('request_tokens').where('jurisdiction_id', id).first('token');
    if (request || token)
      throw new AppError(
        409,
        `jurisdiction "${id}" has requests: it cannot be deleted (its requests are records).`,
      );
    return affected(await trx('jurisdictions').where('id', id).delete()) > 0;
  });
}

const AGENCY_COLUMNS = ['code', 'name', 'email', 'phone'] as const;

export async function listAgencyDocs(knex: Knex, jurisdictionId: string): Promise<AgencyDoc[]> {
  return (await knex('agencies')
    .where('jurisdiction_id', jurisdictionId)
    .select(...AGENCY_COLUMNS)
    .orderBy('code')) as AgencyDoc[];
}

export async function agencyRow(
  knex: Knex,
  jurisdictionId: string,
  code: string,
): Promise<(AgencyDoc & { id: number }) | null> {
  const row = (await knex('agencies')
    .where({ jurisdiction_id: jurisdictionId, code })
    .first('id', ...AGENCY_COLUMNS)) as (AgencyDoc & { id: number }) | undefined;
  return row ? { ...row, id: Number(row.id) } : null;
}

export async function insertAgency(knex: Knex, jurisdictionId: string, doc: AgencyDoc): Promise<void> {
  try {
    await knex('agencies').insert({ jurisdiction_id: jurisdictionId, ...doc });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new AppError(409, `department "${doc.code}" exists already in ${jurisdictionId}.`);
    throw err;
  }
}

/** Adds or updates departments by code (catalog import); returns the codes added and changed. */
export async function upsertAgencies(
  trx: Knex.Transaction,
  jurisdictionId: string,
  docs: AgencyDoc[],
): Promise<void> {
  for (const a of docs)
    await trx('agencies')
      .insert({ jurisdiction_id: jurisdictionId, ...a })
      .onConflict(['jurisdiction_id', 'code'])
      .merge(['name', 'email', 'phone']);
}

export async function updateAgency(knex: Knex, jurisdictionId: string, doc: AgencyDoc): Promise<boolean> {
  const { code, ...fields } = doc;
  return affected(await knex('agencies').where({ jurisdiction_id: jurisdictionId, code }).update(fields)) > 0;
}

/** What still refers to a department: its services and its requests. */
export async function agencyUse(
  knex: Knex,
  agencyId: number,
): Promise<{ services: number; requests: number }> {
  const count = async (table: string) =>
    Number(
      ((await knex(table).where('agency_id', agencyId).count({ n: '*' })) as Array<{ n: string }>)[0]?.n ?? 0,
    );
  return { services: await count('services'), requests: await count('service_requests') };
}

export async function deleteAgency(knex: Knex, jurisdictionId: string, code: string): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const row = await agencyRow(trx, jurisdictionId, code);
    if (!row) return false;
    const use = await agencyUse(trx, row.id);
    if (use.services > 0 || use.requests > 0)
      throw new AppError(
        409,
        `department "${code}" has ${use.services} service(s) and ${use.requests} request(s): rename it, or merge it into another (POST .../agencies/${code}/merge).`,
      );
    await trx('agencies').where('id', row.id).delete();
    return true;
  });
}

/** The last step of a merge, once its services and requests have moved. */
export async function removeMergedAgency(trx: Knex.Transaction, agencyId: number): Promise<void> {
  await trx('agencies').where('id', agencyId).delete();
}
