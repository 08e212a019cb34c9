/**
 * No input reaches the database unchecked (issue #15.2): a path that does not decode, or any path segment,
 * query parameter, body field or field name holding a character that is not text (NUL and the other C0
 * controls but tab, LF and CR; U+FFFE/U+FFFF; lone surrogates — what XML 1.0 cannot carry and PostgreSQL
 * refuses in text; and DEL and the C1 controls U+0080–U+009F, which no written text holds: they are
 * windows-1252 text read as ISO-8859-1, or its five undefined bytes) is a 400 naming where it was, before
 * any route runs a query.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../core';

const NOT_TEXT =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isText = (s: string): boolean => !NOT_TEXT.test(s);

export const MAX_DEPTH = 20;

/** Where a parsed query or body first holds what it may not: a non-text string, or nesting too deep. */
interface Finding {
  field: string;
  tooDeep: boolean;
}

function find(value: unknown, path: string, depth: number): Finding | null {
  if (typeof value === 'string') return isText(value) ? null : { field: path || 'the body', tooDeep: false };
  if (depth > MAX_DEPTH) return { field: path || 'the body', tooDeep: true };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const name = path ? `${path}[${k}]` : k;
      if (!isText(k)) return { field: `a field name${path ? ` in ${path}` : ''}`, tooDeep: false };
      const found = find(v, name, depth + 1);
      if (found) return found;
    }
  }
  return null;
}

/** The first place in `value` (a parsed query or body) holding a non-text string, as a field path. */
export function nonTextField(value: unknown): string | null {
  const found = find(value, '', 0);
  return found && !found.tooDeep ? found.field : null;
}

/** What is wrong where `find` stopped, for a 400 (`where`: "The body field", "The query parameter"). */
function describeFinding(where: string, found: Finding): string {
  const top = found.field.split('[')[0];
  if (found.tooDeep)
    return top
      ? `${where} ${printable(top)} is nested more than ${MAX_DEPTH} levels deep.`
      : `The ${where.includes('query') ? 'query' : 'body'} is nested more than ${MAX_DEPTH} levels deep.`;
  return `${where} ${printable(found.field)} holds a control character or another non-text character.`;
}

/** Field names in messages: printable, short (they were just found to hold control characters). */
const printable = (s: string) => JSON.stringify(s.slice(0, 60)).slice(1, -1);

/** App-level, first: the path must decode as UTF-8 and hold only text; so must every query parameter. */
export function guardPathAndQuery(req: Request, _res: Response, next: NextFunction): void {
  for (const segment of req.path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return next(new AppError(400, 'The path holds a percent-escape that is not valid UTF-8.'));
    }
    if (!isText(decoded))
      return next(new AppError(400, 'The path holds a control character or another non-text character.'));
  }
  const found = find(req.query, '', 0);
  if (found) return next(new AppError(400, describeFinding('The query parameter', found)));
  next();
}

/** After a body parser: every field and field name must be text. */
export function guardBody(req: Request, _res: Response, next: NextFunction): void {
  const found = find(req.body, '', 0);
  if (found) return next(new AppError(400, describeFinding('The body field', found)));
  next();
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as UTF-8, or null when they are not valid UTF-8 (never U+FFFD in place of a bad byte). */
function utf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Whether a raw form name or value (read byte for byte as latin1) is UTF-8 once its `%XX` escapes are
 * bytes. A `%` that starts no escape stays a `%`, as the form parser keeps it ("100% sure" is text).
 */
function isFormUtf8(latin1: string): boolean {
  const bytes = latin1.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
  return utf8(Buffer.from(bytes, 'latin1')) !== null;
}

/** A field name for a message, from a name that may not decode: what does decode, printable and short. */
function shownFieldName(latin1: string): string {
  const lenient = Buffer.from(latin1, 'latin1').toString('utf8').replace(/\+/g, ' ');
  let name: string;
  try {
    name = decodeURIComponent(lenient);
  } catch {
    name = lenient;
  }
  return printable(name);
}

/**
 * body-parser `verify` for form bodies: each name and value, raw bytes and percent-escapes alike, must be
 * UTF-8. The form parser itself would put U+FFFD for a raw bad byte and keep an escape that does not decode
 * as its literal text, storing either without a word. Read byte for byte (latin1) and split at `&` and `=`,
 * which no multi-byte UTF-8 sequence holds; each part's bytes are then decoded strictly. Other charsets are left to
 * the parser.
 */
export function verifyFormUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (!/^utf-?8$/i.test(encoding)) return;
  if (!buf.includes(0x25) && utf8(buf) !== null) return; // no escapes, and the bytes are UTF-8
  for (const pair of buf.toString('latin1').split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (!isFormUtf8(name))
      throw new AppError(
        400,
        `A field name of the body (${shownFieldName(name)}) is not valid UTF-8 (percent-escapes must encode UTF-8).`,
      );
    if (eq >= 0 && !isFormUtf8(pair.slice(eq + 1)))
      throw new AppError(
        400,
        `The body field ${shownFieldName(name)} is not valid UTF-8 (percent-escapes must encode UTF-8).`,
      );
  }
}

/** body-parser `verify` for JSON bodies in UTF-8: bytes that are not UTF-8 are a 400, not U+FFFD stored. */
export function verifyJsonUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && utf8(buf) === null)
    throw new AppError(400, 'The JSON body is not valid UTF-8.');
}
