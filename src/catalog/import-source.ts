/**
 * One entry for every catalog import (CLI and admin API alike): the server's JSON format, a CSV of
 * services, or a live Open311 endpoint; validated as one document, then planned or applied (issue #14).
 */
import type { Knex } from 'knex';
import type { OutboundFetch } from '../core';
import { catalogFromCsv, catalogFromOpen311 } from './csv-source';
import { fetchOpen311Services, type RemoteFormat } from './open311-source';
import { applyCatalog, checkCatalogDoc, exportCatalog, type CatalogPlan } from './sync';

export type CatalogSource =
  | { kind: 'json'; document: unknown }
  | { kind: 'csv'; text: string }
  | {
      kind: 'open311';
      url: string;
      format?: RemoteFormat;
      remoteJurisdiction?: string;
      onProgress?: (done: number, total: number) => void;
      fetch?: OutboundFetch;
    };

export async function importCatalogFrom(
  knex: Knex,
  jurisdictionId: string,
  source: CatalogSource,
  opts: { dryRun: boolean; actor: string; at: Date },
): Promise<CatalogPlan> {
  let raw: unknown;
  if (source.kind === 'json') raw = source.document;
  else if (source.kind === 'csv')
    raw = catalogFromCsv(source.text, await exportCatalog(knex, jurisdictionId));
  else {
    const remote = await fetchOpen311Services(source.url, {
      format: source.format,
      remoteJurisdiction: source.remoteJurisdiction,
      onProgress: source.onProgress,
      fetch: source.fetch,
    });
    raw = catalogFromOpen311(remote, await exportCatalog(knex, jurisdictionId));
  }
  const doc = await checkCatalogDoc(knex, jurisdictionId, raw);
  return applyCatalog(knex, jurisdictionId, doc, opts);
}
