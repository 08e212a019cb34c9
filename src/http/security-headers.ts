/**
 * Security headers that fit how the server is reached (issue #16.6). HSTS and the CSP's
 * `upgrade-insecure-requests` are right only over HTTPS: sent over plain HTTP (a VM, an intranet address)
 * they make the browser fetch the page's own scripts and styles over https://, which fails, so the
 * dashboard is unstyled with no map and /docs has no operations. HTTPS means PUBLIC_URL is https, or the
 * request is secure as express sees it (TLS, or `X-Forwarded-Proto: https` from a proxy TRUST_PROXY trusts).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { Config } from '../config';

type Directives = Record<string, string[]>;

export function securityHeaders(
  config: Pick<Config, 'publicUrl'>,
  directives: Directives = {},
): RequestHandler {
  const overHttps = helmet({ contentSecurityPolicy: { directives } });
  const overHttp = helmet({
    contentSecurityPolicy: { directives: { ...directives, 'upgrade-insecure-requests': null } },
    strictTransportSecurity: false,
    // Browsers ignore (and complain about) these on origins that are not potentially trustworthy.
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
  });
  const alwaysHttps = config.publicUrl?.startsWith('https:') ?? false;
  return (req: Request, res: Response, next: NextFunction) =>
    (alwaysHttps || req.secure ? overHttps : overHttp)(req, res, next);
}
