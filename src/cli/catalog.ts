import fs from 'node:fs';
import os from 'node:os';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import {
  exportCatalog,
  Findings,
  importCatalogFrom,
  insertJurisdiction,
  jurisdictionAddedWarnings,
  listJurisdictionDocs,
  parseJurisdiction,
  requireJurisdiction,
  type CatalogPlan,
  type CatalogSource,
} from '../catalog';
import type { Config } from '../config';
import type { Database } from '../db';
import { AppError } from '../core';

interface ImportOptions {
  jurisdiction: string;
  fromOpen311?: string;
  format?: string;
  remoteJurisdiction?: string;
  dryRun?: boolean;
  publishPrivate?: boolean;
  json?: boolean;
}

function printPlan(plan: CatalogPlan): void {
  const s = plan.services;
  // A dry run says what the import would do; a real one what it did.
  const [add, change, deactivate] = plan.applied
    ? ['added', 'changed', 'deactivated']
    : ['to add', 'to change', 'to deactivate'];
  console.log(plan.applied ? 'Imported:' : 'Dry run, nothing written. The import would:');
  console.log(
    `  departments: ${plan.agencies.added.length} ${add}, ${plan.agencies.changed.length} ${change}`,
  );
  for (const code of plan.agencies.added) console.log(`    + ${code}`);
  for (const code of plan.agencies.changed) console.log(`    ~ ${code}`);
  console.log(
    `  services: ${s.added.length} ${add}, ${s.changed.length} ${change}, ${s.deactivated.length} ${deactivate}, ${s.unchanged} unchanged`,
  );
  for (const code of s.added) console.log(`    + ${code}`);
  for (const c of s.changed) console.log(`    ~ ${c.service_code}: ${c.changes.join('; ')}`);
  for (const code of s.deactivated) console.log(`    - ${code} (deactivated)`);
  for (const w of plan.warnings) console.log(`  WARNING: ${w}`);
  if (!plan.applied && plan.made_public.length > 0)
    console.log(
      '  The import will be refused unless --publish-private is given (or "private" is kept in those keywords).',
    );
}

/**
 * `catalog import --jurisdiction ID FILE|--from-open311 URL [--dry-run]`, `catalog export --jurisdiction ID
 * [FILE]` and `jurisdiction create` (issue #14): a city set up from its own files.
 */
export function registerCatalogCommands(
  program: Command,
  withDatabase: <T>(fn: (db: Database, config: Readonly<Config>) => Promise<T>) => Promise<T>,
): void {
  const actor = `cli (${os.userInfo().username})`;
  const catalog = program.command('catalog').description("a jurisdiction's service catalog");
  catalog
    .command('import')
    .argument(
      '[file]',
      'catalog JSON (the export format, or a GeoReport services.json array), a services.xml, or a CSV of services',
    )
    .requiredOption('--jurisdiction <id>', 'jurisdiction id')
    .option('--from-open311 <url>', 'read services and definitions from a live GeoReport v2 endpoint')
    .option('--format <f>', 'file: json, csv or xml (default: from the name); --from-open311: json or xml')
    .option('--remote-jurisdiction <id>', '--from-open311: jurisdiction_id to send to the remote server')
    .option('--dry-run', 'show what would be added, changed and deactivated; write nothing')
    .option(
      '--publish-private',
      'confirm that private services this import makes public (and their requests) are published',
    )
    .option('--json', 'print the plan as JSON')
    .action((file: string | undefined, o: ImportOptions) =>
      withDatabase(async (db) => {
        let source: CatalogSource;
        let bar: cliProgress.SingleBar | null = null;
        if (o.fromOpen311) {
          if (file) throw new Error('give either a FILE or --from-open311 URL, not both');
          if (o.format !== undefined && o.format !== 'json' && o.format !== 'xml')
            throw new Error('--format must be json or xml with --from-open311');
          bar = new cliProgress.SingleBar(
            { format: 'service definitions |{bar}| {value}/{total}', stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          const progress = bar;
          source = {
            kind: 'open311',
            url: o.fromOpen311,
            format: o.format as 'json' | 'xml' | undefined,
            remoteJurisdiction: o.remoteJurisdiction,
            onProgress: (done, total) => {
              if (done === 0) progress.start(total, 0);
              else progress.update(done);
              if (done === total) console.error(`${total} service definition(s) fetched`);
            },
          };
        } else {
          if (!file) throw new Error('give a FILE (JSON or CSV) or --from-open311 URL');
          if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
          const text = fs.readFileSync(file, 'utf8');
          const format = o.format ?? (/\.csv$/i.test(file) ? 'csv' : /\.xml$/i.test(file) ? 'xml' : 'json');
          if (format === 'csv') source = { kind: 'csv', text };
          else if (format === 'xml') source = { kind: 'xml', text };
          else if (format === 'json') {
            try {
              source = { kind: 'json', document: JSON.parse(text) as unknown };
            } catch (err) {
              throw new Error(`${file} is not JSON: ${(err as Error).message}`);
            }
          } else throw new Error('--format must be json, csv or xml for a file');
        }
        // Before anything is fetched: a typo is one clear sentence, not a foreign-key violation.
        await requireJurisdiction(db.knex, o.jurisdiction);
        let plan: CatalogPlan;
        try {
          plan = await importCatalogFrom(db.knex, o.jurisdiction, source, {
            dryRun: o.dryRun === true,
            publishPrivate: o.publishPrivate === true,
            actor,
            at: new Date(),
          });
        } finally {
          bar?.stop();
        }
        if (o.json) console.log(JSON.stringify(plan, null, 2));
        else printPlan(plan);
      }),
    );
  catalog
    .command('export')
    .argument('[file]', 'write here instead of standard output')
    .requiredOption('--jurisdiction <id>', 'jurisdiction id')
    .action((file: string | undefined, o: { jurisdiction: string }) =>
      withDatabase(async (db) => {
        await requireJurisdiction(db.knex, o.jurisdiction);
        const text = `${JSON.stringify(await exportCatalog(db.knex, o.jurisdiction), null, 2)}\n`;
        if (file) fs.writeFileSync(file, text);
        else process.stdout.write(text);
      }),
    );

  program
    .command('jurisdiction')
    .description('jurisdictions (cities) served')
    .command('create')
    .requiredOption('--id <id>', 'the Open311 jurisdiction_id, e.g. bloomington.in.gov')
    .requiredOption('--name <name>', 'e.g. "City of Bloomington"')
    .requiredOption('--time-zone <tz>', 'IANA time zone, e.g. America/Indiana/Indianapolis')
    .option('--email <email>')
    .option('--phone <phone>')
    .option('--website <url>')
    .option('--language <tag>', 'default language, e.g. en')
    .action((o: Record<string, string | undefined>) => {
      // Checked before the database is opened: a typo costs nothing.
      const f = new Findings();
      const doc = parseJurisdiction(
        {
          id: o.id,
          name: o.name,
          time_zone: o.timeZone,
          email: o.email ?? null,
          phone: o.phone ?? null,
          website: o.website ?? null,
          language: o.language ?? null,
        },
        f,
      );
      if (!doc || f.list.length > 0) throw new AppError(400, f.list);
      return withDatabase(async (db, config) => {
        await insertJurisdiction(db.knex, doc);
        console.log(`created jurisdiction ${doc.id}`);
        const ids = (await listJurisdictionDocs(db.knex)).map((j) => j.id);
        for (const w of jurisdictionAddedWarnings(ids, doc.id, config.defaultJurisdiction))
          console.error(`warning: ${w}`);
      });
    });
}
