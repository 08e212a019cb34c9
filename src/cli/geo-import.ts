/**
 * `geo import --jurisdiction ID --layer boundary|addresses|intersections|districts:NAME FILE` (issues #5,
 * #19). All-or-nothing by default: any rejected row refuses the import (exit 1, the first rejects listed
 * with their lines) unless `--allow-rejects`; `--dry-run` validates and reports without writing;
 * `--replace` says what it replaces and needs a "y" on a terminal, or `--yes` without one. Every failure is
 * one sentence on stderr (no stack trace, no SQL) and exit code 1.
 */
import fs from 'node:fs';
import { Transform, pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Command } from 'commander';
import type { Database } from '../db';
import {
  ImportRefused,
  importLayerStream,
  layerNoun,
  parseLayer,
  type ImportReport,
  type LayerSpec,
} from '../geo';
import { assertLayerNameFree } from '../requests';
import type { CliIO } from './io';
import { createProgress } from './progress';

interface GeoImportOptions {
  jurisdiction: string;
  layer: string;
  srid?: string;
  replace?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  allowRejects?: boolean;
  nameProperty?: string;
  format?: 'geojson' | 'csv';
  colAddress?: string;
  colExternalId?: string;
  colHouseNumber?: string;
  colStreet?: string;
  colUnit?: string;
  colZip?: string;
  colLat?: string;
  colLong?: string;
}

/** A failure already explained in its message: printed on one line, exit code 1. */
export class CliFailure extends Error {
  override name = 'CliFailure';
}

/** The file, gunzipped when it ends in .gz, counting the bytes read from disk for the progress bar. */
function openFile(file: string): { stream: Readable; bytesRead: () => number } {
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const parts: NodeJS.ReadWriteStream[] = [count];
  if (file.endsWith('.gz')) parts.push(zlib.createGunzip());
  const stream = pipeline([fs.createReadStream(file), ...parts], () => undefined) as unknown as Readable;
  return { stream, bytesRead: () => bytes };
}

const n = (x: number) => x.toLocaleString('en-US');

/**
 * "replaces 39,308 address points of boston with 3" (the boundary: "replaces the boundary of boston"),
 * and for address points how they were matched: "…: 0 kept, 0 moved, 3 added, 39,308 removed; 12
 * requests lose their link to a removed point (they keep their own location)".
 */
export function replacement(layer: LayerSpec, jurisdiction: string, r: ImportReport): string {
  if (layer.kind === 'boundary')
    return r.existing > 0
      ? `replaces the boundary of ${jurisdiction}`
      : `sets the boundary of ${jurisdiction}`;
  const changes = r.points ? `: ${pointChanges(r.points, true)}` : '';
  return `replaces ${n(r.existing)} ${layerNoun(layer)} of ${jurisdiction} with ${n(r.accepted)}${changes}`;
}

/** "7,660 kept, 8 moved, 3 added[, 2 removed; 5 requests lose …]" (kept and moved keep their ids). */
export function pointChanges(p: NonNullable<ImportReport['points']>, replace: boolean): string {
  const counts = [`${n(p.kept)} kept`, `${n(p.moved)} moved`, `${n(p.added)} added`];
  if (!replace) {
    const there = p.kept + p.moved;
    return (
      counts.join(', ') + (there > 0 ? ` (${n(there)} already there keep their ids, not added twice)` : '')
    );
  }
  counts.push(`${n(p.removed)} removed`);
  const requests =
    p.requestsUnlinked === 1 ? '1 request loses its' : `${n(p.requestsUnlinked)} requests lose their`;
  return `${counts.join(', ')}; ${requests} link to a removed point (they keep their own location)`;
}

function listRejects(io: CliIO, r: ImportReport): void {
  for (const x of r.rejected.slice(0, 10)) io.out(`  rejected ${r.unit} ${x.line}: ${x.reason}`);
  if (r.rejected.length > 10) io.out(`  ... and ${n(r.rejected.length - 10)} more`);
}

