import express, { type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { AppError } from '../core';

const ACCEPTED = ['application/x-www-form-urlencoded', 'application/json', 'multipart/form-data'];

/**
 * Body parsing for writes: form-urlencoded (the Open311 default), JSON and multipart fields (no files:
 * media are sent as media_url). Sizes are bounded (413); other content types are refused (415).
 */
export function writeBody(limitBytes: number) {
  const form = express.urlencoded({ extended: true, limit: limitBytes, parameterLimit: 1000 });
  const json = express.json({ limit: limitBytes, strict: true });
  const multipart = multer({ limits: { fieldSize: limitBytes, fields: 1000, files: 0, parts: 1000 } }).none();
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
  ];
}
