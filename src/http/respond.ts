import type { NextFunction, Request, Response } from 'express';
import { CONTENT_TYPES, render, type Format, type Payload } from './render';
import { AppError, translateDatabaseError } from '../core';
import type { Logger } from 'pino';

/** The format a route answers in: set from the path suffix by `formatParam`, JSON by default. */
export function formatOf(res: Response): Format {
  return (res.locals.format as Format | undefined) ?? 'json';
}

export function send(res: Response, payload: Payload, status = 200): void {
  const format = formatOf(res);
  const body = render(payload, format);
  const method = res.req.method;
  if (method === 'GET' || method === 'HEAD') {
    // express's send: an ETag, and a 304 for a client that holds this answer already.
    res.status(status).type(CONTENT_TYPES[format]).send(body);
    return;
  }
  // A write's answer is never cached or revalidated: no ETag (a hash of the body per POST, issue #21).
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPES[format]);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Express param handler for `:format`: only json and xml exist (anything else is a 404 in JSON). */
export function formatParam(_req: Request, res: Response, next: NextFunction, value: string): void {
  if (value === 'json' || value === 'xml') {
    res.locals.format = value;
    next();
  } else {
    next(new AppError(404, `Unknown format "${value}": use .json or .xml`));
  }
}

/** Guesses the format of an error response for paths that never reached a route (e.g. a 404). */
function guessFormat(req: Request, res: Response): Format {
  if (res.locals.format) return res.locals.format as Format;
  return /\.xml(?:$|\?)/.test(req.originalUrl) ? 'xml' : 'json';
}

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  code?: string;
  field?: string;
}

/** What a client error from a library (http-errors, router, zlib) is called, without its own message. */
const CLIENT_ERROR_TEXT: Readonly<Record<number, string>> = {
  400: 'The request could not be read.',
  404: 'Nothing was found here.',
  405: 'The method is not allowed here.',
  413: 'The request body is too large.',
  414: 'The request URL is too long.',
  415: 'The request body uses an unsupported type or encoding.',
};

/** Maps errors thrown by body parsers and multer to client errors. */
function fromParserError(err: HttpishError): AppError | null {
  switch (err.type) {
    case 'entity.too.large':
      return new AppError(413, 'The request body is too large.');
    case 'entity.parse.failed':
      return new AppError(400, 'The request body could not be parsed.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'The request body uses an unsupported encoding or character set.');
    case 'parameters.too.many':
      return new AppError(413, 'The request has too many parameters.');
  }
  if (
    err.code === 'LIMIT_FIELD_VALUE' ||
    err.code === 'LIMIT_FIELD_COUNT' ||
    err.code === 'LIMIT_FILE_SIZE'
  ) {
    return new AppError(413, 'The request body is too large.');
  }
  if (typeof err.code === 'string' && err.code.startsWith('LIMIT_')) {
    return new AppError(
      400,
      `The multipart body is not accepted (${err.code.toLowerCase()}${err.field ? `: ${err.field}` : ''}).`,
    );
  }
  // A corrupt gzip/deflate/br body: body-parser passes zlib's error on as a 400.
  if (typeof err.code === 'string' && /^(Z_|ERR_BROTLI|ERR__ZLIB|ERR_ZLIB)/.test(err.code))
    return new AppError(400, 'The compressed request body is corrupt or truncated.');
  // Any other client error a library raised (a path that does not decode, an aborted body...) stays 4xx.
  const status = err.status ?? err.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new AppError(status, CLIENT_ERROR_TEXT[status] ?? 'The request could not be handled.');
  return null;
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    // The client went away while a response streamed (a download cancelled, a phone out of signal):
    // nothing can be answered and nothing went wrong here.
    if (res.headersSent && res.destroyed && (err as HttpishError).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      (req.log ?? logger).info(
        { status: res.statusCode },
        'client closed the connection during the response',
      );
      return;
    }
    let appError = err instanceof AppError ? err : fromParserError(err as HttpishError);
    appError ??= translateDatabaseError(err);
    if (!appError) {
      (req.log ?? logger).error({ err }, 'unhandled error');
      // The request id only: the log line (same id) holds the error, the client never sees it.
      const id = typeof req.id === 'string' || typeof req.id === 'number' ? ` (request id ${req.id})` : '';
      appError = new AppError(
        500,
        `Something went wrong on our side. It has been logged${id}; please try again later.`,
      );
    } else if (appError.status >= 500 || appError.logAsWarning) {
      (req.log ?? logger).warn({ err }, appError.message);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.locals.format = guessFormat(req, res);
    for (const [name, value] of Object.entries(appError.headers)) res.setHeader(name, value);
    send(res, { root: 'errors', body: appError.errors.map((e) => ({ ...e })) }, appError.status);
  };
}
