import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { fromRoot } from '../paths';
import { openDatabase, type Database } from './connect';
import { withLinkedLibrariesReleased, type PreloadPlugin } from './loaded-files';

interface Fs {
  stat(path: string): { size: number };
  readFile(path: string, opts: { encoding: 'utf8' }): string;
}
const fsOf = async (db: Database) => {
  const pglite = (await db.knex.client.acquireConnection()) as PGlite;
  await db.knex.client.releaseConnection(pglite);
  return (pglite as unknown as { mod: { FS: Fs } }).mod.FS;
};
const SO = '/pglite/lib/postgresql/postgis-3.so';
const scriptOf = (pgFs: Fs) =>
  `/pglite/share/postgresql/extension/${(pgFs as unknown as { readdir(p: string): string[] })
    .readdir('/pglite/share/postgresql/extension')
    .find((f) => /^postgis--[\d.]+\.sql$/.test(f))}`;

describe('bytes the embedded database lets go of once loaded', () => {
  test('when the preload plugin handles a library, then the file system gets an empty file and the bytes are freed after linking', () => {
    const linked: Uint8Array[] = [];
    const emscripten = {
      canHandle: (name: string) => name.endsWith('.so'),
      handle: (bytes: Uint8Array, _name: string, onload: (b: Uint8Array) => void, _onerror: () => void) => {
        linked.push(bytes.slice());
        onload(bytes);
      },
    };
    const opts = withLinkedLibrariesReleased({ preloadPlugins: [] as (typeof emscripten)[] });
    opts.preloadPlugins.push(emscripten); // as Emscripten registers its own, after the options are read
    const [own] = opts.preloadPlugins;
    const bytes = new Uint8Array([1, 2, 3]);
    let stored: Uint8Array | null = null;
    expect(own?.canHandle('/pglite/lib/postgresql/x.so')).toBe(true);
    expect(own?.canHandle('/pglite/share/x.sql')).toBe(false);
    own?.handle(
      bytes,
      'x.so',
      (b) => (stored = b),
      () => {},
    );
    expect(linked[0]).toEqual(new Uint8Array([1, 2, 3]));
    expect(stored).toEqual(new Uint8Array(0));
    expect(bytes.buffer.byteLength).toBe(0); // detached: its memory is released
  });

  test('when Emscripten has no plugin of the expected shape, then the plugin steps aside', () => {
    const other = { canHandle: () => true, handle: (_bytes: Uint8Array) => {} };
    const opts = withLinkedLibrariesReleased({ preloadPlugins: [other as unknown as PreloadPlugin] });
    expect(opts.preloadPlugins[0]?.canHandle('x.so')).toBe(false);
  });

  test('when a new database opens, then PostGIS is linked (its file left empty) and its install script is kept for CREATE EXTENSION', async () => {
    const db = await openDatabase({ kind: 'embedded' });
    try {
      const pgFs = await fsOf(db);
      expect(pgFs.stat(SO).size).toBe(0);
      expect(pgFs.stat(scriptOf(pgFs)).size).toBeGreaterThan(1_000_000);
    } finally {
      await db.close();
    }
  });

  test('when a database that has PostGIS opens, then its install script is replaced by one that refuses, and PostGIS works', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-loaded-'));
    // The pre-built demo database has PostGIS (stale or not, it is only a data dir here).
    const withPostgis = new Blob([fs.readFileSync(fromRoot('seeds/demo/prebuilt/boston.tar.gz'))]);
    const db = await openDatabase({ kind: 'embedded', dataDir: dir, loadDataDir: withPostgis });
    try {
      const pgFs = await fsOf(db);
      expect(pgFs.readFile(scriptOf(pgFs), { encoding: 'utf8' })).toMatch(/RAISE EXCEPTION/);
      const { rows } = await db.knex.raw<{ rows: Array<{ x: string }> }>(
        'SELECT ST_AsText(ST_Transform(ST_SetSRID(ST_MakePoint(-71, 42), 4326), 26986)) AS x',
      );
      expect(rows[0]?.x).toMatch(/^POINT\(241423\.9\d* 861190\.6\d*\)$/);
      await db.knex.raw('DROP EXTENSION postgis CASCADE');
      await expect(db.knex.raw('CREATE EXTENSION postgis')).rejects.toThrow(/restart it/);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
