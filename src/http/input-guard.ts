/**
 * No input reaches the database unchecked (issue #15.2): a path that does not decode, or any path segment,
 * query parameter, body field or field name holding a character that is not text (NUL and the other C0
 * controls but tab, LF and CR; U+FFFE/U+FFFF; lone surrogates — what XML 1.0 cannot carry and PostgreSQL
 * refuses in text) is a 400 naming where it was, before any route runs a query.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../core';

const NOT_TEXT =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isText = (s: string): boolean => !NOT_TEXT.test(s);

const MAX_DEPTH = 20;

/** The first place in `value` (a parsed query or body) holding a non-text string, as a field path. */
export function nonTextField(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'string') return isText(value) ? null : path || 'the body';
  if (depth > MAX_DEPTH) return path || 'the body';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonTextField(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const name = path ? `${path}[${k}]` : k;
      if (!isText(k)) return `a field name${path ? ` in ${path}` : ''}`;
      const found = nonTextField(v, name, depth + 1);
      if (found) return found;
    }
  }
  return null;
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
  const field = nonTextField(req.query);
  if (field)
    return next(
      new AppError(
        400,
        `The query parameter ${printable(field)} holds a control character or another non-text character.`,
      ),
    );
  next();
}

/** After a body parser: every field and field name must be text. */
export function guardBody(req: Request, _res: Response, next: NextFunction): void {
  const field = nonTextField(req.body);
  if (field)
    return next(
      new AppError(
        400,
        `The body field ${printable(field)} holds a control character or another non-text character.`,
      ),
    );
  next();
}
