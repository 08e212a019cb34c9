/**
 * The pre-built demo database: the embedded data dir after the migrations and the demo city's place
 * (loadDemoPlace: everything but the dated requests), dumped by `npm run build:demo-db`
 * (scripts/build-demo-db.ts) into seeds/demo/prebuilt/. A new user's first `npm start` loads it with
 * PGlite's loadDataDir instead of creating PostGIS, running every migration and importing 100,000
 * address points (seconds instead of a minute or more), then loads the demo requests relative to now.
 *
 * It is used only while it is current: its manifest names a hash of everything that shapes it (the
 * migrations, the demo seeds, the code that imports them, the PGlite and PostGIS versions). A stale
 * artefact (a new migration, a changed importer) is never loaded: the server takes the normal path.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fromRoot, PROJECT_ROOT } from '../paths';

export const PREBUILT_DIR = fromRoot('seeds/demo/prebuilt');
export const PREBUILT_DATA = path.join(PREBUILT_DIR, 'boston.tar.gz');
export const PREBUILT_MANIFEST = path.join(PREBUILT_DIR, 'boston.json');

/**
 * What the pre-built database is made from, relative to the project root: the migrations, the demo city's
 * files, and the modules whose code writes the place (catalog, geography, calendars, escalation ladder,
 * this loader). Tests beside the code do not count.
 */
export const PREBUILT_INPUTS = [
  'migrations',
  'seeds/demo/boston',
  'src/demo',
  'src/catalog',
  'src/geo',
  'src/sla',
  'src/escalation',
  'src/db/migrate.ts',
] as const;

export interface PrebuiltManifest {
  /** prebuiltKey() when it was built. */
  key: string;
  /** The instant the place was loaded at (its calendar's and escalation ladder's creation time). */
  builtAt: string;
  /** Bytes of the data file, to tell a truncated or replaced file. */
  bytes: number;
}

function listFiles(root: string, dir: string): string[] {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [dir];
  const out: string[] = [];
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else if (!entry.name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

function packageVersion(root: string, name: string): string {
  const file = path.join(root, 'node_modules', name, 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * The hash that names the current inputs; null when they cannot be read (a build without src/, or a
 * missing package), in which case no artefact is current.
 */
export function prebuiltKey(root = PROJECT_ROOT): string | null {
  try {
    const h = crypto.createHash('sha256');
    for (const name of ['@electric-sql/pglite', '@electric-sql/pglite-postgis'])
      h.update(`${name}@${packageVersion(root, name)}\0`);
    const files = PREBUILT_INPUTS.flatMap((dir) => listFiles(root, dir)).sort();
    if (!files.some((f) => f.startsWith('src/'))) return null;
    for (const f of files)
      h.update(f)
        .update('\0')
        .update(fs.readFileSync(path.join(root, f)))
        .update('\0');
    return h.digest('hex').slice(0, 24);
  } catch {
    return null;
  }
}

export function readPrebuiltManifest(): PrebuiltManifest | null {
  try {
    return JSON.parse(fs.readFileSync(PREBUILT_MANIFEST, 'utf8')) as PrebuiltManifest;
  } catch {
    return null;
  }
}

/** Why the artefact cannot be used, or null when it is current. */
export function prebuiltProblem(): string | null {
  const manifest = readPrebuiltManifest();
  if (!manifest) return 'no pre-built demo database (npm run build:demo-db makes one)';
  const key = prebuiltKey();
  if (!key) return 'the sources the pre-built demo database is checked against are not here';
  if (manifest.key !== key)
    return 'the pre-built demo database is stale (the migrations, demo seeds or their importers changed since it was built: npm run build:demo-db)';
  let bytes = -1;
  try {
    bytes = fs.statSync(PREBUILT_DATA).size;
  } catch {
    // missing: reported below
  }
  if (bytes !== manifest.bytes)
    return 'the pre-built demo database file is missing or does not match its manifest';
  return null;
}

/** The current artefact's data (a gzipped data-dir tarball for PGlite's loadDataDir), or null. */
export function prebuiltDemo(): Blob | null {
  if (prebuiltProblem()) return null;
  return new Blob([fs.readFileSync(PREBUILT_DATA)]);
}
