/**
 * Reading query and body parameters the Open311 way: an empty value is absent, a repeated scalar takes
 * its first value (lists and typed query parameters: http/validation.ts `queryInput`).
 */
import type { NextFunction, Request, Response } from 'express';
import { badRequest, type Problems } from '../core';

export type RawParams = Record<string, unknown>;

export function scalar(params: RawParams, name: string): string | undefined {
  let v = params[name];
  if (Array.isArray(v)) v = v.find((x) => typeof x === 'string' && x.trim() !== '');
  if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** A `true`/`false` query flag (absent: false); any other value is a 400 naming it. */
export function flag(params: RawParams, name: string): boolean {
  const v = scalar(params, name);
  if (v !== undefined && v !== 'true' && v !== 'false') throw badRequest(`${name} must be true or false.`);
  return v === 'true';
}

export function number(
  params: RawParams,
  name: string,
  problems: Problems,
  range: { min: number; max: number; integer?: boolean },
): number | undefined {
  const raw = scalar(params, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (
    !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) ||
    !Number.isFinite(n) ||
    n < range.min ||
    n > range.max ||
    (range.integer && !Number.isInteger(n))
  ) {
    problems.add(
      `${name} must be ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max} (got "${raw.slice(0, 40)}").`,
    );
    return undefined;
  }
  return n;
}

/** What one body field holds: one text value, one number (or numeric text), or text that may repeat. */
export type FieldShape = 'text' | 'number' | 'texts';

const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Problems with the shape of the named body fields, each naming its field. A JSON body says what its
 * client meant, so a list or an object where one value belongs is a 400, not its first item kept (or the
 * field dropped). A form repeats a key to send a list, and a repeated scalar takes its first value (the
 * Open311 reading, `scalar` above); an object (`description[a]=1`) is never one value in either. Numbers
 * and booleans stay accepted as text (`scalar` turns them into text, as JSON clients have relied on).
 */
export function shapeProblems(body: unknown, shapes: Record<string, FieldShape>, json: boolean): string[] {
  if (json && (Array.isArray(body) || typeof body !== 'object' || body === null))
    return ['The JSON body must be an object of fields.'];
  const problems: string[] = [];
  // No body (a content type this route's parsers do not read) holds no field.
  const params = (body && typeof body === 'object' ? body : {}) as RawParams;
  for (const [name, shape] of Object.entries(shapes)) {
    const v = params[name];
    if (v === undefined || v === null) continue;
    const what = shape === 'number' ? 'a number' : 'a string';
    if (Array.isArray(v)) {
      if (shape === 'texts' && v.every(isScalar)) continue;
      if (shape === 'texts') problems.push(`${name} must be a string or a list of strings.`);
      else if (json) problems.push(`${name} must be ${what}, not a list (send one value).`);
      else if (!v.every(isScalar)) problems.push(`${name} must be ${what}, not an object.`);
    } else if (typeof v === 'object') {
      problems.push(
        `${name} must be ${shape === 'texts' ? 'a string or a list of strings' : what}, not an object.`,
      );
    } else if (shape === 'number' && typeof v === 'boolean') {
      problems.push(`${name} must be a number.`);
    }
  }
  return problems;
}

/** Middleware after a write's body parser: a 400 listing every field of `shapes` given in the wrong shape. */
export function bodyShapes(shapes: Record<string, FieldShape>) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const problems = shapeProblems(req.body, shapes, Boolean(req.is('application/json')));
    next(problems.length > 0 ? badRequest(problems) : undefined);
  };
}
