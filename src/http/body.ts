import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import iconv from 'iconv-lite';
import multer from 'multer';
import { AppError } from '../core';
import { guardBody, verifyFormUtf8, verifyJsonUtf8 } from './input-guard';

const ACCEPTED = ['application/x-www-form-urlencoded', 'application/json', 'multipart/form-data'];

/** Files on a write (issue #18): where parts are spooled while the body arrives, and the limits. */
export interface FileLimits {
  dir: string;
  maxBytes: number;
  maxFiles: number;
}

/** A file part spooled to disk, removed when the response is done (src/media copies what it keeps). */
export interface BodyFile {
  field: string;
  name: string;
  path: string;
  size: number;
}

/** The field names clients send files under: three's `media`, FixMyStreet's `photo1`…, and the usual others. */
export const FILE_FIELD = /^(?:media|media\[\]|photo\d{0,3}|file)$/;

/**
 * Writes one file part to `target`. The file is opened before a byte is read, and on any failure (the
 * client gone, the part cut off, the disk full) it is closed and then removed before this settles: a
 * failed spool leaves nothing, whatever the order in which the stream, the open and multer's own abort
 * cleanup (which may run before the file exists) happen.
 */
export async function spool(stream: NodeJS.ReadableStream, dir: string, target: string): Promise<number> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    handle = await fs.promises.open(target, 'wx');
    const out = handle.createWriteStream();
    await pipeline(stream, out);
    return out.bytesWritten;
  } catch (err) {
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    await handle?.close().catch(() => undefined);
    if (handle) await fs.promises.rm(target, { force: true });
    throw err;
  }
}

/** Streams each file part to its own temporary file: an upload is never held whole in memory. */
function spoolStorage(dir: string): multer.StorageEngine {
  return {
    _handleFile(_req, file, cb) {
      const target = path.join(dir, `${crypto.randomBytes(12).toString('hex')}.upload`);
      // Known to multer at once, so a body aborted mid-file removes a partial file too (and spool
      // removes one that multer's cleanup came too early for).
      (file as Express.Multer.File).path = target;
      spool(file.stream, dir, target).then(
        (size) => cb(null, { path: target, size }),
        (err: Error) => cb(err),
      );
    },
    _removeFile(_req, file, cb) {
      fs.rm(file.path, { force: true }, () => cb(null));
    },
  };
}

