import type { Response, Router } from 'express';
import { hasRole } from '../auth';
import type { AppContext } from '../context';
import { apiKeyOf, perKeyRateLimit, requireKey } from '../http';
import { bodyFiles, bodyShapes, writeBody } from '../http';
import { Problems } from '../core';
import { send } from '../http';
import { absoluteMediaUrl, canonicalRequestId, listUpdates, postUpdate } from '../requests';
import { publicBaseUrl } from './base-url';
import { fileLimits, withUploads } from './uploads';
import { MAX_PAGE_SIZE } from './list-params';
import { number, scalar, type RawParams } from '../http';
import { stripNonXmlChars } from '../http';
import { formatDateTime, parseDateTime } from '../core';

const DAY_MS = 86_400_000;
/** How far past the server's clock an update's updated_datetime may be (the poster's clock may run fast). */
const UPDATE_CLOCK_SKEW_MS = 15 * 60_000;
/** No update is older than this: an earlier updated_datetime is a client's clock or parser gone wrong. */
const EARLIEST_UPDATE = new Date('2000-01-01T00:00:00Z');

/** At most this many ids in one `service_request_id` of GET servicerequestupdates. */
const MAX_UPDATE_REQUEST_IDS = 100;

/** `service_request_id` of GET servicerequestupdates: one id or several, comma-separated; undefined if absent. */
function requestIdsOf(q: RawParams, problems: Problems): string[] | undefined {
  if (q.service_request_id === undefined) return undefined;
  const raw = scalar(q, 'service_request_id');
  const ids = (raw ?? '').split(',').map((s) => canonicalRequestId(s.trim()));
  if (Array.isArray(q.service_request_id) || ids.some((id) => id === null)) {
    problems.add('service_request_id must be one request id or several, separated by commas (e.g. 101,102).');
    return undefined;
  }
  if (ids.length > MAX_UPDATE_REQUEST_IDS)
    problems.add(`service_request_id may name at most ${MAX_UPDATE_REQUEST_IDS} requests.`);
  return [...new Set(ids as string[])];
}

/** GET/POST servicerequestupdates.{fmt} (mySociety extension, OPEN311.md). */
export function mountUpdates(
  router: Router,
  ctx: AppContext,
  jurisdictionOf: (params: RawParams, res: Response) => Promise<{ id: string; timeZone: string }>,
): void {
  router.get('/v2/servicerequestupdates.:format', async (req, res) => {
    const q = req.query as RawParams;
    const j = await jurisdictionOf(q, res);
    const problems = new Problems();
    const when = (name: string) => {
      const raw = scalar(q, name);
      if (raw === undefined) return undefined;
      const d = parseDateTime(raw, j.timeZone);
      if (!d) problems.add(`${name} must be an ISO 8601 date and time.`);
      return d ?? undefined;
    };
    // The updates of given requests (an app following its residents' reports): their whole public history
    // unless a window is given. It was ignored, and every update of the last day listed (probe).
    const requestIds = requestIdsOf(q, problems);
    const end = when('end_date') ?? ctx.clock();
    const start = when('start_date') ?? (requestIds ? EARLIEST_UPDATE : new Date(end.getTime() - DAY_MS));
    if (start > end) problems.add('start_date must not be after end_date.');
    if (!requestIds && end.getTime() - start.getTime() > 90 * DAY_MS)
      problems.add('The range from start_date to end_date may not exceed 90 days.');
    const page = number(q, 'page', problems, { min: 1, max: 1_000_000, integer: true }) ?? 1;
    const pageSize =
      number(q, 'page_size', problems, { min: 1, max: MAX_PAGE_SIZE, integer: true }) ?? MAX_PAGE_SIZE;
    problems.throwIfAny();
    const updates = await listUpdates(ctx.read, j.id, { start, end, page, pageSize, requestIds });
    const base = publicBaseUrl(req, ctx.config);
    send(res, {
      root: 'service_request_updates',
      body: updates.map((u) => ({
        update_id: u.updateId,
        service_request_id: u.serviceRequestId,
        status: u.status,
        updated_datetime: formatDateTime(u.updatedAt, j.timeZone),
        description: u.description,
        media_url: u.mediaUrl === null ? null : absoluteMediaUrl(base, u.mediaUrl),
      })),
    });
  });

  router.post(
    '/v2/servicerequestupdates.:format',
    ...writeBody(ctx.config.bodyLimitBytes, fileLimits(ctx.config)),
    bodyShapes({
      api_key: 'text',
      jurisdiction_id: 'text',
      service_request_id: 'text',
      update_id: 'text',
      status: 'text',
      description: 'text',
      updated_datetime: 'text',
      media_url: 'text',
    }),
    requireKey(ctx, 'client'),
    perKeyRateLimit(ctx),
    async (req, res) => {
      const b = (req.body ?? {}) as RawParams;
      const j = await jurisdictionOf({ ...(req.query as RawParams), ...b }, res);
      const problems = new Problems();
      const required = (name: string, max: number) => {
        const v = scalar(b, name);
        if (v === undefined) problems.add(`${name} is required.`);
        else if (v.length > max) problems.add(`${name} is too long (at most ${max} characters).`);
        return v ? stripNonXmlChars(v) : '';
      };
      const serviceRequestId = required('service_request_id', 20);
      const updateId = required('update_id', 100);
      const status = required('status', 50);
      const description = required('description', 4000);
      const updatedRaw = required('updated_datetime', 50);
      const updatedAt = updatedRaw ? parseDateTime(updatedRaw, j.timeZone) : null;
      if (updatedRaw && !updatedAt) problems.add('updated_datetime must be an ISO 8601 date and time.');
      // updated_datetime becomes the request's public updated_datetime when it is the latest (touchPublic
      // keeps the greatest): one far in the future would stay there for good.
      else if (updatedAt && updatedAt.getTime() > ctx.clock().getTime() + UPDATE_CLOCK_SKEW_MS)
        problems.add(
          `updated_datetime must not be more than ${UPDATE_CLOCK_SKEW_MS / 60_000} minutes after the server's time.`,
        );
      else if (updatedAt && updatedAt < EARLIEST_UPDATE)
        problems.add('updated_datetime must not be before 2000-01-01.');
      const mediaUrl = scalar(b, 'media_url') ?? null;
      if (mediaUrl !== null && !/^https?:\/\/\S{1,2040}$/.test(mediaUrl))
        problems.add('media_url must be an http or https URL.');
      problems.throwIfAny();
      const key = apiKeyOf(res);
      const id = await withUploads(ctx, j.id, bodyFiles(req), (attach) =>
        postUpdate(
          ctx.knex,
          j.id,
          { serviceRequestId, updateId, status, updatedAt: updatedAt as Date, description, mediaUrl },
          {
            ...(attach ? { attach } : {}),
            actor: {
              type: 'api_key',
              id: key.id === null ? null : String(key.id),
              label: key.name,
              channel: key.channel,
            },
            apiKeyId: key.id,
            // A front end (FixMyStreet) posts its residents' comments with its client key.
            resident: !hasRole(key, 'staff'),
            residentsCanReopen: async (serviceId) =>
              (await ctx.catalog.services(j.id)).find((s) => s.id === serviceId)?.residentsCanReopen !==
              false,
          },
        ),
      );
      send(res, { root: 'service_request_updates', body: [{ update_id: id }] });
    },
  );
}
