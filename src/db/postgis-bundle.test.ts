import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { slimPostgisBundle, slimPostgisTar, tarEntries } from './postgis-bundle';

const FULL = path.join(path.dirname(require.resolve('@electric-sql/pglite-postgis')), 'postgis.tar.gz');
const files = (gz: Buffer) =>
  [...tarEntries(zlib.gunzipSync(gz))].filter((e) => e.type !== '5').map((e) => e.name);

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
    for (const e of tarEntries(zlib.gunzipSync(slim)))
      expect(e.bytes.toString('base64')).toBe(original.get(e.name));
    expect(slim.length).toBeLessThan(full.length / 2);
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
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
