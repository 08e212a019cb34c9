/**
 * An uploaded PDF → a new PDF holding only its pages (docs/decisions/0009-media-uploads.md). Like a photo
 * re-encoded by sharp, nothing of the sent file's structure is published: a new document (pdf-lib, with no
 * Info dictionary and no /ID) gets a copy of each page, and a page brings along only what draws it. Gone:
 * the Info fields (Author, Producer, dates...), XMP metadata (of the document, its pages and their images),
 * the catalog's OpenAction, JavaScript and attached files (/Names), forms (/AcroForm), outlines, every
 * annotation (links and their actions, form widgets, comments, attached files), additional actions (/AA),
 * applications' private data (/PieceInfo), thumbnails and anything else a page or its resources name outside
 * the drawing keys. Kept: the visible content itself (text, fonts, images with whatever the images' own bytes
 * hold, such as a JPEG's EXIF).
 *
 * Bounded work: the file is read whole (it is at most MEDIA_MAX_BYTES), its page tree is walked once (a node
 * met twice is refused, so a tree cannot multiply its pages), at most `maxPages` pages, and the streams that
 * pdf-lib decodes while parsing (object and cross-reference streams) may inflate to PDF_MAX_DECODED_BYTES in
 * all, checked by zlib with a hard output limit before pdf-lib decodes them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import zlib from 'node:zlib';
import type * as PdfLib from 'pdf-lib';

/** A file refused: `reason` completes "The file "x.pdf" (media) ...". */
export class PdfRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The most that a PDF's object and cross-reference streams may decode to, all together. */
export const PDF_MAX_DECODED_BYTES = 32 * 1_048_576;

/** Where a PDF's end marker must be: within the last kilobyte, as readers look for it. */
const EOF_WINDOW = 1024;

const PAGE_KEYS: ReadonlySet<string> = new Set([
  'Type',
  'Parent',
  'Kids',
  'Count',
  'Resources',
  'MediaBox',
  'CropBox',
  'BleedBox',
  'TrimBox',
  'ArtBox',
  'Contents',
  'Rotate',
  'Group',
  'UserUnit',
]);
const RESOURCE_KEYS: ReadonlySet<string> = new Set([
  'ExtGState',
  'ColorSpace',
  'Pattern',
  'Shading',
  'XObject',
  'Font',
  'ProcSet',
  'Properties',
]);
/** Removed wherever they appear under the pages: metadata, private data, actions, annotations. */
const DROPPED_KEYS: ReadonlySet<string> = new Set([
  'Metadata',
  'PieceInfo',
  'LastModified',
  'AA',
  'A',
  'JS',
  'Annots',
  'OpenAction',
]);

/**
 * pdf-lib (about 2 MB of JavaScript) is loaded when the first PDF is judged, not at start; outside any try,
 * so a missing module is a 500, never a 400 blaming the file. Loading it also bounds the streams its parser
 * decodes (see the module comment), once for the process.
 */
let pdfLibModule: typeof PdfLib | undefined;

function pdfLib(): typeof PdfLib {
  if (pdfLibModule) return pdfLibModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('pdf-lib') as typeof PdfLib;
  boundDecoding(lib);
  pdfLibModule = lib;
  return lib;
}

/** One load's state, seen by the wrapped stream parsers: bytes decoded so far, and a refusal, if any. */
interface LoadState {
  decoded: number;
  refused: PdfRefused | null;
}
const loading = new AsyncLocalStorage<LoadState>();

/**
 * Wraps the parsers pdf-lib runs on object and cross-reference streams while loading: each stream is
 * first inflated by zlib with an output limit (what is left of the document's budget), so a small stream
 * that inflates to gigabytes is refused before pdf-lib's own decoder grows a buffer for it. pdf-lib catches
 * errors of a single object and reports its own, so the refusal is also kept in the load's state.
 */
