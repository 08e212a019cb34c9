/**
 * The PostGIS extension for the embedded database, cut down to what the server uses.
 *
 * PGlite unpacks an extension's whole bundle into its in-memory file system and compiles and instantiates
 * every shared library in it when it starts. The PostGIS bundle holds three of them (postgis, raster,
 * topology: 48 MB of WebAssembly) and 90 MB of files (upgrade scripts from every PostGIS since 2.0, the
 * TIGER geocoder); the server uses `postgis` alone. The cut-down bundle (postgis-3.so, its control file,
 * its install script and the PROJ data that ST_Transform reads) is built once from the installed
 * package's bundle and cached beside it, named by the package version and the bundle's size: measured
 * with bench/run-embedded.ts, it takes about 300 MB off the process and seconds off every start.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Extension } from '@electric-sql/pglite';

/** What the server needs from the PostGIS bundle (paths inside the tarball). */
const KEEP = [
  /^lib\/postgresql\/postgis-3\.so$/,
  /^share\/postgresql\/extension\/postgis\.control$/,
  /^share\/postgresql\/extension\/postgis--\d+\.\d+\.\d+\.sql$/,
  /^share\/proj\//,
];

const BLOCK = 512;

/** The entries of a tar archive (ustar), each with its header (and any pax header before it), copied as is. */
export function* tarEntries(tar: Buffer): Generator<{ name: string; type: string; bytes: Buffer }> {
  let offset = 0;
  let start = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return;
    const field = (from: number, len: number) =>
      header
        .subarray(from, from + len)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    // A pax or GNU long-name header describes the entry after it: keep them together.
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') continue;
    yield { name: name.replace(/^\.\//, ''), type, bytes: tar.subarray(start, offset) };
    start = offset;
  }
}

/** The cut-down tarball (uncompressed) of a PostGIS bundle: the kept files, and every folder (a few, empty). */
export function slimPostgisTar(gzipped: Buffer): Buffer {
  const kept: Buffer[] = [];
  for (const entry of tarEntries(zlib.gunzipSync(gzipped))) {
    if (entry.type === '5' || KEEP.some((re) => re.test(entry.name))) kept.push(entry.bytes);
  }
  kept.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(kept);
}

/**
 * The cut-down bundle's file (an uncompressed tar, 34 MB), built on first use in `cacheDir`
 * (node_modules/.cache; not the system's temp folder, where another user could plant a file). Null when
 * it cannot be written (a read-only install): the caller then uses the package's full bundle.
 */
export function slimPostgisBundle(fullBundle: string, version: string, cacheDir: string): string | null {
  try {
    const size = fs.statSync(fullBundle).size;
    const file = path.join(cacheDir, `postgis-${version}-${size}-slim.tar`);
    if (fs.existsSync(file)) return file;
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, slimPostgisTar(fs.readFileSync(fullBundle)));
    fs.renameSync(tmp, file);
    // Bundles cut from an earlier package version, or gzipped as before: never read again.
    for (const name of fs.readdirSync(cacheDir))
      if (/^postgis-.+-slim\.tar(\.gz)?$/.test(name) && name !== path.basename(file))
        fs.rmSync(path.join(cacheDir, name), { force: true });
    return file;
  } catch {
    return null;
  }
}

/** What PGlite reads an extension's unpacked bundle from (it calls arrayBuffer() once, as on a Blob). */
interface UnpackedBundle {
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * The Emscripten module's preRun step that hands PGlite an extension's bundle as one uncompressed buffer.
 * PGlite's own loader for a `bundlePath` gunzips the file as a stream into a Blob of 16 kB parts and then
 * reads that Blob back part by part: for PostGIS (~2,400 parts) about a second of a restart, and thousands
 * of short-lived 16 kB buffers (docs/decisions/0002-performance.md, sixth pass). PGlite keeps the bundles
 * it will unpack, once its module is instantiated, in the module's `pg_extensions` (name → a promise of
 * what has arrayBuffer()); the step adds this one there, read from disk while the WebAssembly compiles.
 */
export function bundleFromFile(name: string, file: string): (mod: unknown) => void {
  const bytes = fs.promises.readFile(file);
  // A rejected read is handled where PGlite awaits it (it logs and goes on without the extension).
  bytes.catch(() => {});
  return (mod) => {
    const bundles = (mod as { pg_extensions?: Record<string, Promise<UnpackedBundle>> }).pg_extensions;
    if (!bundles) throw new Error('PGlite no longer keeps its extension bundles in pg_extensions');
    bundles[name] = bytes.then((buf) => ({
      // A file this size has its own ArrayBuffer (never Node's shared pool), so no copy is needed.
      arrayBuffer: async () =>
        buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength
          ? (buf.buffer as ArrayBuffer)
          : (buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer),
    }));
  };
}

/**
 * PGlite's postgis extension with the cut-down bundle (when it could be built), handed to PGlite as one
 * uncompressed buffer (bundleFromFile) instead of a `bundlePath` it would gunzip.
 */
export function slimPostgis(postgis: Extension, fullBundle: string, version: string, cacheDir: string) {
  const slim = slimPostgisBundle(fullBundle, version, cacheDir);
  if (!slim) return postgis;
  return {
    name: postgis.name,
    setup: async (...args: Parameters<Extension['setup']>) => {
      const { bundlePath: _unused, ...result } = await postgis.setup(...args);
      type Step = (mod: unknown) => void;
      const opts = (result.emscriptenOpts ?? args[1]) as { preRun?: Step | Step[] };
      const before = opts.preRun === undefined ? [] : [opts.preRun].flat();
      return {
        ...result,
        emscriptenOpts: { ...opts, preRun: [...before, bundleFromFile(postgis.name, slim)] },
      };
    },
  } satisfies Extension;
}
