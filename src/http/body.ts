import express, { type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { AppError } from '../core';
import { guardBody } from './input-guard';

const ACCEPTED = ['application/x-www-form-urlencoded', 'application/json', 'multipart/form-data'];

/**
 * Body parsing for writes: form-urlencoded (the Open311 default), JSON and multipart fields (no files:
 * media are sent as media_url). Sizes are bounded (413); other content types are refused (415).
 */
export function writeBody(limitBytes: number) {
  const form = express.urlencoded({ extended: true, limit: limitBytes, parameterLimit: 1000 });
  const json = express.json({ limit: limitBytes, strict: true });
  const multer0 = multer({ limits: { fieldSize: limitBytes, fields: 1000, files: 0, parts: 1000 } }).none();
  // busboy's and multer's own failures (no boundary, "Unexpected end of form", a part without a field
  // name) are the client's body: a 400. Size limits (LIMIT_*) go on to the error handler's 413/400.
  const multipart = (req: Request, res: Response, next: NextFunction) =>
    multer0(req, res, (err?: unknown) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      if (!err || (typeof code === 'string' && code.startsWith('LIMIT_'))) return next(err);
      next(new AppError(400, `The multipart body could not be read: ${multipartReason(err)}`));
    });
  return [
    (req: Request, _res: Response, next: NextFunction) => {
      const type = req.headers['content-type'];
      const hasBody =
        Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      if (hasBody && type && !ACCEPTED.some((t) => type.toLowerCase().startsWith(t))) {
        return next(
          new AppError(
            415,
            `Content-Type ${type.split(';')[0]} is not accepted: use ${ACCEPTED.join(', ')}.`,
          ),
        );
      }
      next();
    },
    form,
    json,
    multipart,
    (req: Request, _res: Response, next: NextFunction) => {
      req.body ??= {};
      next();
    },
    guardBody,
  ];
}

/** busboy's message, kept only when it is one of its short fixed texts (never echoing input). */
function multipartReason(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  return /^[\w :.-]{1,80}$/.test(message) ? `${message.replace(/\.$/, '')}.` : 'it is malformed.';
}
