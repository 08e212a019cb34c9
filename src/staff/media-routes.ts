/**
 * Staff and uploaded files (issue #18.6): list a request's files (hidden ones too), fetch an original
 * whatever its state, hide one from the public and show it again. Each change is a history entry.
 */
import type { Request, Response, Router } from 'express';
import type { ApiKey } from '../auth';
import type { Jurisdiction } from '../catalog';
import type { AppContext } from '../context';
import { notFound } from '../core';
import { apiKeyOf } from '../http';
import { findStaffMedia, sendMediaFile, setHidden } from '../media';
import { publicBaseUrl } from '../open311';
import { requestIdOrNotFound, type Actor } from '../requests';
import { staffMediaList, staffRequestExists } from './views';

export function mountStaffMedia(
  router: Router,
  ctx: AppContext,
  jurisdiction: (req: Request, res: Response) => Promise<Jurisdiction>,
  actorOf: (key: ApiKey) => Actor,
): void {
  router.get('/requests/:id/media', async (req, res) => {
    const j = await jurisdiction(req, res);
    const id = requestIdOrNotFound(String(req.params.id));
    // As every staff route: an id that is no request of the key's jurisdiction is a 404, not an empty list.
    if (!(await staffRequestExists(ctx.knex, j.id, id)))
      throw notFound(`service_request_id "${id}" was not found.`);
    res.json(await staffMediaList(ctx.knex, j.id, id, publicBaseUrl(req, ctx.config)));
  });

  router.get('/media/:id.:ext', async (req, res) => {
    const j = await jurisdiction(req, res);
    const file = await findStaffMedia(ctx.knex, j.id, String(req.params.id));
    if (!file || file.ext !== req.params.ext) throw notFound('This file was not found.');
    await sendMediaFile(ctx, req, res, file, { thumb: false, cache: 'private' });
  });

  const hide = (hidden: boolean) => async (req: Request, res: Response) => {
    const j = await jurisdiction(req, res);
    const mediaId = String(req.params.id);
    const { requestId } = await ctx.knex.transaction((trx) =>
      setHidden(trx, j.id, mediaId, hidden, actorOf(apiKeyOf(res)), ctx.clock()),
    );
    const list = await staffMediaList(ctx.knex, j.id, requestId, publicBaseUrl(req, ctx.config));
    res.json(list.find((m) => m.id === mediaId) ?? null);
  };
  router.post('/media/:id/hide', hide(true));
  router.post('/media/:id/unhide', hide(false));
}
