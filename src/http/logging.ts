import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { LogLevel } from '../config';

/**
 * Personal data that Open311 carries (OPEN311.md: email, phone, names, device, account) and secrets never
 * reach a log line: bodies are not logged, URLs lose their query values for secret parameters, and these
 * paths are redacted wherever a log call includes them.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.email',
  '*.phone',
  '*.first_name',
  '*.last_name',
  '*.device_id',
  '*.deviceid',
  '*.account_id',
  '*.api_key',
  '*.password',
];

/** Logs go to stdout unless `destination` says otherwise (operator commands log to stderr). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'open311' } };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Query parameters whose values never reach a log: secrets and personal data, by what their names say
 * however a client spells them (`api_key`, `%61pi_key`, `apikey`, `X-API-Key`, `email[]`, `phone_number`,
 * `contact[email]`, `password`, `first_name`, `device_id`, a survey `token`). The server reads only
 * `api_key` in a query, but clients send the others there too (outside probe, 5 December).
 */
const SECRET_NAME =
  /key|token|secret|passw|e-?mail|phone|mobile|first_?name|last_?name|surname|device|account|contact/;

/** Values that hold an e-mail address or a phone number, whatever parameter carries them. */
const EMAIL_LIKE = /[^\s@]@[^\s@]+\.[^\s@]/;
// Seven digits or more with a separator or a leading +: 617-555-0100, (617) 555 0100, +1 617 555 0100;
// not a number (ids, coordinates: no dots here) nor a date (2026-03-08).
const PHONE_IN = /\+?\d[\d\s()-]{5,}\d/g;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function looksPersonal(raw: string): boolean {
  const value = decoded(raw);
  if (EMAIL_LIKE.test(value)) return true;
  for (const [m] of value.matchAll(PHONE_IN)) {
    const t = m.trim();
    if ((t.match(/\d/g)?.length ?? 0) >= 7 && /[\s()+-]/.test(t) && !DATE.test(t)) return true;
  }
  return false;
}

/** Paths whose last segment is a secret: a resident's one-time survey link. */
const SECRET_PATH = /^(\/surveys\/)[^/?#]+/;

function decoded(raw: string): string {
  const text = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a text that does not decode is compared as written
  }
}

const secretName = (raw: string): boolean => SECRET_NAME.test(decoded(raw).toLowerCase());

/**
 * The URL as logged: the values of secret and personal query parameters, however their names are written
 * (`%61pi_key`, `email[]`, `EMAIL`, `apikey`, `contact[email]`), any value that looks like an e-mail address
 * or a phone number, a path segment holding an e-mail address, and a survey link's token are replaced by
 * `[redacted]`.
 */
export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q))
    .replace(SECRET_PATH, '$1[redacted]')
    .split('/')
    .map((segment) => (EMAIL_LIKE.test(decoded(segment)) ? '[redacted]' : segment))
    .join('/');
  if (q < 0) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      const name = part.slice(0, eq);
      return secretName(name) || looksPersonal(part.slice(eq + 1)) ? `${name}=[redacted]` : part;
    })
    .join('&');
  return `${path}?${query}`;
}

/** Request ids: honour a sane incoming X-Request-Id, otherwise make one; echoed on every response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id =
    typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

type LoggedRequest = IncomingMessage & { ip?: string; baseUrl?: string; route?: { path?: unknown } };
type LoggedResponse = ServerResponse & { locals?: { apiKey?: { id: number | null }; userId?: unknown } };

const ROUTE = Symbol('open311.route');
type Tracked = LoggedRequest & { [ROUTE]?: string };

/**
 * The route pattern that answered (`/open311/v2/requests/:service_request_id.:format`), never the raw URL.
 * Noted when the router matches (its mount path is known then; an error leaving the router resets it).
 */
export function trackRoute(req: Tracked): void {
  if (ROUTE in req) return; // tracked already (the metrics and the access log both ask)
  req[ROUTE] = undefined;
  let route: LoggedRequest['route'];
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: LoggedRequest['route']) => {
      route = value;
      if (typeof value?.path === 'string') req[ROUTE] = `${req.baseUrl ?? ''}${value.path}`;
    },
  });
}

export function routeOf(req: LoggedRequest): string | null {
  return (req as Tracked)[ROUTE] ?? null;
}

/**
 * The level of a request's access line: `error` for a server failure, `warn` for a 503 (the database or a
 * dependency is away: the client is told to retry, readiness already reports it, and an alert on `error`
 * lines should not fire once per request of an outage) and for a client that went away before its answer
 * was sent ("Aborted": a closed tab, a load generator stopping, a mobile app losing signal; not the
 * server's failure, so no `error` line per closed connection), else `info`.
 */
