/**
 * GET /media/{id}.{ext} and /media/{id}/thumb.{ext} (issue #18.5): the published files. A file of a private
 * service, hidden by staff or never committed answers 404 as if it never existed. The bytes never change
 * under a URL (a new upload is a new id), so caches may keep them, but not for long: staff may hide a file
 * (a face, a number plate), which stops new fetches here at once, and a shared cache (a CDN, a proxy) may go
 * on serving its copy only for `SHARED_CACHE_SECONDS`; a browser keeps its own for `CACHE_SECONDS`.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { notFound } from '../core';
import { findPublicMedia, type MediaFile } from './read';

export const CACHE_SECONDS = 3_600;
export const SHARED_CACHE_SECONDS = 300;
const PRESIGN_SECONDS = 300;

/** Streams (or, with MEDIA_S3_REDIRECT, redirects to) a stored file with headers fit for a public URL. */
export async function sendMediaFile(
  ctx: AppContext,
  req: Request,
  res: Response,
  file: MediaFile,
  opts: { thumb: boolean; cache: 'public' | 'private' },
): Promise<void> {
  const key = opts.thumb ? file.thumbKey : file.storageKey;
  if (!key) throw notFound('This file has no thumbnail.');
  const contentType = opts.thumb
    ? `image/${file.thumbExt === 'jpg' ? 'jpeg' : file.thumbExt}`
    : file.contentType;
  const etag = `"${file.sha256.slice(0, 40)}${opts.thumb ? '-thumb' : ''}"`;
  const disposition = file.kind === 'image' ? null : `attachment; filename="${file.id}.${file.ext}"`;
  res.setHeader(
    'Cache-Control',
    opts.cache === 'public'
      ? `public, max-age=${CACHE_SECONDS}, s-maxage=${SHARED_CACHE_SECONDS}`
      : 'private, no-store',
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Shown on other sites (FixMyStreet, city pages): helmet's default same-origin would block the <img>.
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  if (ctx.config.mediaS3?.redirect && ctx.media.presign) {
    const url = await ctx.media.presign(key, {
      expiresSeconds: PRESIGN_SECONDS,
      ...(disposition ? { disposition } : {}),
    });
    res.setHeader('Cache-Control', 'private, max-age=60');
    res.redirect(302, url);
    return;
  }
  res.setHeader('ETag', etag);
  if (req.headers['if-none-match'] === etag) {
    res.status(304).end();
    return;
  }
  const stream = await ctx.media.get(key);
  if (!stream) {
    ctx.logger.warn({ media: file.id, key }, 'stored media file missing');
    throw notFound('This file was not found.');
  }
  res.type(contentType);
  if (!opts.thumb) res.setHeader('Content-Length', String(file.bytes));
  if (disposition) res.setHeader('Content-Disposition', disposition);
  await pipeline(stream, res);
}

export function mediaRouter(ctx: AppContext): Router {
  const router = Router();
  const serve = (thumb: boolean) => async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const ext = String(req.params.ext);
    const file = await findPublicMedia(ctx.knex, id);
    if (!file || ext !== (thumb ? file.thumbExt : file.ext)) throw notFound('This file was not found.');
    await sendMediaFile(ctx, req, res, file, { thumb, cache: 'public' });
  };
  router.get('/:id.:ext', serve(false));
  router.get('/:id/thumb.:ext', serve(true));
  return router;
}
