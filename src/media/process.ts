/**
 * One uploaded file → what may be published (issue #18.2, #18.3). The type is judged by the content (magic
 * bytes), never by the name or the declared type. Images are decoded and re-encoded by sharp, which writes
 * no metadata unless asked (no EXIF, GPS, XMP, IPTC; colours converted to sRGB), after turning them upright
 * from their EXIF orientation; a thumbnail is made for lists and the dashboard. PDFs are rewritten as a new
 * document holding only their pages (./pdf.ts): no Info fields, XMP, actions, JavaScript, annotations or
 * attached files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type FileTypeModule from 'file-type';
import type Sharp from 'sharp';
import { AppError, badRequest } from '../core';
import { PdfRefused, sanitizePdf } from './pdf';

/** A file part as the body parser left it on disk. */
export interface UploadedFile {
  field: string;
  name: string;
  path: string;
  size: number;
}

export type MediaKind = 'image' | 'pdf';

export interface ProcessedFile {
  kind: MediaKind;
  contentType: string;
  ext: string;
  bytes: number;
  width: number | null;
  height: number | null;
  sha256: string;
  file: string;
  thumb: { file: string; ext: string; contentType: string } | null;
}

/**
 * sharp (libvips, ~17 MB with the S3 client and 0.2–0.6 s to load: docs/decisions/0002-performance.md) and
 * file-type are loaded when the first upload is judged, not at start. A memo of the loaded module, the
 * same for every context. Loaded outside any try: a missing or broken sharp is a 500 logged in full, never
 * a 400 blaming the file.
 */
let sharpModule: typeof Sharp | undefined;

function sharp(): typeof Sharp {
  if (sharpModule) return sharpModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('sharp') as typeof Sharp;
  // Memory over speed: no libvips operation cache (each upload is decoded once), one thread per image (the
  // context's imageSlots bound how many images are decoded at once).
  loaded.cache(false);
  loaded.concurrency(1);
  sharpModule = loaded;
  return loaded;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fileType = (): typeof FileTypeModule => require('file-type') as typeof FileTypeModule;

type Output = 'jpeg' | 'png' | 'webp';

/** Accepted content types and what they are re-encoded as (HEIC/AVIF become JPEG, which every browser shows). */
const IMAGE_OUTPUT: Record<string, Output> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/heic': 'jpeg',
  'image/heif': 'jpeg',
  'image/avif': 'jpeg',
};
const OUTPUT_TYPE: Record<Output, { ext: string; contentType: string }> = {
  jpeg: { ext: 'jpg', contentType: 'image/jpeg' },
  png: { ext: 'png', contentType: 'image/png' },
  webp: { ext: 'webp', contentType: 'image/webp' },
};
export const THUMB_PX = 320;

/** How a file is named in messages: its field and its name, printable and short (the name is the client's). */
export function describeFile(f: Pick<UploadedFile, 'field' | 'name'>): string {
  // eslint-disable-next-line no-control-regex
  const name = f.name.replace(/[\u0000-\u001f\u007f"<>]/g, '').slice(0, 100);
  return name ? `The file "${name}" (${f.field})` : `The file in ${f.field}`;
}

/** The detected type of an accepted file, or a 400 naming it. Reads only the first bytes. */
export async function detectType(f: UploadedFile): Promise<{ kind: MediaKind; mime: string }> {
  const type = await fileType().fromFile(f.path);
  if (type?.mime === 'application/pdf') return { kind: 'pdf', mime: type.mime };
  if (type && type.mime in IMAGE_OUTPUT) return { kind: 'image', mime: type.mime };
  throw badRequest(
    `${describeFile(f)} is not a photo or a PDF (its content is ${type ? type.mime : 'not a known file type'}, whatever its name says): send JPEG, PNG, WebP or HEIC photos, or PDF documents.`,
  );
}

async function sha256Of(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function encoder(image: Sharp.Sharp, output: Output): Sharp.Sharp {
  if (output === 'png') return image.png();
  if (output === 'webp') return image.webp({ quality: 85 });
  // Without optimised Huffman tables: they need every coefficient of the image in memory at once (about
  // 200 MB more per 12-megapixel photo), for files a few per cent smaller.
  return image.jpeg({ quality: 85, optimiseCoding: false });
}

/**
 * Checks the declared size before decoding anything (a tiny file may declare billions of pixels); returns
 * the EXIF orientation.
 */
async function checkPixels(f: UploadedFile, maxPixels: number): Promise<number> {
  const open = sharp();
  let meta: Sharp.Metadata;
  try {
    meta = await open(f.path, { limitInputPixels: false }).metadata();
  } catch {
    throw badRequest(
      `${describeFile(f)} could not be read as an image (it is damaged or of a kind this server cannot decode).`,
    );
  }
  const { width, height } = meta;
  if (!width || !height) throw badRequest(`${describeFile(f)} could not be read as an image.`);
  if (width * height > maxPixels)
    throw badRequest(
      `${describeFile(f)} declares ${width}×${height} pixels, more than the ${Math.floor(maxPixels / 1_000_000)} megapixels accepted.`,
    );
  return meta.orientation ?? 1;
}

/** Validates and turns one upload into the files to publish (in `workDir`); a 400 naming the file otherwise. */
export async function processFile(
  f: UploadedFile,
  type: { kind: MediaKind; mime: string },
  opts: { maxPixels: number; maxPdfPages: number; workDir: string },
): Promise<ProcessedFile> {
  const base = path.join(opts.workDir, crypto.randomBytes(12).toString('hex'));
  if (type.kind === 'pdf') {
    let clean: Uint8Array;
    try {
      clean = await sanitizePdf(await fs.promises.readFile(f.path), { maxPages: opts.maxPdfPages });
    } catch (err) {
      if (err instanceof PdfRefused) throw badRequest(`${describeFile(f)} ${err.reason}`);
      throw err;
    }
    const file = `${base}.pdf`;
    await fs.promises.writeFile(file, clean);
    return {
      kind: 'pdf',
      contentType: 'application/pdf',
      ext: 'pdf',
      bytes: clean.length,
      width: null,
      height: null,
      sha256: await sha256Of(file),
      file,
      thumb: null,
    };
  }
  const orientation = await checkPixels(f, opts.maxPixels);
  const output = IMAGE_OUTPUT[type.mime] ?? 'jpeg';
  const { ext, contentType } = OUTPUT_TYPE[output];
  const file = `${base}.${ext}`;
  const thumbFile = `${base}.thumb.${ext}`;
  const open = sharp();
  let info: Sharp.OutputInfo;
  try {
    // Upright from the EXIF orientation, which is then dropped with the rest of the metadata. Only when
    // needed: turning needs the whole image decoded, an upright one is streamed through in strips.
    const input = open(f.path, { limitInputPixels: opts.maxPixels, failOn: 'error' });
    info = await encoder(orientation > 1 ? input.rotate() : input, output).toFile(file);
    await encoder(
      open(file).resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true }),
      output,
    ).toFile(thumbFile);
  } catch (err) {
    await Promise.all([file, thumbFile].map((p) => fs.promises.rm(p, { force: true })));
    if (err instanceof AppError) throw err;
    throw badRequest(
      `${describeFile(f)} could not be read as an image (it is damaged or of a kind this server cannot decode).`,
    );
  }
  return {
    kind: 'image',
    contentType,
    ext,
    bytes: info.size,
    width: info.width,
    height: info.height,
    sha256: await sha256Of(file),
    file,
    thumb: { file: thumbFile, ext, contentType },
  };
}
