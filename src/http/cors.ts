import cors from 'cors';

/**
 * CORS for the Open311 surface (issue #16): Open311 clients run in browsers too. Reads are public, so any
 * origin may make them; writes carry an API key (never a cookie), so a page on another origin may POST JSON
 * with `X-API-Key` or `Authorization`, and the preflight is cached for a day. Only /open311 is opened: admin
 * and staff routes send no CORS headers, so browsers on other origins cannot call them.
 */
export function open311Cors() {
  return cors({
    origin: '*',
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ['Content-Type', 'X-API-Key', 'Authorization', 'Idempotency-Key'],
    exposedHeaders: ['Retry-After', 'RateLimit', 'RateLimit-Policy', 'ETag', 'X-Request-Id'],
    maxAge: 86_400,
    credentials: false,
  });
}
