/**
 * Loads the demo city (Boston, from real open data; see seeds/demo/boston/README.md) into an empty
 * database: jurisdiction, catalog, boundary, districts and address points through the same importers a
 * city uses, then a few hundred real 2015 requests shifted to fall within the last 60 days.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createJurisdiction, loadServices } from '../catalog';
import { importCatalog, type CatalogInput } from '../catalog';
import type { Jurisdiction } from '../catalog';
import { readAddressCsv } from '../geo';
import {
  importAddresses,
  importBoundary,
  importDistricts,
  importIntersections,
  type FeatureCollection,
  type IntersectionRecord,
} from '../geo';
import { fromRoot } from '../paths';
import { defaultCalendar } from '../sla';
import { createRule, DEFAULT_LADDER } from '../escalation';
import { readCalendar, saveCalendar } from '../sla';
import {
  assertLayerNameFree,
  computeExpected,
  describeResponseLevel,
  importRequests,
  isDetailedStatus,
  statusOf,
  type ImportedRequest,
} from '../requests';

export const DEMO_DIR = fromRoot('seeds/demo/boston');
export const DISTRICT_LAYERS = ['ward', 'council_district', 'police_district', 'neighborhood'];

/** One demo request in seeds/demo/boston/requests.json.gz (written by scripts/build-demo-city.ts). */
export interface DemoRequest {
  source_case_id?: string;
  service_code: string;
  detailed_status: string;
  status_notes: string | null;
  description: string;
  address: string | null;
  zipcode: string | null;
  lat: number;
  long: number;
  channel: string;
  requested_offset_hours: number;
  closed_offset_hours: number | null;
}

const readJson = <T>(file: string): T => {
  const buf = fs.readFileSync(file);
  return JSON.parse((file.endsWith('.gz') ? zlib.gunzipSync(buf) : buf).toString('utf8')) as T;
};

export async function hasJurisdiction(knex: Knex): Promise<boolean> {
  return (await knex('jurisdictions').first('id')) !== undefined;
}

export interface DemoJurisdiction {
  id: string;
  name: string;
  time_zone: string;
  email?: string;
  phone?: string;
  website?: string;
}

const readJurisdiction = (dir: string) => readJson<DemoJurisdiction>(path.join(dir, 'jurisdiction.json'));

export async function loadDemoCity(knex: Knex, now: Date, logger?: Logger, dir = DEMO_DIR): Promise<void> {
  const place = await loadDemoPlace(knex, now, dir);
  const requests = await loadDemoRequests(knex, now, dir);
  logger?.info({ ...place, requests }, 'demo city loaded');
}

/**
 * Everything of the demo city that does not depend on the date: jurisdiction, catalog, boundary,
 * districts, address points, intersections, business calendar and escalation ladder. This is what the
 * pre-built demo database holds (src/demo/prebuilt.ts).
 */
export async function loadDemoPlace(
  knex: Knex,
  now: Date,
  dir = DEMO_DIR,
): Promise<{ jurisdiction: string; services: number; addresses: number; intersections: number }> {
  const j = readJurisdiction(dir);
  await createJurisdiction(knex, { ...j, timeZone: j.time_zone });
  const catalog = await importCatalog(knex, j.id, readJson<CatalogInput>(path.join(dir, 'catalog.json')));
  await importBoundary(knex, j.id, readJson<FeatureCollection>(path.join(dir, 'boundary.geojson.gz')));
  for (const layer of DISTRICT_LAYERS) {
    assertLayerNameFree(layer);
    await importDistricts(
      knex,
      j.id,
      layer,
      readJson<FeatureCollection>(path.join(dir, `districts-${layer}.geojson.gz`)),
    );
  }
  const addresses = await importAddresses(
    knex,
    j.id,
    readAddressCsv(fs.createReadStream(path.join(dir, 'addresses.csv.gz')).pipe(zlib.createGunzip())),
  );
  const intersections = await loadIntersections(knex, j.id, dir);
  await seedResponseLevels(knex, j.id, j.time_zone, now);
  return { jurisdiction: j.id, services: catalog.services, addresses: addresses.accepted, intersections };
}

/** The demo requests: a few hundred real 2015 requests, shifted to fall within the 60 days before `now`. */
export async function loadDemoRequests(knex: Knex, now: Date, dir = DEMO_DIR): Promise<number> {
  const j = readJurisdiction(dir);
  return importDemoRequests(
    knex,
    {
      id: j.id,
      name: j.name,
      timeZone: j.time_zone,
      email: null,
      phone: null,
      website: null,
      hasBoundary: true,
    },
    readJson<DemoRequest[]>(path.join(dir, 'requests.json.gz')),
    now,
  );
}

/**
 * The intersections layer derived from the city's 2015 intersection reports (src/demo/intersections-layer.ts),
 * so the demo places "Boylston & Dartmouth" at the city's own point; a demo directory without one is fine.
 */
async function loadIntersections(knex: Knex, jurisdictionId: string, dir: string): Promise<number> {
  const file = path.join(dir, 'intersections.json.gz');
  if (!fs.existsSync(file)) return 0;
  const rows =
    readJson<Array<{ street_a: string; street_b: string; zip: string | null; lat: number; long: number }>>(
      file,
    );
  const report = await importIntersections(
    knex,
    jurisdictionId,
    (async function* () {
      let line = 0;
      for (const r of rows) {
        const rec: IntersectionRecord = {
          streetA: r.street_a,
          streetB: r.street_b,
          zip: r.zip,
          lat: r.lat,
          long: r.long,
        };
        yield [++line, rec] as [number, IntersectionRecord];
      }
    })(),
    // Derived from reports: a handful name one street twice or lie just outside the boundary; skip those.
    { allowRejects: true },
  );
  return report.accepted;
}

/** US federal holidays in the business calendar, and the escalation ladder cities use (75/100/150%). */
async function seedResponseLevels(
  knex: Knex,
  jurisdictionId: string,
  timeZone: string,
  now: Date,
): Promise<void> {
  await saveCalendar(knex, jurisdictionId, defaultCalendar(timeZone), now);
  for (const step of DEFAULT_LADDER)
    await createRule(knex, jurisdictionId, { serviceId: null, agencyId: null, ...step }, now);
}

async function importDemoRequests(
  knex: Knex,
  j: Jurisdiction,
  list: DemoRequest[],
  now: Date,
): Promise<number> {
  const services = new Map((await loadServices(knex, j.id)).map((s) => [s.serviceCode, s]));
  const calendar = await readCalendar(knex, j.id, j.timeZone);
  const hours = (h: number) => new Date(now.getTime() - h * 3_600_000);
  const rows: ImportedRequest[] = [];
  for (const r of list) {
    const service = services.get(r.service_code);
    if (!service || !isDetailedStatus(r.detailed_status)) continue;
    const requestedAt = hours(r.requested_offset_hours);
    const closedAt =
      statusOf(r.detailed_status) === 'closed' && r.closed_offset_hours !== null
        ? hours(r.closed_offset_hours)
        : null;
    const expectedAt = computeExpected(service, calendar, requestedAt);
    rows.push({
      serviceId: service.id,
      agencyId: service.agency?.id ?? null,
      detailedStatus: r.detailed_status,
      statusNotes: r.status_notes,
      description: r.description,
      serviceNotice: describeResponseLevel(service, expectedAt, j.timeZone),
      requestedAt,
      closedAt,
      expectedAt,
      address: r.address,
      zipcode: r.zipcode,
      point: { lat: r.lat, long: r.long },
      channel: r.channel,
    });
  }
  return knex.transaction((trx) => importRequests(trx, j.id, rows, 'demo data', now));
}