export function registerGeoImport(
  program: Command,
  withDatabase: <T>(fn: (db: Database) => Promise<T>) => Promise<T>,
  io: CliIO,
): void {
  program
    .command('geo')
    .description("import a city's GIS layers")
    .command('import')
    .argument(
      '<file>',
      'GeoJSON FeatureCollection, or CSV of address points or intersections (street_a, street_b, lat, long, zip) (.gz accepted)',
    )
    .requiredOption('--jurisdiction <id>', 'jurisdiction id')
    .requiredOption(
      '--layer <layer>',
      'boundary | addresses | intersections | districts:NAME (e.g. districts:ward)',
    )
    .option('--srid <n>', 'EPSG code of the coordinates (default: the GeoJSON crs, else 4326)')
    .option('--replace', 'replace the layer atomically instead of adding to it')
    .option('--yes', 'confirm --replace without asking (needed when not on a terminal)')
    .option('--dry-run', 'validate the whole file and report what would change; write nothing')
    .option('--allow-rejects', 'import the valid rows and list the rejected ones (default: reject all)')
    .option('--name-property <p>', 'districts: the property holding the district name', 'name')
    .option('--format <f>', 'geojson or csv (default: from the file name)')
    .option(
      '--col-address <c>',
      'addresses: a one-line address column ("3016 THORNDALE AVE, BC"), split into number, street, unit and zip',
    )
    .option('--col-external-id <c>', 'CSV column', 'external_id')
    .option('--col-house-number <c>', 'CSV column', 'house_number')
    .option('--col-street <c>', 'CSV column', 'street')
    .option('--col-unit <c>', 'CSV column', 'unit')
    .option('--col-zip <c>', 'CSV column', 'zip')
    .option('--col-lat <c>', 'CSV column (or y)', 'lat')
    .option('--col-long <c>', 'CSV column (or x)', 'long')
    .action(async (file: string, o: GeoImportOptions) => {
      const layer = parseLayer(o.layer);
      if (!layer)
        throw new CliFailure(
          `--layer must be boundary, addresses, intersections or districts:NAME (got "${o.layer}")`,
        );
      if (layer.kind === 'districts') assertLayerNameFree(layer.name);
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new CliFailure(`no such file: ${file}`);
      const srid = o.srid === undefined ? undefined : Number(o.srid);
      if (srid !== undefined && !(Number.isInteger(srid) && srid > 0))
        throw new CliFailure(`--srid must be an EPSG code such as 2249 (got "${o.srid}")`);
      if (o.format !== undefined && o.format !== 'csv' && o.format !== 'geojson')
        throw new CliFailure(`--format must be geojson or csv (got "${String(o.format)}")`);
      const format = o.format ?? (/\.csv(\.gz)?$/i.test(file) ? 'csv' : 'geojson');
      await withDatabase(async (db) => {
        const { stream, bytesRead } = openFile(file);
        const progress = createProgress({
          label: o.layer,
          stream: io.stderr,
          now: io.now,
          every: io.every,
          bytes: { read: bytesRead, total: fs.statSync(file).size },
        });
        const started = io.now();
        let declined: string | null = null;
        const confirm = async (r: ImportReport): Promise<boolean> => {
          if (o.yes) return true;
          const what = replacement(layer, o.jurisdiction, r);
          if (!io.interactive) {
            declined = `--replace ${what}: nothing was written; add --yes to confirm it without a terminal`;
            return false;
          }
          progress.stop();
          const answer = await io.ask(`This ${what}. Continue? [y/N] `);
          if (/^y(es)?$/i.test(answer.trim())) return true;
          declined = 'nothing was written';
          return false;
        };
        const report = await importLayerStream(db.knex, o.jurisdiction, layer, stream, {
          format,
          srid,
          replace: o.replace,
          allowRejects: o.allowRejects,
          dryRun: o.dryRun,
          confirm: o.replace && !o.dryRun ? confirm : undefined,
          nameProperty: o.nameProperty,
          columns: {
            address: o.colAddress,
            externalId: o.colExternalId,
            houseNumber: o.colHouseNumber,
            street: o.colStreet,
            unit: o.colUnit,
            zip: o.colZip,
            lat: o.colLat,
            long: o.colLong,
          },
          onProgress: (rows) => progress.update(rows),
        })
          .catch((err: unknown) => {
            throw err instanceof ImportRefused ? new ImportRefused(err.report, '--allow-rejects') : err;
          })
          .finally(() => progress.stop());
        for (const w of report.warnings) io.err(`warning: ${w}`);
        if (declined) throw new CliFailure(declined);
        const seconds = ((io.now() - started) / 1000).toFixed(1);
        const rejected = `${n(report.rejected.length)} rejected`;
        if (o.dryRun) {
          const change = report.replaces
            ? replacement(layer, o.jurisdiction, report)
            : report.points
              ? `adds ${n(report.points.added)} ${layerNoun(layer)} to the ${n(report.existing)} of ${o.jurisdiction}: ${pointChanges(report.points, false)}`
              : `adds ${n(report.accepted)} ${layerNoun(layer)} to the ${n(report.existing)} of ${o.jurisdiction}`;
          io.out(
            `dry run, nothing written: ${report.layer}: ${n(report.accepted)} valid, ${rejected}; the import ${change}`,
          );
        } else {
          const replaced =
            report.replaces && (report.existing > 0 || report.points)
              ? ` (${replacement(layer, o.jurisdiction, report).replace(/^replaces/, 'replaced')})`
              : report.points
                ? ` (${pointChanges(report.points, false)})`
                : '';
          io.out(`${report.layer}: ${n(report.accepted)} imported, ${rejected} in ${seconds} s${replaced}`);
        }
        listRejects(io, report);
      });
    });
}
