import type { Request } from 'express';
import type { Config } from '../config';

/** The public base URL: PUBLIC_URL when set (behind a proxy), otherwise from the request. */
export function publicBaseUrl(req: Request, config: Pick<Config, 'publicUrl'>): string {
  return config.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}
