/**
 * Issue #14: `npm run cli -- jurisdiction create`, `catalog import` (file, CSV, --from-open311, --dry-run) and
 * `catalog export`, run as a city's operator runs them, against a fresh database of the kind under test.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase } from '../src/db';
import { usePostgres } from './helpers/template';
import { scratchPostgresDatabase } from './helpers/db';
import { startFixtureServer, type FixtureServer } from './helpers/open311-fixture-server';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
let env: Record<string, string>;
let tmp: string;
let dropDatabase: (() => Promise<void>) | null = null;
let remote: FixtureServer;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['src/cli/index.ts', ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-cli-'));
  remote = await startFixtureServer();
  env = { LOG_LEVEL: 'silent', DEMO: 'false' };
  if (usePostgres()) {
    const scratch = await scratchPostgresDatabase('cli', 'empty');
    env.DATABASE_URL = scratch.url;
    dropDatabase = scratch.drop;
  } else {
    env.DATA_DIR = path.join(tmp, 'data');
    env.DATABASE_URL = '';
  }
}, 120_000);
/** The CLI's database, opened between two commands (the embedded one is locked while a command runs). */
async function withDatabase(fn: (knex: Knex) => Promise<void>): Promise<void> {
  const db = await openDatabase(
    usePostgres()
      ? { kind: 'postgres', url: env.DATABASE_URL as string, poolMax: 1 }
      : { kind: 'embedded', dataDir: env.DATA_DIR as string },
  );
  try {
    await fn(db.knex);
  } finally {
    await db.close();
  }
}

