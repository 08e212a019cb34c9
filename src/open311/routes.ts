/**
 * The GeoReport v2 surface under /open311. Routers only translate HTTP to domain calls and domain
 * results to payloads; `send` renders them in the format named by the path suffix.
 */
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { perKeyRateLimit, requireKey, apiKeyOf, resolveJurisdictionFor } from '../http';
import { boundJurisdictionOf, optionalKey } from '../http';
import { bodyFiles, bodyShapes, writeBody } from '../http';
import { notFound, quoted } from '../core';
import { formatParam, send } from '../http';
import { submitRequest } from '../requests';
import { findRequest, listPublicRequests, tokenStatus } from '../requests';
import { publicBaseUrl } from './base-url';
import { parseAddressQuery, parseListParams } from './list-params';
import { assertDistrictLayer, districtLayers, nearestAddresses, searchAddresses } from '../geo';
import { scalar, type RawParams } from '../http';
import type { Value } from '../http';
import { parseSubmission, SUBMISSION_SHAPES } from './submission';
import { mountUpdates } from './updates-routes';
import { fileDigests, fileLimits, withUploads } from './uploads';
import {
  addressView,
  discoveryView,
  featureCollection,
  requestView,
  serviceDefinitionView,
  serviceView,
} from './views';

const jurisdictionParam = (req: Request) =>
  scalar(req.query as RawParams, 'jurisdiction_id') ??
  scalar((req.body ?? {}) as RawParams, 'jurisdiction_id');

