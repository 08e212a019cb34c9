import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Database } from '../db';
import { importLayerStream, parseLayer } from '../geo';

interface GeoImportOptions {
  jurisdiction: string;
  layer: string;
  srid?: string;
  replace?: boolean;
  nameProperty?: string;
  format?: 'geojson' | 'csv';
  colExternalId?: string;
  colHouseNumber?: string;
  colStreet?: string;
  colUnit?: string;
  colZip?: string;
  colLat?: string;
  colLong?: string;
}

function openFile(file: string): Readable {
  const stream = fs.createReadStream(file);
  return file.endsWith('.gz') ? stream.pipe(zlib.createGunzip()) : stream;
}

/** `geo import --jurisdiction ID --layer boundary|addresses|districts:NAME FILE` (issue #5). */
export function registerGeoImport(
  program: Command,
  withDatabase: <T>(fn: (db: Database) => Promise<T>) => Promise<T>,
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
    .option('--name-property <p>', 'districts: the property holding the district name', 'name')
    .option('--format <f>', 'geojson or csv (default: from the file name)')
    .option('--col-external-id <c>', 'CSV column', 'external_id')
    .option('--col-house-number <c>', 'CSV column', 'house_number')
    .option('--col-street <c>', 'CSV column', 'street')
    .option('--col-unit <c>', 'CSV column', 'unit')
    .option('--col-zip <c>', 'CSV column', 'zip')
    .option('--col-lat <c>', 'CSV column (or y)', 'lat')
    .option('--col-long <c>', 'CSV column (or x)', 'long')
    .action((file: string, o: GeoImportOptions) =>
      withDatabase(async (db) => {
        const layer = parseLayer(o.layer);
        if (!layer)
          throw new Error(
            `--layer must be boundary, addresses, intersections or districts:NAME (got "${o.layer}")`,
          );
        if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
        const srid = o.srid === undefined ? undefined : Number(o.srid);
        if (srid !== undefined && !Number.isInteger(srid))
          throw new Error('--srid must be an EPSG code such as 2249');
        const format = o.format ?? (/\.csv(\.gz)?$/i.test(file) ? 'csv' : 'geojson');
        const bar = new cliProgress.SingleBar(
          {
            format: `${o.layer} |{bar}| {value} rows imported, {rate} rows/s, {duration}s`,
            stopOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        const started = Date.now();
        bar.start(0, 0, { rate: 0 });
        const report = await importLayerStream(db.knex, o.jurisdiction, layer, openFile(file), {
          format,
          srid,
          replace: o.replace,
          nameProperty: o.nameProperty,
          columns: {
            externalId: o.colExternalId,
            houseNumber: o.colHouseNumber,
            street: o.colStreet,
            unit: o.colUnit,
            zip: o.colZip,
            lat: o.colLat,
            long: o.colLong,
          } as never,
          onProgress: (rows) => {
            bar.setTotal(rows);
            bar.update(rows, { rate: Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000)) });
          },
        }).finally(() => bar.stop());
        console.log(
          `${report.layer}: ${report.accepted} imported, ${report.rejected.length} rejected in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        for (const r of report.rejected.slice(0, 50)) console.log(`  rejected line ${r.line}: ${r.reason}`);
        if (report.rejected.length > 50) console.log(`  ... and ${report.rejected.length - 50} more`);
      }),
    );
}