const megabytes = (n: number) => `${Math.round((n / 1_048_576) * 10) / 10} MB`;
// eslint-disable-next-line no-control-regex
const shownName = (name: string) => name.replace(/[\u0000-\u001f\u007f"<>]/g, '').slice(0, 100);

/** The files of a parsed multipart body (none for other bodies). */
export function bodyFiles(req: Request): BodyFile[] {
  const files = (req.files ?? []) as Express.Multer.File[];
  return files.map((f) => ({ field: f.fieldname, name: f.originalname ?? '', path: f.path, size: f.size }));
}

/**
 * The JSON and form parsers of every route that reads a body. Bodies must be UTF-8, as paths must
 * (input-guard.ts): `verify` reads the raw bytes before parsing.
 */
export const jsonBody = (limitBytes: number) =>
  express.json({ limit: limitBytes, strict: true, verify: verifyJsonUtf8 });
export function formBody(limitBytes: number, extended = true) {
  const parse = express.urlencoded({
    extended,
    limit: limitBytes,
    parameterLimit: 1000,
    verify: verifyFormUtf8,
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['content-type'];
    if (!given || !WINDOWS_1252.test(given)) return parse(req, res, next);
    // windows-1252 is ISO-8859-1 but for the bytes 0x80–0x9F (€, ‚, „, …, ‘, ’, “, ”, –, —, ™…). The
    // parser reads ISO-8859-1 only, byte for byte (raw bytes and %XX escapes alike: each byte one
    // character), so the body is read as that and the characters of those 32 bytes are mapped afterwards.
    req.headers['content-type'] = given.replace(WINDOWS_1252, '$1iso-8859-1');
    parse(req, res, (err?: unknown) => {
      req.headers['content-type'] = given;
      if (!err && req.body && typeof req.body === 'object') fromLatin1ToWindows1252(req.body as object);
      next(err);
    });
  };
}

/** The charset parameter naming windows-1252 (WHATWG's labels cp1252 and x-cp1252 too), quoted or not. */
const WINDOWS_1252 = /(;\s*charset\s*=\s*)"?(?:windows-1252|cp1252|x-cp1252)"?(?=\s*(?:;|$))/i;

/** The characters of bytes 0x80–0x9F in windows-1252; the five it leaves undefined keep their C1 control. */
const CP1252_HIGH: ReadonlyMap<string, string> = new Map<string, string>(
  Array.from({ length: 32 }, (_, i) => {
    const byte = 0x80 + i;
    const char = iconv.decode(Buffer.from([byte]), 'windows-1252');
    return [String.fromCharCode(byte), char === '\ufffd' ? String.fromCharCode(byte) : char];
  }),
);
const C1 = /[\u0080-\u009f]/g;
const toCp1252 = (s: string) => s.replace(C1, (c) => CP1252_HIGH.get(c) ?? c);

/** Maps, in place, the parsed form's names and values read as ISO-8859-1 to windows-1252. */
function fromLatin1ToWindows1252(body: object): void {
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    const fixed = typeof value === 'string' ? toCp1252(value) : value;
    if (fixed && typeof fixed === 'object') fromLatin1ToWindows1252(fixed);
    const name = toCp1252(key);
    if (name !== key) {
      delete record[key];
      Object.defineProperty(record, name, {
        value: fixed,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (fixed !== value) record[key] = fixed;
  }
}

/** Whether a request carries a body (a length above 0, or chunked). */
function hasBody(req: Request): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

function unsupportedType(given: string | undefined, accepted: readonly string[]): AppError {
  return new AppError(
    415,
    given
      ? `Content-Type ${given.split(';')[0]} is not accepted: use ${accepted.join(', ')}.`
      : `The request has a body but no Content-Type: send it as ${accepted.join(', ')}.`,
  );
}

/**
 * A router's accepted body types: a body of another type, or without a Content-Type, is a 415 saying
 * which to use (rather than a 400 or 403 about fields its parser never read).
 */
export function bodyTypes(accepted: readonly string[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!hasBody(req)) return next();
    const given = req.headers['content-type'];
    const type = given?.toLowerCase();
    next(type && accepted.some((a) => type.startsWith(a)) ? undefined : unsupportedType(given, accepted));
  };
}

/**
 * Body parsing for writes: form-urlencoded (the Open311 default), JSON and multipart, whose file parts
 * (with `files`) are spooled to disk and listed by `bodyFiles`. Sizes are bounded (413); other content
 * types are refused (415).
 */
export function writeBody(limitBytes: number, files?: FileLimits) {
  const form = formBody(limitBytes);
  const json = jsonBody(limitBytes);
  const maxFiles = files?.maxFiles ?? 0;
  const multer0 = multer({
    ...(files ? { storage: spoolStorage(files.dir) } : {}),
    limits: {
      fieldSize: limitBytes,
      fields: 1000,
      files: maxFiles,
      parts: 1000 + maxFiles,
      ...(files ? { fileSize: files.maxBytes } : {}),
    },
    fileFilter: (_req, file, cb) =>
      FILE_FIELD.test(file.fieldname)
        ? cb(null, true)
        : cb(
            new AppError(
              400,
              `Files are accepted in the fields media, media[], photo, photo1 to photoN and file, not in "${shownName(file.fieldname).slice(0, 40)}".`,
            ),
          ),
  }).any();
  // busboy's and multer's own failures (no boundary, "Unexpected end of form", a part without a field
  // name) are the client's body: a 400. A file too large is a 413 naming it; too many files a 400.
  const multipart = (req: Request, res: Response, next: NextFunction) =>
    multer0(req, res, (err?: unknown) => {
      if (!err) return next(multipartText(req.body));
      if (err instanceof AppError) return next(err);
      const e = err as { code?: unknown; field?: string; filename?: string };
      if (e.code === 'LIMIT_FILE_SIZE' && files) {
        const name = shownName(e.filename ?? '');
        return next(
          new AppError(
            413,
            `The file ${name ? `"${name}" ` : ''}(${shownName(e.field ?? '')}) is larger than ${megabytes(files.maxBytes)}, the most accepted for one file.`,
          ),
        );
      }
      if (e.code === 'LIMIT_FILE_COUNT')
        return next(
          new AppError(
            400,
            maxFiles === 0
              ? 'This endpoint takes no files: send photos as media_url.'
              : `At most ${maxFiles} files may be sent at once.`,
          ),
        );
      if (typeof e.code === 'string' && e.code.startsWith('LIMIT_')) return next(err);
      next(new AppError(400, `The multipart body could not be read: ${multipartReason(err)}`));
    });
  // Spooled files go when the answer is sent, whatever it was (stored ones were copied by then).
  const cleanup = (req: Request, res: Response, next: NextFunction) => {
    res.on('close', () => {
      for (const f of bodyFiles(req)) if (f.path) fs.rm(f.path, { force: true }, () => undefined);
    });
    next();
  };
  // One parser per request, chosen by the Content-Type (issue #21: not three parsers each checking it).
  const parse = (req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['content-type'];
    const type = given?.toLowerCase();
    if (type?.startsWith('application/x-www-form-urlencoded')) return form(req, res, next);
    if (type?.startsWith('application/json')) return json(req, res, next);
    if (type?.startsWith('multipart/form-data')) return cleanup(req, res, () => multipart(req, res, next));
    if (hasBody(req)) return next(unsupportedType(given, ACCEPTED));
    next();
  };
  return [
    parse,
    (req: Request, _res: Response, next: NextFunction) => {
      req.body ??= {};
      next();
    },
    guardBody,
  ];
}

/**
 * The text fields of a parsed multipart body, as the JSON and form bodies' are read (input-guard.ts): busboy
 * decodes a part as UTF-8 unless the part names its charset, and puts U+FFFD in place of bytes that are not
 * UTF-8 without a word, so a field holding U+FFFD is a 400 rather than text stored with the resident's
 * letters lost (a client that means U+FFFD sends JSON). A part labelled windows-1252 or ISO-8859-1 is
 * read by busboy as ISO-8859-1, byte for byte; its bytes 0x80–0x9F (€, ‘, ’, “, ”, –, …), C1 controls
 * there, are mapped to windows-1252's characters, as WHATWG's encoding standard reads both labels (UTF-8
 * never yields a C1 control for text). Returns the 400, or undefined, mapping the fields in place.
 */
function multipartText(body: unknown): AppError | undefined {
  if (!body || typeof body !== 'object') return undefined;
  // A part whose charset busboy cannot decode (charset=x-bogus, cp037) comes with no value at all: the
  // field was dropped without a word (a description lost, or "service_code is required" for a code sent).
  const undecoded = fieldHolding(body, '', (s) => s === undefined);
  if (undecoded !== null)
    return new AppError(
      415,
      `The body field ${undecoded} names a charset this server does not read: send multipart text in UTF-8, windows-1252 or ISO-8859-1.`,
    );
  const lost = fieldHolding(body, '', (s) => s?.includes('\ufffd') === true);
  if (lost !== null)
    return new AppError(
      400,
      `The body field ${lost} is not valid UTF-8: send multipart text in UTF-8, or name the part's charset (Content-Type: text/plain; charset=windows-1252).`,
    );
  fromLatin1ToWindows1252(body);
  return undefined;
}

/** The first field (by its shown name) whose name or string (or missing) value `bad` holds, or null. */
function fieldHolding(value: object, path: string, bad: (s: string | undefined) => boolean): string | null {
  for (const [k, v] of Object.entries(value)) {
    const name = path ? `${path}[${k}]` : k;
    if (bad(k) || ((typeof v === 'string' || v === undefined) && bad(v as string | undefined)))
      return JSON.stringify(shownName(name).slice(0, 60));
    if (v && typeof v === 'object') {
      const inner = fieldHolding(v as object, name, bad);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/** busboy's message, kept only when it is one of its short fixed texts (never echoing input). */
function multipartReason(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  return /^[\w :.-]{1,80}$/.test(message) ? `${message.replace(/\.$/, '')}.` : 'it is malformed.';
}
