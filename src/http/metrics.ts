import crypto from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Metrics } from '../metrics';
import { routeOf, trackRoute } from './logging';

/**
 * The route a request matched, as its template (`/open311/v2/requests/:id.:format`), never the raw URL:
 * ids in labels would make a series per request. Unmatched paths under a router count as `<mount>/*`.
 */
export function routeLabel(req: Request): string {
  return routeOf(req) ?? (req.baseUrl ? `${req.baseUrl}/*` : '(unmatched)');
}

/** Counts every answered request and times it to the last byte (or to the client going away). */
export function httpMetrics(metrics: Metrics, now: () => bigint = process.hrtime.bigint): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = now();
    trackRoute(req);
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const labels = { route: routeLabel(req), method: req.method, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(now() - started) / 1e9);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

const digest = (s: string) => crypto.createHash('sha256').update(s).digest();

/** GET /metrics: the exposition text; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`. */
export function metricsHandler(metrics: Metrics, token: string | null): RequestHandler {
  return async (req: Request, res: Response) => {
    if (token !== null) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      // Compared as digests: equal lengths, constant time, and the token's length is not given away.
      if (!crypto.timingSafeEqual(digest(given), digest(token))) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain');
        res.send('A bearer token is required for /metrics.\n');
        return;
      }
    }
    const text = await metrics.scrape();
    res.status(200).type(metrics.registry.contentType).send(text);
  };
}
