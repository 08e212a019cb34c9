/**
 * A whole catalog in and out (issue #14). Import compares the document with what is stored and says what
 * it will add, change and deactivate; applied, it writes all of it in one transaction or nothing. A
 * service absent from the document is deactivated, never deleted (its requests keep it). Departments are
 * added and updated, never removed by an import. Export is the same format: re-importing it changes nothing.
 */
import type { Knex } from 'knex';
import { AppError } from '../core';
import { listAgencyDocs, upsertAgencies } from './admin-store';
import { Findings, parseCatalog, type AgencyDoc, type CatalogDoc, type CatalogPlaces } from './document';
import { diffService } from './diff';
import { guardPublishing, type MadePublic } from './publishing';
import { assertLevelsReachable } from './response-levels';
import { loadServices } from './repository';
import { agencyIds, saveService, serviceDocOf } from './service-store';

export interface CatalogPlan {
  agencies: { added: string[]; changed: string[] };
  services: {
    added: string[];
    changed: Array<{ service_code: string; changes: string[] }>;
    deactivated: string[];
    unchanged: number;
  };
  /**
   * Private services (keyword "private") the import makes public, with how many requests each holds: those
   * requests, personal text included, would appear in every public list and export. An import that has
   * any is refused unless `publishPrivate` confirms it; a dry run lists them (and says so in `warnings`).
   * A private service without requests publishes nothing and is not listed.
   */
  made_public: MadePublic[];
  /** What the operator should read before applying: private services made public, files without definitions. */
  warnings: string[];
  applied: boolean;
}

export interface ApplyOptions {
  dryRun: boolean;
  actor: string;
  at: Date;
  /** The caller confirms that private services this import makes public may be published. */
  publishPrivate?: boolean;
}

export async function exportCatalog(knex: Knex, jurisdictionId: string): Promise<CatalogDoc> {
  const services = await loadServices(knex, jurisdictionId);
  return {
    agencies: await listAgencyDocs(knex, jurisdictionId),
    services: services.map(serviceDocOf),
  };
}

/** Validates a raw document against the jurisdiction's departments; a 400 naming every problem. */
export async function checkCatalogDoc(
  knex: Knex,
  jurisdictionId: string,
  raw: unknown,
  places: CatalogPlaces = {},
): Promise<CatalogDoc> {
  const known = (await listAgencyDocs(knex, jurisdictionId)).map((a) => a.code);
  const f = new Findings();
  const doc = parseCatalog(raw, f, known, places);
  if (f.list.length > 0) throw new AppError(400, f.list);
  return doc;
}

const sameAgency = (a: AgencyDoc, b: AgencyDoc) =>
  a.name === b.name && (a.email ?? null) === (b.email ?? null) && (a.phone ?? null) === (b.phone ?? null);

export async function applyCatalog(
  knex: Knex,
  jurisdictionId: string,
  doc: CatalogDoc,
  opts: ApplyOptions,
  warnings: string[] = [],
): Promise<CatalogPlan> {
  const run = async (trx: Knex.Transaction): Promise<CatalogPlan> => {
    const agencies = new Map((await listAgencyDocs(trx, jurisdictionId)).map((a) => [a.code, a]));
    const plan: CatalogPlan = {
      agencies: { added: [], changed: [] },
      services: { added: [], changed: [], deactivated: [], unchanged: 0 },
      made_public: [],
      warnings: [...warnings],
      applied: !opts.dryRun,
    };
    for (const a of doc.agencies) {
      const old = agencies.get(a.code);
      if (!old) plan.agencies.added.push(a.code);
      else if (!sameAgency(old, a)) plan.agencies.changed.push(a.code);
    }
    const stored = new Map((await loadServices(trx, jurisdictionId)).map((s) => [s.serviceCode, s]));
    for (const s of doc.services) {
      const before = stored.get(s.service_code);
      const changes = diffService(before ? serviceDocOf(before) : null, s);
      if (!before) plan.services.added.push(s.service_code);
      else if (changes.length > 0) plan.services.changed.push({ service_code: s.service_code, changes });
      else plan.services.unchanged += 1;
    }
    const listed = new Set(doc.services.map((s) => s.service_code));
    const retired = [...stored.values()].filter((s) => !listed.has(s.serviceCode) && s.active);
    plan.services.deactivated = retired.map((s) => s.serviceCode);

    // A private service made public publishes its requests: refused unless confirmed (publishing.ts).
    const { madePublic, sentences } = await guardPublishing(
      trx,
      doc.services.map((s) => ({ before: stored.get(s.service_code), after: s })),
      { by: 'import', confirmed: opts.dryRun || opts.publishPrivate === true },
    );
    plan.made_public = madePublic;
    plan.warnings.push(...sentences);
    // A level the city's business calendar does not reach is refused on a dry run too (saveService checks
    // each again as it writes).
    await assertLevelsReachable(
      trx,
      jurisdictionId,
      doc.services
        .filter((s) => {
          const was = stored.get(s.service_code)?.sla;
          return was?.value !== s.response_level?.value || was?.unit !== s.response_level?.unit;
        })
        .map((s) => ({ where: `service ${s.service_code}: response_level`, level: s.response_level })),
      opts.at,
    );
    if (opts.dryRun) return plan;

    const changedAgencies = doc.agencies.filter(
      (a) => plan.agencies.added.includes(a.code) || plan.agencies.changed.includes(a.code),
    );
    await upsertAgencies(trx, jurisdictionId, changedAgencies);
    const ids = await agencyIds(trx, jurisdictionId);
    for (const s of doc.services)
      await saveService(trx, jurisdictionId, stored.get(s.service_code) ?? null, s, ids, opts.actor, opts.at);
    for (const s of retired)
      await saveService(
        trx,
        jurisdictionId,
        s,
        { ...serviceDocOf(s), active: false },
        ids,
        opts.actor,
        opts.at,
      );
    return plan;
  };
  return opts.dryRun ? run(knex as Knex.Transaction) : knex.transaction(run);
}
