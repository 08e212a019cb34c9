/**
 * createApp: the express app without listen(), so tests drive it directly (supertest) and server.ts
 * only wires config → database → app → listen → worker.
 */
import fs from 'node:fs';
import express, { type Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { adminRouter } from './admin';
import type { AppContext } from './context';
import { AppError } from './core';
import {
  compressResponses,
  guardPathAndQuery,
  httpLogger,
  httpMetrics,
  metricsHandler,
  open311Cors,
  securityHeaders,
} from './http';
import { errorHandler } from './http';
import { open311Router, publicBaseUrl } from './open311';
import { bulkRouter } from './opendata';
import { fromRoot } from './paths';
import { staffRouter } from './staff';
import { surveysRouter } from './surveys';
import { dashboardRouter } from './dashboard';
import { mediaRouter } from './media';

const SPEC_PATH = fromRoot('spec/openapi.yaml');

const INDEX_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open311 server</title></head>
<body>
<main>
<h1>Open311 GeoReport v2 server</h1>
<ul>
<li><a href="/dashboard/">Dashboard</a>: how requests are served, by area and channel</li>
<li><a href="/docs">API documentation</a> (<a href="/openapi.yaml">OpenAPI document</a>)</li>
<li><a href="/open311/discovery.json">Discovery</a>, <a href="/open311/v2/services.json">services</a> and
<a href="/open311/v2/requests.json?page_size=20">recent requests</a> (GeoReport v2, JSON; also .xml)</li>
<li><a href="/open311/v2/bulk/requests.csv">Open data export</a> (CSV)</li>
<li>Staff and administration: <code>/staff/v1</code> and <code>/admin/v1</code> (API keys; see the documentation)</li>
</ul>
</main>
</body>
</html>
`;

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  // Off unless TRUST_PROXY names the proxies in front: otherwise any client could pick its own address.
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', 'simple');
  app.use(httpMetrics(ctx.metrics));
  app.use(httpLogger(ctx.logger));
  app.use(securityHeaders(ctx.config));
  // After the metrics and the log (their timings run to the last compressed byte), before every route.
  app.use(compressResponses());
  app.use(guardPathAndQuery);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready while the primary answers; a lagging or absent replica only means reads fall back to it. Not
  // ready from SIGTERM on (src/server.ts), so a load balancer stops sending while requests still drain.
  app.get('/readyz', async (_req, res) => {
    if (ctx.lifecycle.stopping) {
      res.status(503).json({ status: 'stopping', database: ctx.db.kind });
      return;
    }
    const r = ctx.replica?.state();
    const replica = r && {
      status: r.status,
      in_use: r.inUse,
      lag_seconds: r.lagSeconds,
      max_lag_seconds: r.maxLagSeconds,
      ...(r.reason ? { reason: r.reason } : {}),
    };
    try {
      await ctx.knex.raw('SELECT 1');
      res.json({ status: 'ready', database: ctx.db.kind, ...(replica ? { replica } : {}) });
    } catch {
      res.status(503).json({ status: 'unavailable', database: ctx.db.kind, ...(replica ? { replica } : {}) });
    }
  });
  app.get('/metrics', metricsHandler(ctx.metrics, ctx.config.metricsToken));

  app.use('/open311', open311Cors());
  app.use('/open311', bulkRouter(ctx));
  app.use('/open311', open311Router(ctx));
  app.use('/admin/v1', adminRouter(ctx));
  app.use('/staff/v1', staffRouter(ctx));
  app.use('/surveys', surveysRouter(ctx));
  app.use('/dashboard', dashboardRouter(ctx));
  app.use('/media', mediaRouter(ctx));

  if (fs.existsSync(SPEC_PATH)) {
    // Read and parsed when first asked for, not at start: parsing the YAML took 0.5–1 s of a restart's CPU
    // (docs/decisions/0002-performance.md) for a page few processes ever serve. Memoised in this app.
    let specText: string | undefined;
    let docsPage: express.RequestHandler | undefined;
    const spec = () => (specText ??= fs.readFileSync(SPEC_PATH, 'utf8'));
    app.get('/openapi.yaml', (_req, res) => {
      res.type('application/yaml; charset=utf-8').send(spec());
    });
    // Swagger UI's page and its swagger-ui-init.js (served by swaggerUi.serve) both come from setup(), so
    // it runs before either is answered.
    const docs = (): express.RequestHandler => {
      if (docsPage) return docsPage;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const YAML = require('yaml') as typeof import('yaml');
      docsPage = swaggerUi.setup(YAML.parse(spec()) as object, { customSiteTitle: 'Open311 API' });
      return docsPage;
    };
    // A router of its own, so that `next('router')` leaves it for the app's 404 (Open311 errors).
    const docsRouter = express.Router();
    docsRouter.use(
      (req: express.Request, _res: express.Response, next: express.NextFunction) => {
        // swagger-ui-dist's stock initializer (it points at the petstore) is not ours to serve, and
        // swagger-ui-express answers its package.json with a bare 404 of its own.
        if (req.path === '/swagger-initializer.js' || req.path === '/package.json') return next('router');
        docs();
        next();
      },
      swaggerUi.serve,
      // The page itself at /docs and /docs/ only: any other path under it is a 404 like everywhere else.
      (req: express.Request, res: express.Response, next: express.NextFunction) =>
        req.path === '/' || req.path === '/index.html' ? docs()(req, res, next) : next('router'),
    );
    app.use('/docs', docsRouter);
  }

  // A small index for people (HTML) and programs (JSON, or ?format=json).
  app.get('/', (req, res) => {
    const base = publicBaseUrl(req, ctx.config);
    const links = {
      dashboard: `${base}/dashboard/`,
      docs: `${base}/docs`,
      discovery: `${base}/open311/discovery.json`,
      services: `${base}/open311/v2/services.json`,
      requests: `${base}/open311/v2/requests.json`,
      openapi: `${base}/openapi.yaml`,
    };
    if (req.query.format === 'json' || req.accepts(['html', 'json']) !== 'html') {
      res.json({ name: 'Open311 GeoReport v2 server', ...links });
      return;
    }
    res.type('html').send(INDEX_PAGE);
  });

  app.use((req, _res, next) => next(new AppError(404, `Nothing at ${req.method} ${req.path}.`)));
  app.use(errorHandler(ctx.logger));
  return app;
}
