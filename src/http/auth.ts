import type { NextFunction, Request, Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { hasRole, type ApiKey, type Role } from '../auth';
import { sameJurisdictionId, type Jurisdiction } from '../catalog';
import { DatabaseRateLimitStore } from '../cluster';
import type { AppContext } from '../context';
import { AppError, badRequest, forbidden } from '../core';
import { scalar } from './params';
import { createCache } from '../cache';
import { LeasedRateLimitStore, type Lease } from './rate-limit-lease';

/**
 * The key a caller presents: `api_key` in the body or query (Open311), or an X-API-Key / Bearer header.
 * Two different keys in one call are a 400 naming where: one of them was used without a word (the Bearer
 * first), so a client could act under another identity than it meant.
 */
function presentedKey(req: Request): string | undefined | AppError {
  const header = req.headers['x-api-key'];
  const given: Array<[string, string | undefined]> = [
    ['an Authorization: Bearer header', /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]],
    ['an X-API-Key header', typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined],
    ['api_key in the body', scalar((req.body ?? {}) as Record<string, unknown>, 'api_key')],
    ['api_key in the query', scalar(req.query as Record<string, unknown>, 'api_key')],
  ];
  const present = given.filter((g): g is [string, string] => g[1] !== undefined);
  const first = present[0];
  if (first && present.some(([, key]) => key !== first[1]))
    return badRequest(
      `Two different API keys were given (${present.map(([where]) => where).join(', ')}): send one.`,
    );
  return first?.[1];
}

export const apiKeyOf = (res: Response): ApiKey => res.locals.apiKey as ApiKey;

/** The jurisdiction the caller's key is bound to, or null (no key on this route, or an unbound key). */
export const boundJurisdictionOf = (res: Response): string | null =>
  (res.locals.apiKey as ApiKey | undefined)?.jurisdictionId ?? null;

/**
 * 403 unless the caller may act on `jurisdictionId`: a key bound to a jurisdiction reads and writes only
 * that one (issue #15.1); an unbound key (single-city installs, the operator's ADMIN_API_KEY) and an
 * anonymous public read act on any. For resources addressed by id, call it with the resource's jurisdiction.
 */
export function assertJurisdiction(res: Response, jurisdictionId: string): void {
  const bound = boundJurisdictionOf(res);
  if (bound !== null && !sameJurisdictionId(bound, jurisdictionId))
    throw forbidden(
      `This api_key is bound to jurisdiction_id "${bound}" and cannot act on "${jurisdictionId}".`,
    );
}

/**
 * The jurisdiction a keyed route acts on: the one requested (or the only one served), checked against the
 * key. A bound key that names none acts on its own. Every route that resolves a jurisdiction goes through
 * here, so the rule is enforced in one place.
 */
export async function resolveJurisdictionFor(
  ctx: AppContext,
  res: Response,
  requested: string | undefined,
): Promise<Jurisdiction> {
  const bound = boundJurisdictionOf(res);
  if (bound === null) return ctx.catalog.resolveJurisdiction(requested);
  if (requested !== undefined) assertJurisdiction(res, requested);
  return ctx.catalog.resolveJurisdiction(bound);
}

/** 403 (the Open311 status for a missing or invalid api_key) unless the key is valid and has the role. */
export function requireKey(ctx: AppContext, role: Role) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const secret = presentedKey(req);
    if (secret instanceof AppError) return next(secret);
    if (secret === undefined) return next(forbidden('An api_key is required for this call.'));
    const key = await ctx.keys.verify(secret);
    if (!key) return next(forbidden('The api_key is not valid or has been revoked.'));
    if (!hasRole(key, role)) return next(forbidden(`This call needs a key with the ${role} role.`));
    res.locals.apiKey = key;
    next();
  };
}

/**
 * For public reads (GeoReport GETs, the bulk export): a call without a key stays anonymous and costs
 * nothing; a call that carries one has it checked as a write's is (the same cached lookup), so an unknown
 * or revoked key is a 403 and a bound key reads only its jurisdiction (acting on it when the call names
 * none; README, issue #15.1). Any role may read.
 */
export function optionalKey(ctx: AppContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // The answer depends on a key given in a header (a bound key reads its own city): a shared cache must
    // keep answers apart by those headers, anonymous ones included, and not store a keyed one for others.
    res.vary('Authorization');
    res.vary('X-API-Key');
    const secret = presentedKey(req);
    if (secret instanceof AppError) return next(secret);
    if (secret === undefined) return next();
    res.setHeader('Cache-Control', 'private');
    const key = await ctx.keys.verify(secret);
    if (!key) return next(forbidden('The api_key is not valid or has been revoked.'));
    res.locals.apiKey = key;
    next();
  };
}

/**
 * Where a rate limiter counts: on PostgreSQL in the database, so every API process shares one limit
 * (issue #20.1); on the embedded database, which one process holds, in memory (express-rate-limit's own
 * store). `prefix` keeps each limiter's keys apart.
 */
export function rateLimitStore(ctx: AppContext, prefix: string): Store | undefined {
  return ctx.db.kind === 'postgres' ? new DatabaseRateLimitStore(ctx.knex, ctx.clock, prefix) : undefined;
}

const POST_WINDOW_MS = 60_000;

/**
 * Per-key limit on writes; 429 with Retry-After. Shared by every API process on PostgreSQL, where hits are
 * reserved in blocks (LeasedRateLimitStore: no round trip per POST once a block is held). The GeoReport
 * POSTs count against POST_RATE_LIMIT_PER_MINUTE; staff and admin writes (`scope: 'staff'`: every method
 * but GET and HEAD, each key counted apart from its GeoReport POSTs) against STAFF_RATE_LIMIT_PER_MINUTE, so
 * a runaway script cannot write history rows (and the webhook deliveries each sets off) without bound.
 */
export function perKeyRateLimit(ctx: AppContext, scope: 'post' | 'staff' = 'post') {
  const store =
    ctx.db.kind === 'postgres'
      ? new LeasedRateLimitStore(
          new DatabaseRateLimitStore(ctx.knex, ctx.clock, `${scope}:`),
          ctx.clock,
          createCache<string, Lease>(ctx.clock, { max: 10_000, ttlMs: 2 * POST_WINDOW_MS }),
        )
      : undefined;
  return rateLimit({
    store,
    windowMs: POST_WINDOW_MS,
    limit: scope === 'post' ? ctx.config.postRateLimitPerMinute : ctx.config.staffRateLimitPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: scope === 'staff' ? (req) => req.method === 'GET' || req.method === 'HEAD' : undefined,
    keyGenerator: (_req, res) => `${scope}:key:${apiKeyOf(res).id ?? 'admin-env'}`,
    handler: (_req, res, next, options) => {
      const e = new AppError(429, 'Too many requests from this API key. Please slow down and retry later.');
      e.headers['Retry-After'] = String(Math.ceil(options.windowMs / 1000));
      next(e);
    },
  });
}