function boundDecoding(lib: typeof PdfLib): void {
  const refuse = (state: LoadState, reason: string) => {
    state.refused = new PdfRefused(reason);
    return state.refused;
  };
  const check = (raw: PdfLib.PDFRawStream) => {
    const state = loading.getStore() ?? { decoded: 0, refused: null };
    const left = PDF_MAX_DECODED_BYTES - state.decoded;
    const filter = raw.dict.lookup(lib.PDFName.of('Filter'));
    const filters = filter instanceof lib.PDFArray ? filter.asArray() : filter === undefined ? [] : [filter];
    let size: number;
    if (filters.length === 0) size = raw.contents.length;
    else if (filters.length === 1 && filters[0] === lib.PDFName.of('FlateDecode')) {
      try {
        size = zlib.inflateSync(raw.contents, {
          maxOutputLength: Math.max(1, left),
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
        }).length;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE')
          throw refuse(state, 'could not be read as a PDF (a compressed part of it is damaged).');
        size = left + 1;
      }
    } else
      throw refuse(
        state,
        'compresses its structure in a way this server does not read (only FlateDecode is accepted there).',
      );
    if (size > left)
      throw refuse(
        state,
        `holds compressed structure that expands beyond ${PDF_MAX_DECODED_BYTES / 1_048_576} MB.`,
      );
    state.decoded += size;
  };
  for (const parser of [lib.PDFObjectStreamParser, lib.PDFXRefStreamParser] as Array<{
    forStream: (raw: PdfLib.PDFRawStream, ...rest: unknown[]) => unknown;
  }>) {
    const original = parser.forStream.bind(parser);
    parser.forStream = (raw, ...rest) => {
      check(raw);
      return original(raw, ...rest);
    };
  }
}

/** The page leaves in order, each node met once, with /Parent set to the node it was met under. */
function pageLeaves(lib: typeof PdfLib, doc: PdfLib.PDFDocument, maxPages: number): PdfLib.PDFPageLeaf[] {
  const malformed = () => new PdfRefused('could not be read as a PDF (its list of pages is malformed).');
  const { context } = doc;
  const rootRef = doc.catalog.get(lib.PDFName.of('Pages'));
  if (!(rootRef instanceof lib.PDFRef) || !(context.lookup(rootRef) instanceof lib.PDFPageTree))
    throw malformed();
  const seen = new Set<string>();
  const leaves: PdfLib.PDFPageLeaf[] = [];
  // Depth first, in order: a stack of (node, its parent's ref).
  const stack: Array<[PdfLib.PDFRef, PdfLib.PDFRef | null]> = [[rootRef, null]];
  while (stack.length > 0) {
    const [ref, parent] = stack.pop() as [PdfLib.PDFRef, PdfLib.PDFRef | null];
    if (seen.has(ref.tag)) throw malformed();
    seen.add(ref.tag);
    const node = context.lookup(ref);
    if (!(node instanceof lib.PDFPageLeaf || node instanceof lib.PDFPageTree)) throw malformed();
    if (parent) node.set(lib.PDFName.of('Parent'), parent);
    else node.delete(lib.PDFName.of('Parent'));
    if (node instanceof lib.PDFPageLeaf) {
      leaves.push(node);
      if (leaves.length > maxPages)
        throw new PdfRefused(`has more than ${maxPages} pages, the most accepted.`);
    } else {
      const kids = node.lookup(lib.PDFName.of('Kids'));
      if (!(kids instanceof lib.PDFArray)) throw malformed();
      const refs = kids.asArray();
      for (let i = refs.length - 1; i >= 0; i--) {
        const kid = refs[i];
        if (!(kid instanceof lib.PDFRef)) throw malformed();
        stack.push([kid, ref]);
      }
    }
  }
  if (leaves.length === 0) throw new PdfRefused('has no pages.');
  return leaves;
}

/**
 * Strips everything under the page tree down to what draws the pages: page nodes keep their drawing keys,
 * resource dictionaries their resource kinds, and DROPPED_KEYS go everywhere. References to the Info
 * dictionary or the catalog's own entries (never part of a page) become null. Done on the sent document
 * before its pages are copied, so what is dropped is never copied.
 */
