import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { bodyTypes, guardBody, jsonBody, perKeyRateLimit, requireKey } from '../http';
import { AppError } from '../core';
import { apiKeysRouter } from './api-keys-routes';
import { geographyRouter } from './geography-routes';
import { webhooksRouter } from './webhooks-routes';
import { reportsRouter } from './reports-routes';
import { calendarRouter } from './calendar-routes';
import { duplicateRulesRouter } from './duplicate-rules-routes';
import { escalationRulesRouter } from './escalation-rules-routes';
import { responseLevelsRouter } from './response-levels-routes';
import { jurisdictionsRouter } from './jurisdictions-routes';
import { agenciesRouter } from './agencies-routes';
import { catalogServicesRouter } from './catalog-services-routes';
import { catalogRouter } from './catalog-routes';

/** /admin/v1: JSON only, admin role. Disabled entirely while ADMIN_API_KEY is unset (issue #3). */
export function adminRouter(ctx: AppContext): Router {
  const router = Router();
  router.use((_req: Request, _res: Response, next: NextFunction) => {
    if (!ctx.config.adminApiKey)
      return next(new AppError(403, 'The admin API is disabled: set ADMIN_API_KEY to enable it.'));
    next();
  });
  // Admin answers hold secrets (a new key is shown once) and personal data: never stored by a cache.
  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(requireKey(ctx, 'admin'), perKeyRateLimit(ctx, 'staff'));
  // Routes that read bodies of other types come before the JSON parser, each with its own parsers: the
  // geography import streams its body, the catalog import takes JSON, CSV and a services.xml.
  router.use(geographyRouter(ctx));
  router.use(catalogRouter(ctx));
  router.use(bodyTypes(['application/json']), jsonBody(ctx.config.bodyLimitBytes), guardBody);
  router.use(apiKeysRouter(ctx));
  router.use(webhooksRouter(ctx));
  router.use(reportsRouter(ctx));
  router.use(calendarRouter(ctx));
  router.use(duplicateRulesRouter(ctx));
  router.use(escalationRulesRouter(ctx));
  router.use(responseLevelsRouter(ctx));
  router.use(jurisdictionsRouter(ctx));
  router.use(agenciesRouter(ctx));
  router.use(catalogServicesRouter(ctx));
  router.use((req, _res, next) =>
    next(new AppError(404, `No admin endpoint at ${req.method} ${req.baseUrl}${req.path}.`)),
  );
  return router;
}
