/**
 * /staff/v1 (role staff or admin): the lifecycle of a request behind the Open311 surface. JSON only.
 * Every change is one transaction with its history row (see requests/lifecycle.ts).
 */
import { Router, type Request, type Response } from 'express';
import type { ApiKey } from '../auth';
import { CHANNELS } from '../auth';
import type { AppContext } from '../context';
import {
  apiKeyOf,
  bodyTypes,
  formBody,
  guardBody,
  jsonBody,
  perKeyRateLimit,
  requireKey,
  resolveJurisdictionFor,
} from '../http';
import { badRequest, notFound, Problems } from '../core';
import { checker, queryInput } from '../core';
import { bodyShapes, scalar, type RawParams } from '../http';
import { LIST_PARAMS, parseListParams, parseSubmission, publicBaseUrl, SUBMISSION_SHAPES } from '../open311';
import { mountStaffMedia } from './media-routes';
import { addNote, assign, changeStatus, PRIORITIES, setPriority, transfer, type Actor } from '../requests';
import { submitRequest } from '../requests';
import { confirmDuplicate, link, merge, requestIdOrNotFound, unlink } from '../requests';
import { fullHistory, staffRequestList, staffRequestView } from './views';

const actorOf = (key: ApiKey): Actor => ({
  type: 'api_key',
  id: key.id === null ? null : String(key.id),
  label: key.name,
  channel: key.channel,
});

const text = (body: RawParams, name: string, max: number, required = false): string | undefined => {
  const v = scalar(body, name);
  if (v === undefined && required) throw badRequest(`${name} is required.`);
  if (v !== undefined && v.length > max) throw badRequest(`${name} is too long (at most ${max} characters).`);
  return v;
};

/** Text fields may come as JSON numbers or form text; `public` as a boolean or "true"/"false". */
const TEXT = { type: ['string', 'number'] } as const;
const FLAG = { type: ['boolean', 'string', 'null'], 'x-problem': '{field} must be true or false.' } as const;

/**
 * The fields a staff action accepts (besides api_key and jurisdiction_id): anything else is a 400 naming
 * it, so a misspelt `status_notes` is not silently dropped. Values are then read as before (trimmed,
 * empty is absent) by `text` and `bool`.
 */
function actionBody(action: string, fields: Record<string, object>) {
  return checker<RawParams>({
    $id: `staff/${action}`,
    type: 'object',
    additionalProperties: false,
    properties: { api_key: TEXT, jurisdiction_id: TEXT, ...fields },
  });
}

const BODIES = {
  status: actionBody('status', { detailed_status: TEXT, note: TEXT, public: FLAG }),
  transfer: actionBody('transfer', { agency_code: TEXT, note: TEXT, public: FLAG }),
  priority: actionBody('priority', { priority: TEXT }),
  assign: actionBody('assign', {
    assigned_to: { type: ['string', 'number', 'null'] },
  }),
  notes: actionBody('notes', { text: TEXT, public: FLAG }),
  link: actionBody('link', { parent_service_request_id: TEXT }),
  unlink: actionBody('unlink', {}),
  confirm: actionBody('confirm-duplicate', {}),
  merge: actionBody('merge', { into_service_request_id: TEXT }),
};

/**
 * One rule for every staff action that carries free text (status `note`, transfer `note`, notes `text`):
 * the text is internal unless `public: true` is sent. The change itself (new status, new department) is
 * public regardless (requests/lifecycle.ts).
 */
const NOTE_DEFAULT = false;

const bool = (body: RawParams, name: string, fallback: boolean): boolean => {
  const v = body[name];
  if (v === undefined || v === null || v === '') return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badRequest(`${name} must be true or false.`);
};

/** The work queue's page size: smaller than the public list's, as each row carries a contact. */
export const QUEUE_PAGE_SIZE = { default: 50, max: 200 } as const;

/** The work queue's own parameters, besides every parameter of the public GET requests. */
const queueSchema = {
  $id: 'staff/queue-params',
  type: 'object',
  properties: {
    agency_code: { type: 'string', maxLength: 100 },
    assigned_to: { type: 'string', maxLength: 200 },
    assigned: { type: 'boolean' },
    overdue: { type: 'boolean' },
    priority: {
      type: 'array',
      maxItems: PRIORITIES.length,
      items: {
        type: 'string',
        enum: PRIORITIES,
        'x-problem': `priority must be among ${PRIORITIES.join(', ')}.`,
      },
    },
  },
} as const;
const queueCheck = checker<{
  agency_code?: string;
  assigned_to?: string;
  assigned?: boolean;
  overdue?: boolean;
  priority?: string[];
}>(queueSchema);
const QUEUE_PARAMS: ReadonlySet<string> = new Set([
  ...LIST_PARAMS,
  ...Object.keys(queueSchema.properties),
  'api_key',
]);

