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

const SECRET_PARAMS =
  /([?&](?:api_key|email|phone|first_name|last_name|device_id|deviceid|account_id|token)=)[^&]*/gi;

export function scrubUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
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
 * The access log: one line per request at `info` (5xx at `error`), so LOG_LEVEL=warn silences it. Who
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
      const err = new Error(aborted ? 'Aborted' : `failed with status code ${res.statusCode}`);
      (req.log as Logger).error(
        {
          res: { statusCode: res.statusCode },
          err,
          responseTime: Math.round(performance.now() - started),
          ...accessFields(req as LoggedRequest, res as LoggedResponse),
        },
        `${req.method} ${routeOf(req as LoggedRequest) ?? '(no route)'} ${res.statusCode}: ${err.message}`,
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
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res, ms) =>
      `${req.method} ${routeOf(req as LoggedRequest) ?? '(no route)'} ${res.statusCode} ${ms} ms`,
    customErrorMessage: (req, res, err) =>
      `${req.method} ${routeOf(req as LoggedRequest) ?? '(no route)'} ${res.statusCode}: ${err.message}`,
    customSuccessObject: (req, res, value: object) => ({
      ...value,
      ...accessFields(req as LoggedRequest, res as LoggedResponse),
    }),
    customErrorObject: (req, res, _err, value: object) => ({
      ...value,
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
