/**
 * One error type for everything a client can get wrong. It carries the HTTP status and one or more
 * Open311 errors (`[{code, description}]`), rendered in the requested format by `errorHandler`.
 */
export interface Open311Error {
  code: number;
  description: string;
}

export class AppError extends Error {
  readonly errors: Open311Error[];
  /** Extra response headers, e.g. Retry-After on 429. */
  headers: Record<string, string> = {};
  /** A client error that reached the database: logged, so the missing check gets found and added. */
  logAsWarning = false;

  constructor(
    readonly status: number,
    descriptions: string | string[],
  ) {
    const list = Array.isArray(descriptions) ? descriptions : [descriptions];
    super(list.join(' '));
    this.name = 'AppError';
    this.errors = list.map((description) => ({ code: status, description }));
  }
}

export const badRequest = (descriptions: string | string[]): AppError => new AppError(400, descriptions);
export const notFound = (description: string): AppError => new AppError(404, description);
export const forbidden = (description: string): AppError => new AppError(403, description);

/** Collects several input problems so a client hears about all of them at once. */
export class Problems {
  private readonly list: string[] = [];
  add(description: string): void {
    this.list.push(description);
  }
  get any(): boolean {
    return this.list.length > 0;
  }
  throwIfAny(status = 400): void {
    if (this.list.length > 0) throw new AppError(status, this.list);
  }
}

/** PostgreSQL error codes that mean "the database is not there" rather than "the query is wrong". */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  '08004',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** Connection-level failures pg and knex report by message only (a database stopped mid-query). */
const UNAVAILABLE_MESSAGES =
  /Knex: Timeout acquiring a connection|PGlite is closed|Connection terminated|Client has encountered a connection error|Connection ended unexpectedly|the database system is (shutting down|starting up)|terminating connection due to administrator command|Client was closed and is not queryable|Cannot use a pool after calling end/i;

/**
 * SQLSTATE class 22 ("data exception": a value the column's type cannot hold — a bigint out of range,
 * text that is not a number, a date past the range, a NUL in text) can only come from a value a client
 * sent that a check missed: a 400, never a 500 (the handler still logs it as a warning).
 */
const DATA_EXCEPTION = /^22[0-9A-Z]{3}$/;

/**
 * A deadlock (40P01) or a serialization failure (40001): two writes met on the same rows at the same
 * moment, the database rolled this one back whole, and the same request sent again goes through. A 503
 * with a short Retry-After, as a client retries it, never a 500.
 */
const TRANSIENT_CONFLICT: ReadonlySet<string> = new Set(['40P01', '40001']);

/** The answer to a write that met another on the same rows and was not applied: 503, send it again. */
export function transientConflict(): AppError {
  const e = new AppError(
    503,
    'The request met another change to the same data at the same moment and was not applied: send it again.',
  );
  e.headers['Retry-After'] = '1';
  e.logAsWarning = true;
  return e;
}

/**
 * Translates database failures at the edge: unreachable or a transient conflict → 503, bad value → 400,
 * never a stack trace.
 */
export function translateDatabaseError(err: unknown): AppError | null {
  const code = (err as { code?: string } | null)?.code;
  if (code && DATA_EXCEPTION.test(code)) {
    const e = new AppError(
      400,
      'A value in the request is not valid for its field (out of range or malformed).',
    );
    e.logAsWarning = true;
    return e;
  }
  if (code && TRANSIENT_CONFLICT.has(code)) return transientConflict();
  const message = (err as Error | null)?.message ?? '';
  if ((code && UNAVAILABLE_CODES.has(code)) || UNAVAILABLE_MESSAGES.test(message)) {
    const e = new AppError(503, 'The service is temporarily unavailable. Please try again shortly.');
    e.headers['Retry-After'] = '5';
    return e;
  }
  return null;
}

/** Input quoted in an error message: at most `max` characters of it (a 5,000-character token is not echoed whole). */
export const quoted = (s: string, max = 60): string => (s.length > max ? `${s.slice(0, max)}…` : s);
