import type { Knex } from 'knex';
import { load, type LoadingCache } from '../cache';
import { notFound, badRequest, quoted } from '../core';
import { catalogFingerprint, listJurisdictions, loadServices } from './repository';
import type { Jurisdiction, Service } from './types';

export interface CatalogEntry {
  services: Service[];
  byCode: Map<string, Service>;
  fingerprint: string;
}

/** The catalog's caches, built in `createContext`; their TTL is how often an entry is re-checked. */
export interface CatalogCaches {
  jurisdictions: LoadingCache<'all', Jurisdiction[]>;
  services: LoadingCache<string, CatalogEntry>;
}

/**
 * The catalog held in memory (GET services is served without a query). Another process may edit it, so
 * a stale entry is re-checked against a cheap fingerprint query and kept when unchanged; edits made
 * through this process call `invalidate` and show at once.
 */
export class Catalog {
  constructor(
    private readonly knex: Knex,
    private readonly caches: CatalogCaches,
    /** DEFAULT_JURISDICTION: the jurisdiction of calls without jurisdiction_id on a server hosting several. */
    private readonly defaultJurisdiction: string | null = null,
  ) {}

  /** Services of one jurisdiction, or everything (jurisdictions too) without one. */
  invalidate(jurisdictionId?: string): void {
    if (jurisdictionId !== undefined) {
      this.caches.services.delete(jurisdictionId);
      return;
    }
    this.caches.jurisdictions.clear();
    this.caches.services.clear();
  }

  listJurisdictions(): Promise<Jurisdiction[]> {
    return load(this.caches.jurisdictions, 'all', () => listJurisdictions(this.knex));
  }

  /**
   * OPEN311.md: with one jurisdiction, `jurisdiction_id` is optional but must match when given; with
   * several it is required (unless DEFAULT_JURISDICTION names one). Unknown is 404, missing (when
   * required) 400 listing the valid ids.
   */
  async resolveJurisdiction(jurisdictionId: string | undefined): Promise<Jurisdiction> {
    const list = await this.listJurisdictions();
    if (jurisdictionId === undefined) {
      if (list.length === 0) throw notFound('No jurisdiction is configured on this server yet.');
      const fallback = fallbackOf(list, this.defaultJurisdiction);
      if (fallback) return fallback;
      throw badRequest(`jurisdiction_id is required: this server hosts ${list.map((j) => j.id).join(', ')}.`);
    }
    const found = list.find((j) => sameJurisdictionId(j.id, jurisdictionId));
    if (!found) throw notFound(`jurisdiction_id "${quoted(jurisdictionId)}" is not served here.`);
    return found;
  }

  /** The jurisdiction of a call that names none (the only one, or DEFAULT_JURISDICTION), else null. */
  async fallbackJurisdiction(): Promise<Jurisdiction | null> {
    return fallbackOf(await this.listJurisdictions(), this.defaultJurisdiction);
  }

  async services(jurisdictionId: string): Promise<Service[]> {
    return (await this.entry(jurisdictionId)).services;
  }

  async service(jurisdictionId: string, serviceCode: string): Promise<Service | undefined> {
    return (await this.entry(jurisdictionId)).byCode.get(serviceCode);
  }

  private entry(jurisdictionId: string): Promise<CatalogEntry> {
    return load(this.caches.services, jurisdictionId, async (stale) => {
      const fingerprint = await catalogFingerprint(this.knex, jurisdictionId);
      if (stale && stale.fingerprint === fingerprint) return stale;
      const services = await loadServices(this.knex, jurisdictionId);
      return { services, byCode: new Map(services.map((s) => [s.serviceCode, s])), fingerprint };
    });
  }
}

/**
 * Whether two jurisdiction ids name the same jurisdiction: ids are unique without regard to case
 * (migration 20261206100001), so `Boston.gov` names `boston.gov` wherever an id is compared (a request's
 * jurisdiction_id, a key's binding, DEFAULT_JURISDICTION).
 */
export function sameJurisdictionId(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

function fallbackOf(list: Jurisdiction[], defaultJurisdiction: string | null): Jurisdiction | null {
  if (list.length === 1) return list[0] as Jurisdiction;
  if (defaultJurisdiction === null) return null;
  return list.find((j) => sameJurisdictionId(j.id, defaultJurisdiction)) ?? null;
}
