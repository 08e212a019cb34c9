import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { bundleFromFile, slimPostgisBundle, slimPostgisTar, tarEntries } from './postgis-bundle';

const FULL = path.join(path.dirname(require.resolve('@electric-sql/pglite-postgis')), 'postgis.tar.gz');
const files = (tar: Buffer) => [...tarEntries(tar)].filter((e) => e.type !== '5').map((e) => e.name);

describe('the cut-down PostGIS bundle', () => {
  test('when cut from the package bundle, then it keeps postgis-3.so, its install script and PROJ data, and drops raster, topology and upgrade scripts', () => {
    const full = fs.readFileSync(FULL);
    const slim = slimPostgisTar(full);
    const kept = files(slim);
    expect(kept).toContain('lib/postgresql/postgis-3.so');
    expect(kept).toContain('share/postgresql/extension/postgis.control');
    expect(kept).toContain('share/proj/proj.db');
    expect(kept.filter((f) => /^share\/postgresql\/extension\/postgis--[\d.]+\.sql$/.test(f))).toHaveLength(
      1,
    );
    expect(kept.some((f) => /raster|topology|tiger|--ANY--|unpackaged/.test(f))).toBe(false);
    // Every kept file is byte for byte the package's.
    const original = new Map(
      [...tarEntries(zlib.gunzipSync(full))].map((e) => [e.name, e.bytes.toString('base64')]),
    );
    for (const e of tarEntries(slim)) expect(e.bytes.toString('base64')).toBe(original.get(e.name));
    // Uncompressed (PGlite reads it without gunzipping), still less than half the package's files.
    expect(slim.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(false);
    expect(slim.length).toBeLessThan(zlib.gunzipSync(full).length / 2);
  });

  test('when the cache folder cannot be written, then there is no cut-down bundle (the full one is used)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-pgis-'));
    try {
      const blocker = path.join(dir, 'file');
      fs.writeFileSync(blocker, '');
      expect(slimPostgisBundle(FULL, '0.0.0', path.join(blocker, 'cache'))).toBeNull();
      const built = slimPostgisBundle(FULL, '0.0.0', path.join(dir, 'cache'));
      expect(built && fs.existsSync(built)).toBe(true);
      expect(slimPostgisBundle(FULL, '0.0.0', path.join(dir, 'cache'))).toBe(built);
      // A new package version's bundle replaces the cached ones of earlier versions (and the gzipped kind).
      fs.writeFileSync(path.join(dir, 'cache', 'postgis-0.0.0-1-slim.tar.gz'), '');
      const next = slimPostgisBundle(FULL, '0.0.1', path.join(dir, 'cache'));
      expect(fs.readdirSync(path.join(dir, 'cache'))).toEqual([path.basename(next as string)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bundle handed to PGlite', () => {
  test('when the module runs its preRun step, then its pg_extensions holds the file as one buffer with arrayBuffer()', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-pgis-'));
    try {
      const file = path.join(dir, 'bundle.tar');
      const bytes = Buffer.from('a tarball, byte for byte');
      fs.writeFileSync(file, bytes);
      const mod: { pg_extensions: Record<string, Promise<{ arrayBuffer(): Promise<ArrayBuffer> }>> } = {
        pg_extensions: {},
      };
      bundleFromFile('postgis', file)(mod);
      const got = Buffer.from(await (await mod.pg_extensions.postgis!).arrayBuffer());
      expect(got.equals(bytes)).toBe(true);
      // A module without the field (a PGlite that changed how it loads bundles) is an error, not a silent miss.
      expect(() => bundleFromFile('postgis', file)({})).toThrow(/pg_extensions/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
