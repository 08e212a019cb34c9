/**
 * One entry for every catalog import (CLI and admin API alike): the server's JSON format, a GeoReport
 * services file (the JSON array or XML every Open311 server publishes), a CSV of services, or a live
 * Open311 endpoint; validated as one document, then planned or applied (issue #14).
 */
import type { Knex } from 'knex';
import { AppError, type OutboundFetch } from '../core';
import { catalogFromOpen311, csvCatalog } from './csv-source';
import { CATALOG_SHAPES, type CatalogPlaces } from './document';
import {
  fetchOpen311Services,
  geoReportServiceDocs,
  readGeoReportServices,
  type RemoteFormat,
} from './open311-source';
import { applyCatalog, checkCatalogDoc, exportCatalog, type ApplyOptions, type CatalogPlan } from './sync';

export type CatalogSource =
  /** The export format ({agencies, services}), or a GeoReport services array (a services.json file). */
  | { kind: 'json'; document: unknown }
  | { kind: 'csv'; text: string }
  /** A GeoReport services.xml file. */
  | { kind: 'xml'; text: string }
  | {
      kind: 'open311';
      url: string;
      format?: RemoteFormat;
      remoteJurisdiction?: string;
      onProgress?: (done: number, total: number) => void;
      fetch?: OutboundFetch;
    };

type Obj = Record<string, unknown>;

/**
 * A services file laid over the stored catalog like a live server's list, except that a file carries no
 * service definitions: a listed service keeps its stored attributes (unless the entry has `attributes`).
 */
function fromServicesFile(
  entries: Obj[],
  current: Awaited<ReturnType<typeof exportCatalog>>,
): { raw: unknown; places: CatalogPlaces; warnings: string[] } {
  // As `{"services": []}` would, an empty list would deactivate every service: surely not a real file.
  if (entries.length === 0)
    throw new AppError(
      400,
      'The services file lists no services (importing it would deactivate every service).',
    );
  const docs = geoReportServiceDocs(entries);
  const stored = new Set(current.services.map((s) => s.service_code));
  const withoutDefinition = docs
    .filter((d) => d.metadata === true && d.attributes === undefined && !stored.has(d.service_code as string))
    .map((d) => d.service_code as string);
  for (const d of docs) delete d.metadata;
  const warnings =
    withoutDefinition.length > 0
      ? [
          `${withoutDefinition.length} new service(s) have metadata=true, but a services file carries no ` +
            `service definitions, so they are imported without attributes (${withoutDefinition.slice(0, 10).join(', ')}` +
            `${withoutDefinition.length > 10 ? ', …' : ''}). Import from the live server (from_open311) to read them.`,
        ]
      : [];
  return { raw: catalogFromOpen311(docs, current), places: {}, warnings };
}

export async function importCatalogFrom(
  knex: Knex,
  jurisdictionId: string,
  source: CatalogSource,
  opts: ApplyOptions,
): Promise<CatalogPlan> {
  let raw: unknown;
  let places: CatalogPlaces = {};
  let warnings: string[] = [];
  if (source.kind === 'json' && Array.isArray(source.document)) {
    const entries = source.document as unknown[];
    const bad = entries.findIndex((e) => typeof e !== 'object' || e === null || Array.isArray(e));
    if (bad !== -1)
      throw new AppError(
        400,
        `services[${bad}] must be a JSON object: a JSON array is read as a GeoReport services file (a list of {"service_code", "service_name", ...}); ${CATALOG_SHAPES}.`,
      );
    ({ raw, places, warnings } = fromServicesFile(
      entries as Obj[],
      await exportCatalog(knex, jurisdictionId),
    ));
  } else if (source.kind === 'json') raw = source.document;
  else if (source.kind === 'csv')
    ({ raw, places } = csvCatalog(source.text, await exportCatalog(knex, jurisdictionId)));
  else if (source.kind === 'xml')
    ({ raw, places, warnings } = fromServicesFile(
      await readGeoReportServices(source.text, 'xml'),
      await exportCatalog(knex, jurisdictionId),
    ));
  else {
    const remote = await fetchOpen311Services(source.url, {
      format: source.format,
      remoteJurisdiction: source.remoteJurisdiction,
      onProgress: source.onProgress,
      fetch: source.fetch,
    });
    raw = catalogFromOpen311(remote, await exportCatalog(knex, jurisdictionId));
  }
  const doc = await checkCatalogDoc(knex, jurisdictionId, raw, places);
  return applyCatalog(knex, jurisdictionId, doc, opts, warnings);
}
