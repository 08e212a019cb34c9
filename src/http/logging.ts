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

export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestId,
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: scrubUrl(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