export function open311Router(ctx: AppContext): Router {
  const router = Router();
  router.param('format', formatParam);
  // Reads are public; one that carries a key is held to it (403 for a bad key, a bound key reads its own
  // jurisdiction only). Writes check their key themselves (requireKey).
  const readKey = optionalKey(ctx);
  router.use((req, res, next) =>
    req.method === 'GET' || req.method === 'HEAD' ? readKey(req, res, next) : next(),
  );

  const discovery = async (req: Request, res: Response) => {
    // Discovery describes the jurisdiction asked for (404 for one not served here, as every endpoint
    // answers); asked for none, a single-jurisdiction server describes its one, a bound key its own.
    const list = await ctx.catalog.listJurisdictions();
    const requested = jurisdictionParam(req);
    const j =
      requested !== undefined || list.length > 1 || boundJurisdictionOf(res) !== null
        ? await resolveJurisdictionFor(ctx, res, requested)
        : list[0];
    send(res, {
      root: 'discovery',
      body: discoveryView(`${publicBaseUrl(req, ctx.config)}/open311/v2`, j, CHANGESET, j?.timeZone ?? 'UTC'),
    });
  };
  router.get('/discovery.:format', discovery);
  router.get('/v2/discovery.:format', discovery);

  router.get('/v2/services.:format', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, jurisdictionParam(req));
    const services = (await ctx.catalog.services(j.id)).filter((s) => s.active);
    send(res, { root: 'services', body: services.map(serviceView) });
  });

  router.get('/v2/services/:service_code.:format', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, jurisdictionParam(req));
    const service = await ctx.catalog.service(j.id, String(req.params.service_code));
    if (!service || !service.active)
      throw notFound(
        `service_code "${quoted(String(req.params.service_code))}" is not a service of ${j.name}.`,
      );
    send(res, { root: 'service_definition', body: serviceDefinitionView(service) });
  });

  router.post(
    '/v2/requests.:format',
    ...writeBody(ctx.config.bodyLimitBytes, fileLimits(ctx.config)),
    bodyShapes(SUBMISSION_SHAPES),
    requireKey(ctx, 'client'),
    perKeyRateLimit(ctx),
    async (req, res) => {
      const j = await resolveJurisdictionFor(ctx, res, jurisdictionParam(req));
      const files = bodyFiles(req);
      const parsed = parseSubmission(req.body as RawParams, req.get('Idempotency-Key'));
      // The files are part of what a retry must repeat (only read when there is a key to compare under).
      const submission = {
        ...parsed,
        files: parsed.clientRequestId !== undefined ? await fileDigests(files) : undefined,
      };
      const result = await withUploads(ctx, j.id, files, (attach) =>
        submitRequest(
          ctx,
          j,
          apiKeyOf(res),
          submission,
          attach && ((trx, requestId) => attach(trx, { requestId, historyId: null })),
        ),
      );
      const first: Record<string, Value> =
        result.token !== null ? { token: result.token } : { service_request_id: result.serviceRequestId };
      // account_id is left out when there is none: the official RequestResponse schema types it a string.
      const body: Value = [
        {
          ...first,
          service_notice: result.serviceNotice,
          ...(result.accountId !== null ? { account_id: result.accountId } : {}),
        },
      ];
      send(res, { root: 'service_requests', body }, 201);
    },
  );

  router.get('/v2/tokens/:token.:format', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, jurisdictionParam(req));
    const status = await tokenStatus(ctx.knex, j.id, String(req.params.token));
    if (!status) throw notFound(`token "${quoted(String(req.params.token))}" is not known.`);
    send(res, {
      root: 'service_requests',
      body: [{ service_request_id: status.serviceRequestId, token: status.token }],
    });
  });

  const listRequests = async (req: Request, res: Response) => {
    const j = await resolveJurisdictionFor(ctx, res, jurisdictionParam(req));
    const { filter, extensions } = parseListParams(
      req.query as RawParams,
      j,
      await ctx.catalog.services(j.id),
      ctx.clock(),
    );
    // A layer the city does not have would match nothing: a 400 naming the layers (one query, only then).
    if (filter.district)
      assertDistrictLayer(filter.district.layer, await districtLayers(ctx.read, j.id), 'district_layer');
    const { records, notes } = await listPublicRequests(ctx.read, filter, extensions);
    return records.map((r) => ({
      record: r,
      view: requestView(r, {
        timeZone: j.timeZone,
        extensions,
        notes: notes.get(r.id),
        baseUrl: publicBaseUrl(req, ctx.config),
      }),
    }));
  };

  // For civic-tech map clients: the same list, with every filter of requests.json, as GeoJSON.
  router.get('/v2/requests.geojson', async (req, res) => {
    const list = await listRequests(req, res);
    res.type('application/geo+json; charset=utf-8').send(JSON.stringify(featureCollection(list)));
  });

  router.get('/v2/requests.:format', async (req, res) => {
    const list = await listRequests(req, res);
    send(res, { root: 'service_requests', body: list.map((l) => l.view) });
  });

  router.get('/v2/requests/:service_request_id.:format', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, jurisdictionParam(req));
    const id = String(req.params.service_request_id);
    const extensions = scalar(req.query as RawParams, 'extensions') === 'true';
    // From the replica; one it has not received yet (just posted, read back at once) from the primary.
    const read = ctx.read;
    const found =
      (await findRequest(read, j.id, id, extensions)) ??
      (read === ctx.knex ? null : await findRequest(ctx.knex, j.id, id, extensions));
    if (!found) throw notFound(`service_request_id "${quoted(id)}" was not found.`);
    send(res, {
      root: 'service_requests',
      body: [
        requestView(found.record, {
          timeZone: j.timeZone,
          extensions,
          notes: found.notes,
          baseUrl: publicBaseUrl(req, ctx.config),
        }),
      ],
    });
  });

  router.get('/v2/addresses.:format', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, jurisdictionParam(req));
    const query = parseAddressQuery(req.query as RawParams);
    const matches =
      'q' in query
        ? await searchAddresses(ctx.read, j.id, query.q, query.limit)
        : await nearestAddresses(ctx.read, j.id, query.point, query.radius, query.limit);
    send(res, { root: 'addresses', body: matches.map(addressView) });
  });

  mountUpdates(router, ctx, (params, res) =>
    resolveJurisdictionFor(ctx, res, scalar(params, 'jurisdiction_id')),
  );

  router.use((req, _res, next) =>
    next(notFound(`No Open311 endpoint at ${req.method} ${quoted(`${req.baseUrl}${req.path}`)}.`)),
  );
  return router;
}

/** When this server's Open311 surface last changed (discovery `changeset`). */
const CHANGESET = new Date('2026-11-24T00:00:00Z');