function accessLevel(status: number, failed: boolean, aborted = false): 'error' | 'warn' | 'info' {
  if (status === 503) return 'warn';
  if (status >= 500) return 'error';
  if (aborted) return 'warn';
  return failed ? 'error' : 'info';
}

/**
 * The error of a failed response's access line. The failure itself is logged where it happened (the error
 * handler's line, same request id); here only its message, not the stack of a placeholder error made in
 * the logging code (pino-http's "failed with status code 500" points into its own internals).
 */
function accessError(err: Error): Error {
  return /^(failed with status code \d+|Aborted)$/.test(err.message) ? messageOnly(err.message) : err;
}

/** An error whose stack is its message line alone (no frames of the logging code). */
function messageOnly(message: string): Error {
  return Object.assign(new Error(message), { stack: `Error: ${message}` });
}

/**
 * The access log: one line per request at `info` (5xx at `error`, 503 at `warn`), so LOG_LEVEL=warn
 * silences successful ones. Who
 * asked is the key's id (`env` for ADMIN_API_KEY) or a user id, never the secret; the URL is scrubbed.
 */
function accessFields(req: LoggedRequest, res: LoggedResponse) {
  const key = res.locals?.apiKey;
  return {
    route: routeOf(req),
    status: res.statusCode,
    key_id: key ? (key.id === null ? 'env' : String(key.id)) : undefined,
    user_id: res.locals?.userId === undefined ? undefined : String(res.locals.userId),
    client: req.ip ?? req.socket?.remoteAddress,
  };
}

/**
 * The access log middleware. At LOG_LEVEL=info or lower, pino-http. Above (warn, error: success lines are
 * not written), a lean equivalent that does per request only what those levels need (issue #21: pino-http
 * builds a child logger per request, serialising the request, even when no line will be written): the
 * request id and its header, the route, `req.log` made when first asked for, and the error line of a
 * response that fails (5xx) or is aborted, with the same fields and message as pino-http writes.
 */
export function httpLogger(logger: Logger) {
  return logger.isLevelEnabled('info') ? fullHttpLogger(logger) : leanHttpLogger(logger);
}

const serialisedReq = (req: IncomingMessage & { id?: unknown }) => ({
  id: req.id,
  method: req.method,
  url: scrubUrl(req.url ?? ''),
});

function leanHttpLogger(logger: Logger) {
  return (req: IncomingMessage & { id?: unknown; log?: Logger }, res: ServerResponse, next: () => void) => {
    trackRoute(req as Tracked);
    req.id = requestId(req, res);
    // A duration, not a time of day: the monotonic clock (the injected clock is for dates).
    const started = performance.now();
    let log: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: true,
      get: () => (log ??= logger.child({ req: serialisedReq(req) })),
      set: (value: Logger) => {
        log = value;
      },
    });
    const done = (aborted: boolean) => {
      res.removeListener('close', onClose);
      res.removeListener('finish', onFinish);
      if (!aborted && res.statusCode < 500) return;
      const message = aborted ? 'Aborted' : `failed with status code ${res.statusCode}`;
      (req.log as Logger)[accessLevel(res.statusCode, false, aborted)](
        {
          res: { statusCode: res.statusCode },
          err: messageOnly(message),
          responseTime: Math.round(performance.now() - started),
          ...accessFields(req as LoggedRequest, res as LoggedResponse),
        },
        `${req.method} ${routeOf(req as LoggedRequest) ?? '(no route)'} ${res.statusCode}: ${message}`,
      );
    };
    const onFinish = () => done(false);
    const onClose = () => done(!res.writableFinished);
    res.on('finish', onFinish);
    res.on('close', onClose);
    next();
  };
}

function fullHttpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      trackRoute(req as Tracked);
      return requestId(req, res);
    },
    customLogLevel: (_req, res, err) => accessLevel(res.statusCode, Boolean(err)),
    customSuccessMessage: (req, res, ms) =>
      `${req.method} ${routeOf(req as LoggedRequest) ?? '(no route)'} ${res.statusCode} ${ms} ms`,
    customErrorMessage: (req, res, err) =>
      `${req.method} ${routeOf(req as LoggedRequest) ?? '(no route)'} ${res.statusCode}: ${err.message}`,
    customSuccessObject: (req, res, value: object) => ({
      ...value,
      ...accessFields(req as LoggedRequest, res as LoggedResponse),
    }),
    customErrorObject: (req, res, err, value: object) => ({
      ...value,
      err: accessError(err),
      ...accessFields(req as LoggedRequest, res as LoggedResponse),
    }),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: scrubUrl(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