export function staffRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(bodyTypes(['application/json', 'application/x-www-form-urlencoded']));
  router.use(jsonBody(ctx.config.bodyLimitBytes));
  router.use(formBody(ctx.config.bodyLimitBytes), guardBody);
  // Staff answers carry residents' contact details: never stored by a browser or shared cache.
  router.use((_req: Request, res: Response, next: () => void) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(requireKey(ctx, 'staff'), perKeyRateLimit(ctx, 'staff'));
  // Every route under a request's path: an id that cannot be one is a 404 before the body is judged.
  router.use('/requests/:id', (req: Request, _res: Response, next: () => void) => {
    requestIdOrNotFound(String(req.params.id));
    next();
  });

  const jurisdiction = (req: Request, res: Response) =>
    resolveJurisdictionFor(
      ctx,
      res,
      scalar(req.query as RawParams, 'jurisdiction_id') ??
        scalar((req.body ?? {}) as RawParams, 'jurisdiction_id'),
    );
  const body = (req: Request, action: keyof typeof BODIES) => BODIES[action].parse(req.body ?? {});
  // The request in the path: canonical ("00100422" is 100422), or a 404 for what cannot be an id, before any
  // query (the database would cast "abc" with a 400, and PostgreSQL 16 reads "0x10" as 16).
  const id = (req: Request) => requestIdOrNotFound(String(req.params.id));

  async function respondWithRequest(req: Request, res: Response, status = 200) {
    const j = await jurisdiction(req, res);
    const view = await staffRequestView(ctx.knex, j, id(req), publicBaseUrl(req, ctx.config));
    if (!view) throw notFound(`service_request_id "${id(req)}" was not found.`);
    res.status(status).json(view);
  }

  /**
   * The work queue: every request of the key's jurisdiction, private services included, with the public
   * list's filters (status, detailed_status, service_code, start_date/end_date without the 90-day cap,
   * updated_after/before, agency_responsible, area, district, sort, page) and the staff ones (agency_code,
   * assigned_to, assigned, overdue, priority). Newest first, then by id; page_size at most 200.
   */
  const queue = async (req: Request, res: Response) => {
    const j = await jurisdiction(req, res);
    const params = req.query as RawParams;
    const problems = new Problems();
    for (const name of Object.keys(params))
      if (!QUEUE_PARAMS.has(name) && !name.includes('['))
        problems.add(`${name.slice(0, 60)} is not a parameter of the work queue.`);
    const input = queryInput(queueSchema, params);
    if (Array.isArray(input.priority)) input.priority = input.priority.map((p) => String(p).toLowerCase());
    for (const p of queueCheck.problems(input)) problems.add(p);
    const pageSize = scalar(params, 'page_size');
    if (pageSize !== undefined && Number(pageSize) > QUEUE_PAGE_SIZE.max)
      problems.add(`page_size must be at most ${QUEUE_PAGE_SIZE.max} in the work queue.`);
    problems.throwIfAny();
    const q = input as ReturnType<typeof queueCheck.parse>;
    const now = ctx.clock();
    const { filter } = parseListParams(params, j, await ctx.catalog.services(j.id), now, {
      maxRangeDays: null,
    });
    if (pageSize === undefined) filter.pageSize = QUEUE_PAGE_SIZE.default;
    if (q.agency_code !== undefined) filter.agency = q.agency_code;
    if (q.assigned_to !== undefined) filter.assignedTo = q.assigned_to;
    if (q.assigned !== undefined) filter.assigned = q.assigned;
    if (q.priority) filter.priorities = [...new Set(q.priority)];
    if (q.overdue !== undefined) filter.overdue = { at: now, value: q.overdue };
    res.json(await staffRequestList(ctx.knex, j, filter, publicBaseUrl(req, ctx.config), now));
  };
  router.get('/requests', queue);
  router.get('/requests.json', queue);

  router.get('/requests/:id', (req, res) => respondWithRequest(req, res));

  router.get('/requests/:id/history', async (req, res) => {
    const j = await jurisdiction(req, res);
    const history = await fullHistory(ctx.knex, j, id(req));
    if (!history) throw notFound(`service_request_id "${id(req)}" was not found.`);
    res.json(history);
  });

  router.post('/requests/:id/status', async (req, res) => {
    const j = await jurisdiction(req, res);
    const b = body(req, 'status');
    const detailed = text(b, 'detailed_status', 50, true) as string;
    await ctx.knex.transaction((trx) =>
      changeStatus(
        trx,
        j.id,
        id(req),
        { detailedStatus: detailed, note: text(b, 'note', 4000), public: bool(b, 'public', NOTE_DEFAULT) },
        actorOf(apiKeyOf(res)),
        ctx.clock,
      ),
    );
    await respondWithRequest(req, res);
  });

  router.post('/requests/:id/transfer', async (req, res) => {
    const j = await jurisdiction(req, res);
    const b = body(req, 'transfer');
    await ctx.knex.transaction((trx) =>
      transfer(
        trx,
        j.id,
        id(req),
        text(b, 'agency_code', 100, true) as string,
        text(b, 'note', 4000),
        actorOf(apiKeyOf(res)),
        ctx.clock,
        bool(b, 'public', NOTE_DEFAULT),
      ),
    );
    await respondWithRequest(req, res);
  });

  router.post('/requests/:id/priority', async (req, res) => {
    const j = await jurisdiction(req, res);
    await ctx.knex.transaction((trx) =>
      setPriority(
        trx,
        j.id,
        id(req),
        text(body(req, 'priority'), 'priority', 20, true) as string,
        actorOf(apiKeyOf(res)),
        ctx.clock,
      ),
    );
    await respondWithRequest(req, res);
  });

  router.post('/requests/:id/assign', async (req, res) => {
    const j = await jurisdiction(req, res);
    const assignee = text(body(req, 'assign'), 'assigned_to', 200) ?? null;
    await ctx.knex.transaction((trx) =>
      assign(trx, j.id, id(req), assignee, actorOf(apiKeyOf(res)), ctx.clock),
    );
    await respondWithRequest(req, res);
  });

  router.post('/requests/:id/notes', async (req, res) => {
    const j = await jurisdiction(req, res);
    const b = body(req, 'notes');
    await ctx.knex.transaction((trx) =>
      addNote(
        trx,
        j.id,
        id(req),
        text(b, 'text', 4000, true) as string,
        bool(b, 'public', NOTE_DEFAULT),
        actorOf(apiKeyOf(res)),
        ctx.clock,
      ),
    );
    await respondWithRequest(req, res, 201);
  });

  router.post('/requests/:id/link', async (req, res) => {
    const j = await jurisdiction(req, res);
    const parent = text(body(req, 'link'), 'parent_service_request_id', 20, true) as string;
    await ctx.knex.transaction((trx) => link(trx, j.id, id(req), parent, actorOf(apiKeyOf(res)), ctx.clock));
    await respondWithRequest(req, res);
  });

  router.post('/requests/:id/unlink', async (req, res) => {
    const j = await jurisdiction(req, res);
    body(req, 'unlink');
    await ctx.knex.transaction((trx) => unlink(trx, j.id, id(req), actorOf(apiKeyOf(res)), ctx.clock));
    await respondWithRequest(req, res);
  });

  // Confirming a link closes the report as `duplicate`: a staff decision, never the duplicate rule's.
  router.post('/requests/:id/confirm-duplicate', async (req, res) => {
    const j = await jurisdiction(req, res);
    body(req, 'confirm');
    await ctx.knex.transaction((trx) =>
      confirmDuplicate(trx, j.id, id(req), actorOf(apiKeyOf(res)), ctx.clock),
    );
    await respondWithRequest(req, res);
  });

  router.post('/requests/:id/merge', async (req, res) => {
    const j = await jurisdiction(req, res);
    const into = text(body(req, 'merge'), 'into_service_request_id', 20, true) as string;
    await ctx.knex.transaction((trx) => merge(trx, j.id, id(req), into, actorOf(apiKeyOf(res)), ctx.clock));
    await respondWithRequest(req, res);
  });

  // A request taken by staff on behalf of a resident, recorded under the channel they used.
  router.post('/requests', bodyShapes({ ...SUBMISSION_SHAPES, channel: 'text' }), async (req, res) => {
    const j = await jurisdiction(req, res);
    const b = (req.body ?? {}) as RawParams;
    const channel = text(b, 'channel', 20, true) as string;
    if (!(CHANNELS as readonly string[]).includes(channel))
      throw badRequest(`channel must be one of ${CHANNELS.join(', ')}.`);
    const submission = parseSubmission(b, req.get('Idempotency-Key'));
    const key = apiKeyOf(res);
    const result = await submitRequest(ctx, j, { ...key, channel: channel as ApiKey['channel'] }, submission);
    if (!result.serviceRequestId) {
      res.status(201).json({ token: result.token, service_notice: result.serviceNotice });
      return;
    }
    const view = await staffRequestView(ctx.knex, j, result.serviceRequestId, publicBaseUrl(req, ctx.config));
    res.status(201).json(view);
  });

  mountStaffMedia(router, ctx, jurisdiction, actorOf);

  router.use((req, _res, next) =>
    next(notFound(`No staff endpoint at ${req.method} ${req.baseUrl}${req.path}.`)),
  );
  return router;
}
