/**
 * Bytes PGlite keeps in memory after it no longer needs them (docs/decisions/0002-performance.md,
 * target 5). Its file system is in memory (Emscripten's MEMFS: every file a JavaScript array), so every
 * file an extension bundle brings costs its size for the life of the process.
 *
 * - An extension's shared library (postgis-3.so: 16 MB) is compiled and linked when PGlite starts, from
 *   the bytes of the bundle; PGlite then copies the same bytes into a file that PostgreSQL only checks
 *   exists (dlopen finds the library already loaded), and the linker's closures keep the original. A
 *   preload plugin placed before Emscripten's own gives the file system an empty file instead and lets
 *   go of the original once the library is linked: 32 MB less with PostGIS.
 * - An extension's install script (postgis--3.x.sql: 7.5 MB) is read only by CREATE EXTENSION. Once
 *   the database has the extension, the script is replaced by one that refuses (the migrations never
 *   drop an extension; a DROP and CREATE by hand needs a restart).
 */
import type { Extension, PGlite } from '@electric-sql/pglite';

/** Emscripten's preload plugin: FS.createPreloadedFile hands a file's bytes to the first that can handle it. */
export interface PreloadPlugin {
  canHandle(name: string): boolean;
  handle(bytes: Uint8Array, name: string, onload: (bytes: Uint8Array) => void, onerror: () => void): void;
}

/** Frees an ArrayBuffer's memory now (the array is left empty) when the view covers all of it. */
function detach(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength)
    return;
  structuredClone(buffer, { transfer: [buffer] });
}

/** The module options with the plugin first; Emscripten adds its wasm plugin to the same array later. */
export function withLinkedLibrariesReleased<T extends { preloadPlugins?: PreloadPlugin[] }>(opts: T): T {
  const plugins: PreloadPlugin[] = [...(opts.preloadPlugins ?? [])];
  // Emscripten's (handle(bytes, name, onload, onerror)); if its shape ever changes, this one steps aside.
  const linker = () => plugins.find((p) => p !== own && p.handle.length === 4 && p.canHandle('lib.so'));
  const own: PreloadPlugin = {
    canHandle: (name) => name.endsWith('.so') && linker() !== undefined,
    handle: (bytes, name, onload, onerror) =>
      linker()?.handle(
        bytes,
        name,
        () => {
          onload(new Uint8Array(0));
          detach(bytes);
        },
        onerror,
      ),
  };
  plugins.unshift(own);
  return { ...opts, preloadPlugins: plugins };
}

/** An extension whose shared libraries are loaded through withLinkedLibrariesReleased. */
export function releasingLinkedLibraries(extension: Extension): Extension {
  return {
    ...extension,
    setup: async (pg, emscriptenOpts, ...rest) => {
      const result = await extension.setup(pg, emscriptenOpts, ...rest);
      return {
        ...result,
        emscriptenOpts: withLinkedLibrariesReleased(
          (result.emscriptenOpts ?? emscriptenOpts) as { preloadPlugins?: PreloadPlugin[] },
        ),
      };
    },
  };
}

const EXTENSION_DIR = '/share/postgresql/extension';

/** What an install script is replaced by once its extension exists. */
export const REFUSING_SCRIPT =
  "DO $$ BEGIN RAISE EXCEPTION 'this server dropped its copy of the install script once the extension existed: restart it to create the extension again'; END $$;\n";

interface EmscriptenFs {
  readdir(path: string): string[];
  writeFile(path: string, data: string): void;
}

/**
 * Replaces the install scripts of the named extensions that the database already has; returns the
 * scripts replaced.
 */
export async function releaseInstallScripts(pglite: PGlite, names: readonly string[]): Promise<string[]> {
  const mod = (pglite as unknown as { mod?: { FS?: EmscriptenFs; WASM_PREFIX?: string } }).mod;
  if (!mod?.FS || !mod.WASM_PREFIX) return [];
  const { rows } = await pglite.query<{ extname: string }>(
    'SELECT extname FROM pg_extension WHERE extname = ANY($1)',
    [names],
  );
  const installed = new Set(rows.map((r) => r.extname));
  const dir = `${mod.WASM_PREFIX}${EXTENSION_DIR}`;
  const released: string[] = [];
  for (const file of mod.FS.readdir(dir)) {
    const m = /^(.+?)--[^-]+\.sql$/.exec(file);
    if (!m?.[1] || !installed.has(m[1])) continue;
    mod.FS.writeFile(`${dir}/${file}`, REFUSING_SCRIPT);
    released.push(file);
  }
  return released;
}
