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
import { loadServices } from '../catalog/repository';
import { importCatalog, type CatalogInput } from '../catalog/import';
import type { Jurisdiction } from '../catalog';
import { readAddressCsv } from '../geo/address-csv';
import { importAddresses, importBoundary, importDistricts, type FeatureCollection } from '../geo/import';
import { SRID } from '../geo/postgis';
import { fromRoot } from '../paths';
import { defaultCalendar } from '../sla';
import { DEFAULT_LADDER } from '../sla/escalation';
import { readCalendar } from '../sla/calendar-store';
import { computeExpected, describeResponseLevel } from '../requests/response-level';
import { isDetailedStatus, statusOf } from '../requests/statuses';

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

export async function loadDemoCity(knex: Knex, now: Date, logger?: Logger, dir = DEMO_DIR): Promise<void> {
  const j = readJson<{
    id: string;
    name: string;
    time_zone: string;
    email?: string;
    phone?: string;
    website?: string;
  }>(path.join(dir, 'jurisdiction.json'));
  await knex('jurisdictions').insert({
    id: j.id,
    name: j.name,
    time_zone: j.time_zone,
    email: j.email ?? null,
    phone: j.phone ?? null,
    website: j.website ?? null,
  });
  const catalog = await importCatalog(knex, j.id, readJson<CatalogInput>(path.join(dir, 'catalog.json')));
  await importBoundary(knex, j.id, readJson<FeatureCollection>(path.join(dir, 'boundary.geojson.gz')));
  for (const layer of DISTRICT_LAYERS) {
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
  await seedResponseLevels(knex, j.id, j.time_zone);
  const requests = await loadDemoRequests(
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
  logger?.info(
    { jurisdiction: j.id, services: catalog.services, addresses: addresses.accepted, requests },
    'demo city loaded',
  );
}

/** US federal holidays in the business calendar, and the escalation ladder cities use (75/100/150%). */
async function seedResponseLevels(knex: Knex, jurisdictionId: string, timeZone: string): Promise<void> {
  const cal = defaultCalendar(timeZone);
  await knex('business_calendars').insert({
    jurisdiction_id: jurisdictionId,
    working_hours: JSON.stringify(cal.workingHours),
    holidays: JSON.stringify(cal.holidays),
  });
  await knex('escalation_rules').insert(
    DEFAULT_LADDER.map((step) => ({
      jurisdiction_id: jurisdictionId,
      at_fraction: step.atFraction,
      action: step.action,
      notify: step.notify,
      description: step.description,
    })),
  );
}

async function loadDemoRequests(
  knex: Knex,
  j: Jurisdiction,
  list: DemoRequest[],
  now: Date,
): Promise<number> {
  const services = new Map((await loadServices(knex, j.id)).map((s) => [s.serviceCode, s]));
  const calendar = await readCalendar(knex, j.id, j.timeZone);
  const hours = (h: number) => new Date(now.getTime() - h * 3_600_000);
  let count = 0;
  await knex.transaction(async (trx) => {
    for (const r of list) {
      const service = services.get(r.service_code);
      if (!service || !isDetailedStatus(r.detailed_status)) continue;
      const requestedAt = hours(r.requested_offset_hours);
      const closedAt =
        statusOf(r.detailed_status) === 'closed' && r.closed_offset_hours !== null
          ? hours(r.closed_offset_hours)
          : null;
      const expectedAt = computeExpected(service, calendar, requestedAt);
      const [row] = (await trx('service_requests')
        .insert({
          next_escalation_at: closedAt === null && expectedAt ? now : null,
          jurisdiction_id: j.id,
          service_id: service.id,
          agency_id: service.agency?.id ?? null,
          detailed_status: r.detailed_status,
          status_notes: r.status_notes,
          description: r.description,
          service_notice: describeResponseLevel(service, expectedAt, j.timeZone),
          requested_at: requestedAt,
          updated_at: closedAt ?? requestedAt,
          closed_at: closedAt,
          expected_at: expectedAt,
          address: r.address,
          zipcode: r.zipcode,
          location: trx.raw(`ST_SetSRID(ST_MakePoint(?::float8, ?::float8), ${SRID})::geography`, [
            r.long,
            r.lat,
          ]),
          channel: r.channel,
        })
        .returning('id')) as Array<{ id: number }>;
      const history: Array<Record<string, unknown>> = [
        {
          occurred_at: requestedAt,
          kind: 'created',
          public: false,
          detailed_status: 'open',
          summary: `Request received (${r.channel})`,
        },
      ];
      if (closedAt) {
        history.push({
          occurred_at: closedAt,
          kind: 'status_change',
          public: true,
          detailed_status: r.detailed_status,
          summary: `Status changed to ${r.detailed_status}`,
          description: r.status_notes,
        });
      }
      await trx('request_history').insert(
        history.map((h) => ({
          request_id: row?.id,
          jurisdiction_id: j.id,
          actor_type: 'system',
          actor_label: 'demo data',
          channel: r.channel,
          ...h,
        })),
      );
      count += 1;
    }
    // Districts and nearest addresses for all demo requests at once.
    await trx.raw(
      `UPDATE service_requests r SET districts = coalesce((
         SELECT jsonb_object_agg(d.layer, d.name) FROM districts d
         WHERE d.jurisdiction_id = r.jurisdiction_id AND ST_Intersects(d.geom, r.location::geometry)), '{}'::jsonb)
       WHERE r.jurisdiction_id = ?`,
      [j.id],
    );
    await trx.raw(
      `UPDATE service_requests r SET address_id = (
         SELECT p.id FROM address_points p WHERE p.jurisdiction_id = r.jurisdiction_id
         AND ST_DWithin(p.location, r.location, 75) ORDER BY p.location <-> r.location LIMIT 1)
       WHERE r.jurisdiction_id = ? AND r.address_id IS NULL`,
      [j.id],
    );
  });
  return count;
}