afterAll(async () => {
  await remote.close();
  await dropDatabase?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('when an operator sets up a city with the CLI, then the catalog is imported, shown first on --dry-run, and exported', async () => {
  const created = await cli(
    'jurisdiction',
    'create',
    '--id',
    'dc.gov',
    '--name',
    'District of Columbia',
    '--time-zone',
    'America/New_York',
  );
  expect(created.stderr).toBe('');
  expect(created.stdout).toContain('created jurisdiction dc.gov');
  const badZone = await cli('jurisdiction', 'create', '--id', 'x', '--name', 'X', '--time-zone', 'Mars/Base');
  expect(badZone.code).toBe(1);
  expect(badZone.stderr).toMatch(/time_zone "Mars\/Base" is not an IANA time zone/);
  // A second city makes jurisdiction_id required: the operator is told at once, and how to keep the first
  // city's apps working.
  const second = await cli(
    'jurisdiction',
    'create',
    '--id',
    'md.gov',
    '--name',
    'Maryland',
    '--time-zone',
    'America/New_York',
  );
  expect(second.code).toBe(0);
  expect(second.stdout).toContain('created jurisdiction md.gov');
  expect(second.stderr).toMatch(/^warning: This server now hosts 2 jurisdictions \(dc\.gov, md\.gov\)/);
  expect(second.stderr).toContain('DEFAULT_JURISDICTION=dc.gov');

  const dry = await cli(
    'catalog',
    'import',
    '--jurisdiction',
    'dc.gov',
    '--from-open311',
    `${remote.url}/dc`,
    '--dry-run',
  );
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('Dry run, nothing written');
  expect(dry.stdout).toContain('+ S0301');
  expect(dry.stderr).toContain('1 service definition(s) fetched');

  const real = await cli(
    'catalog',
    'import',
    '--jurisdiction',
    'dc.gov',
    '--from-open311',
    `${remote.url}/dc`,
  );
  expect(real.stdout).toContain('Imported:');

  const csv = await cli(
    'catalog',
    'import',
    '--jurisdiction',
    'dc.gov',
    'test/fixtures/bloomington/services.csv',
    '--dry-run',
    '--json',
  );
  const plan = JSON.parse(csv.stdout) as { services: { added: string[]; deactivated: string[] } };
  expect(plan.services.added).toHaveLength(53);
  expect(plan.services.deactivated).toEqual(['S0301']);

  const out = path.join(tmp, 'dc.json');
  expect((await cli('catalog', 'export', '--jurisdiction', 'dc.gov', out)).code).toBe(0);
  const exported = JSON.parse(fs.readFileSync(out, 'utf8')) as { services: Array<{ attributes: unknown[] }> };
  expect(exported.services).toHaveLength(1);
  expect(exported.services[0]?.attributes).toHaveLength(6);
  const again = await cli('catalog', 'import', '--jurisdiction', 'dc.gov', out, '--json');
  expect(JSON.parse(again.stdout).services).toEqual({
    added: [],
    changed: [],
    deactivated: [],
    unchanged: 1,
  });
}, 420_000); // each command starts a process and opens the database (embedded: PGlite boots each time)

it('when an operator imports services files, names an unknown city or would publish a private service, then the CLI says so plainly', async () => {
  const unknown = await cli(
    'catalog',
    'import',
    '--jurisdiction',
    'nowhere',
    'test/fixtures/bloomington/services.csv',
  );
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/There is no jurisdiction "nowhere" \(known: dc\.gov(, [\w.]+)*\)/);
  expect(unknown.stderr).not.toMatch(/foreign key|insert into/);
  const key = await cli('api-keys', 'create', '--name', 't', '--role', 'client', '--jurisdiction', 'nowhere');
  expect(key.code).toBe(1);
  expect(key.stderr).toMatch(/There is no jurisdiction "nowhere" \(known: dc\.gov(, [\w.]+)*\)/);
  expect(key.stderr).not.toMatch(/foreign key|insert into/);

  expect((await cli('jurisdiction', 'create', '--id', 'bl', '--name', 'B', '--time-zone', 'UTC')).code).toBe(
    0,
  );
  // Ids are compared without regard to case: BL beside bl is refused, naming the existing one.
  const upper = await cli('jurisdiction', 'create', '--id', 'BL', '--name', 'B', '--time-zone', 'UTC');
  expect(upper.code).toBe(1);
  expect(upper.stderr).toContain('jurisdiction "BL" differs only in case from "bl"');
  // Bloomington's uReport services.json (numeric codes), with "Excessive Growth" (2) kept private.
  const list = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'test/fixtures/real-cities/bloomington-ureport-services.json'), 'utf8'),
  ) as Array<{ service_code: number; keywords: string }>;
  const write = (name: string, keywords: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, JSON.stringify(list.map((s) => (s.service_code === 2 ? { ...s, keywords } : s))));
    return file;
  };
  const imported = await cli('catalog', 'import', '--jurisdiction', 'bl', write('private.json', 'private'));
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('Imported:');
  expect(imported.stdout).toContain('services: 53 added, 0 changed, 0 deactivated, 0 unchanged');
  expect(imported.stdout).not.toContain('to add');
  expect(imported.stdout).toMatch(/WARNING: .*metadata=true/);

  const pub = write('public.json', '');
  // Without requests, a private service publishes nothing: the import says nothing of it.
  const quiet = await cli('catalog', 'import', '--jurisdiction', 'bl', pub, '--dry-run');
  expect(quiet.code).toBe(0);
  expect(quiet.stdout).toContain('services: 0 to add, 1 to change');
  expect(quiet.stdout).not.toContain('WARNING: service "2"');
  expect(quiet.stdout).not.toContain('--publish-private');
  await withDatabase(async (knex) => {
    const service = (await knex('services')
      .where({ jurisdiction_id: 'bl', service_code: '2' })
      .first('id')) as {
      id: number;
    };
    const at = new Date('2026-12-01T12:00:00Z');
    await knex('service_requests').insert({
      jurisdiction_id: 'bl',
      service_id: service.id,
      requested_at: at,
      updated_at: at,
      channel: 'test',
      description: 'overgrown lot behind 12 private rd',
    });
  });
  const dry = await cli('catalog', 'import', '--jurisdiction', 'bl', pub, '--dry-run');
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('services: 0 to add, 1 to change');
  expect(dry.stdout).toMatch(/WARNING: service "2" is private .* its 1 request\(s\)/);
  expect(dry.stdout).toContain('refused unless --publish-private');
  const refused = await cli('catalog', 'import', '--jurisdiction', 'bl', pub);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/Refused, nothing was imported: service "2" is private/);
  expect(refused.stderr).toContain('--publish-private');
  const confirmed = await cli('catalog', 'import', '--jurisdiction', 'bl', pub, '--publish-private');
  expect(confirmed.code).toBe(0);
  expect(confirmed.stdout).toContain('services: 0 added, 1 changed');

  const xml = await cli(
    'catalog',
    'import',
    '--jurisdiction',
    'bl',
    'test/fixtures/real-cities/sf-services.xml',
    '--dry-run',
  );
  expect(xml.code).toBe(0);
  expect(xml.stdout).toContain('services: 38 to add, 0 to change, 53 to deactivate');
}, 420_000);
