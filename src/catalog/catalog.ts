import type { Knex } from 'knex';
import { notFound, badRequest } from '../http/errors';
import { catalogFingerprint, listJurisdictions, loadServices } from './repository';
import type { Jurisdiction, Service } from './types';

interface Entry {
  services: Service[];
  byCode: Map<string, Service>;
  fingerprint: string;
  checkedAt: number;
}

/**
 * The catalog held in memory (GET services is served without a query). Another process may edit it, so
 * an entry is re-checked against a cheap fingerprint query at most every `revalidateMs`; edits made
 * through this process call `invalidate` and show at once.
 */
export class Catalog {
  private jurisdictions: { list: Jurisdiction[]; at: number } | null = null;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
    private readonly revalidateMs = 5000,
    /** DEFAULT_JURISDICTION: the jurisdiction of calls without jurisdiction_id on a server hosting several. */
    private readonly defaultJurisdiction: string | null = null,
  ) {}

  invalidate(): void {
    this.jurisdictions = null;
    this.entries.clear();
  }

  async listJurisdictions(): Promise<Jurisdiction[]> {
    if (!this.jurisdictions || this.now() - this.jurisdictions.at > this.revalidateMs) {
      this.jurisdictions = { list: await listJurisdictions(this.knex), at: this.now() };
    }
    return this.jurisdictions.list;
  }

  /**
   * OPEN311.md: with one jurisdiction, `jurisdiction_id` is optional but must match when given; with
   * several it is required (unless DEFAULT_JURISDICTION names one). Unknown is 404, missing (when
   * required) 400 listing the valid ids.
   */
  async resolveJurisdiction(jurisdictionId: string | undefined): Promise<Jurisdiction> {
    const list = await this.listJurisdictions();
    if (jurisdictionId === undefined) {
      if (list.length === 1) return list[0] as Jurisdiction;
      if (list.length === 0) throw notFound('No jurisdiction is configured on this server yet.');
      const fallback = list.find((j) => j.id === this.defaultJurisdiction);
      if (fallback) return fallback;
      throw badRequest(`jurisdiction_id is required: this server hosts ${list.map((j) => j.id).join(', ')}.`);
    }
    const found = list.find((j) => j.id === jurisdictionId);
    if (!found) throw notFound(`jurisdiction_id "${jurisdictionId}" is not served here.`);
    return found;
  }

  async services(jurisdictionId: string): Promise<Service[]> {
    return (await this.entry(jurisdictionId)).services;
  }

  async service(jurisdictionId: string, serviceCode: string): Promise<Service | undefined> {
    return (await this.entry(jurisdictionId)).byCode.get(serviceCode);
  }

  private async entry(jurisdictionId: string): Promise<Entry> {
    const cached = this.entries.get(jurisdictionId);
    if (cached && this.now() - cached.checkedAt <= this.revalidateMs) return cached;
    const fingerprint = await catalogFingerprint(this.knex, jurisdictionId);
    if (cached && cached.fingerprint === fingerprint) {
      cached.checkedAt = this.now();
      return cached;
    }
    const services = await loadServices(this.knex, jurisdictionId);
    const entry: Entry = {
      services,
      byCode: new Map(services.map((s) => [s.serviceCode, s])),
      fingerprint,
      checkedAt: this.now(),
    };
    this.entries.set(jurisdictionId, entry);
    return entry;
  }
}
