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
  // helmet's headers depend on nothing in the request: worked out once per variant, then set in one loop
  // (a dozen middleware calls less on every request, issue #21).
  const https = fixedHeaders(overHttps);
  const http = fixedHeaders(overHttp);
  if (!https || !http)
    return (req: Request, res: Response, next: NextFunction) =>
      (alwaysHttps || req.secure ? overHttps : overHttp)(req, res, next);
  return (req: Request, res: Response, next: NextFunction) => {
    for (const [name, value] of alwaysHttps || req.secure ? https : http)
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    next();
  };
}

/**
 * The headers a helmet middleware sets (a value) or removes (null), recorded on a stand-in response; null
 * if it did anything else (read the request, did not call next at once), so the caller keeps running it.
 */
function fixedHeaders(h: RequestHandler): Array<[string, string | null]> | null {
  const headers: Array<[string, string | null]> = [];
  let plain = true;
  let done = false;
  const res = {
    setHeader: (name: string, value: unknown) => {
      if (typeof value === 'string') headers.push([name, value]);
      else plain = false;
    },
    removeHeader: (name: string) => {
      headers.push([name, null]);
    },
  };
  const req = new Proxy(
    {},
    {
      get: () => {
        plain = false;
        return undefined;
      },
    },
  );
  void h(req as Request, res as unknown as Response, (err?: unknown) => {
    done = err === undefined;
  });
  return plain && done ? headers : null;
}