function strip(lib: typeof PdfLib, doc: PdfLib.PDFDocument, leaves: PdfLib.PDFPageLeaf[]): void {
  const { context } = doc;
  const forbidden = new Set<string>();
  const info = context.trailerInfo.Info;
  if (info instanceof lib.PDFRef) forbidden.add(info.tag);
  const rootRef = context.trailerInfo.Root;
  if (rootRef instanceof lib.PDFRef) forbidden.add(rootRef.tag);
  for (const [key, value] of doc.catalog.entries())
    if (value instanceof lib.PDFRef && key !== lib.PDFName.of('Pages')) forbidden.add(value.tag);

  const keep = (dict: PdfLib.PDFDict, allowed: ReadonlySet<string>) => {
    for (const key of dict.keys()) if (!allowed.has(key.decodeText())) dict.delete(key);
  };
  const resolve = (o: PdfLib.PDFObject | undefined) => (o instanceof lib.PDFRef ? context.lookup(o) : o);
  const dictOf = (o: PdfLib.PDFObject | undefined) =>
    o instanceof lib.PDFDict ? o : o instanceof lib.PDFStream ? o.dict : undefined;

  const seen = new Set<PdfLib.PDFObject>();
  const stack: PdfLib.PDFObject[] = [];
  for (const leaf of leaves) {
    leaf.ascend((node) => {
      if (!seen.has(node)) {
        keep(node, PAGE_KEYS);
        stack.push(node);
      }
      seen.add(node);
    });
  }
  seen.clear();
  while (stack.length > 0) {
    const object = stack.pop() as PdfLib.PDFObject;
    if (seen.has(object)) continue;
    seen.add(object);
    const dict = dictOf(object);
    if (dict) {
      for (const [key, value] of dict.entries()) {
        const name = key.decodeText();
        if (DROPPED_KEYS.has(name)) dict.delete(key);
        else if (value instanceof lib.PDFRef && forbidden.has(value.tag)) dict.set(key, lib.PDFNull);
        else if (name === 'Parent' && dict instanceof lib.PDFPageLeaf) continue;
        else {
          const target = resolve(value);
          if (target === undefined) continue;
          if (name === 'Resources' && target instanceof lib.PDFDict) keep(target, RESOURCE_KEYS);
          stack.push(target);
        }
      }
    } else if (object instanceof lib.PDFArray) {
      object.asArray().forEach((value, i) => {
        if (value instanceof lib.PDFRef && forbidden.has(value.tag)) object.set(i, lib.PDFNull);
        else {
          const target = resolve(value);
          if (target !== undefined) stack.push(target);
        }
      });
    }
  }
}

/**
 * The sent bytes → a new PDF with the same pages and nothing else, or a PdfRefused saying why (encrypted,
 * cut off, damaged, too many pages).
 */
export async function sanitizePdf(bytes: Uint8Array, opts: { maxPages: number }): Promise<Uint8Array> {
  const lib = pdfLib();
  const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - EOF_WINDOW))).toString('latin1');
  if (!tail.includes('%%EOF'))
    throw new PdfRefused('is cut off (it does not end with the %%EOF marker of a complete PDF).');
  let src: PdfLib.PDFDocument;
  const state: LoadState = { decoded: 0, refused: null };
  try {
    src = await loading.run(state, () =>
      lib.PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: true }),
    );
  } catch (err) {
    if (state.refused) throw state.refused;
    if (err instanceof PdfRefused) throw err;
    if (err instanceof lib.EncryptedPDFError || Buffer.from(bytes).includes('/Encrypt'))
      throw new PdfRefused('is encrypted or password-protected: send it without a password or restrictions.');
    throw new PdfRefused('could not be read as a PDF (it is damaged or cut off).');
  }
  try {
    const leaves = pageLeaves(lib, src, opts.maxPages);
    strip(lib, src, leaves);
    const out = await lib.PDFDocument.create({ updateMetadata: false });
    const pages = await out.copyPages(
      src,
      leaves.map((_, i) => i),
    );
    for (const page of pages) out.addPage(page);
    return await out.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
  } catch (err) {
    if (err instanceof PdfRefused) throw err;
    throw new PdfRefused('could not be read as a PDF (its structure is damaged).');
  }
}
