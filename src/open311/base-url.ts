import type { Request } from 'express';
import type { Config } from '../config';

/** A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing else is echoed. */
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/**
 * The public base URL: PUBLIC_URL when set (behind a proxy, and what production should set). Otherwise
 * the request's Host, but only when it is a syntactically valid host[:port] — a Host header with a path,
 * userinfo, spaces or markup would otherwise be reflected into discovery — and else the address this
 * server was reached on.
 */
export function publicBaseUrl(req: Request, config: Pick<Config, 'publicUrl'>): string {
  if (config.publicUrl) return config.publicUrl;
  const host = req.get('host');
  if (host !== undefined && host.length <= 260 && HOST.test(host)) return `${req.protocol}://${host}`;
  const address = req.socket.localAddress ?? '127.0.0.1';
  const bare = address.startsWith('::ffff:') ? address.slice(7) : address;
  const shown = bare.includes(':') ? `[${bare}]` : bare;
  return `${req.protocol}://${shown}${req.socket.localPort ? `:${req.socket.localPort}` : ''}`;
}
