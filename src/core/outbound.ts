/**
 * Requests the server makes to addresses someone else chose: webhook deliveries and the admin API's
 * catalog import from a live Open311 server. A city administrator must not be able to make the server
 * reach the machine's own network (cloud metadata at 169.254.169.254, the database, an internal admin
 * page), so by default such requests may only go to public unicast addresses. The check runs when the
 * socket connects (undici's `connect.lookup`), on every address the name resolves to, so a name that
 * resolves to a public address when checked and a private one when used (DNS rebinding) is refused too.
 * IP literals skip DNS, so they are checked before the request. `OUTBOUND_ALLOW_PRIVATE=true` lifts the
 * rule for cities whose receivers live on their own network.
 */
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Agent } from 'undici';

export type OutboundFetch = typeof fetch;

/** True for a public unicast address; loopback, private, link-local, CGNAT, multicast... are not. */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  return ipaddr.process(ip).range() === 'unicast';
}

export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
  constructor(host: string) {
    super(`${host} is not a public address (set OUTBOUND_ALLOW_PRIVATE=true to allow it)`);
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup that refuses a name when any of its addresses is not public. */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad || addresses.length === 0) return callback(new PrivateAddressError(hostname), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}

/**
 * The host of a URL without IPv6 brackets or the root's trailing dot: `localhost.` is the same name as
 * `localhost` to a resolver, and was let through at registration (probe).
 */
function hostOf(url: string | URL): string {
  return new URL(String(url)).hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '')
    .toLowerCase();
}

/**
 * True when a URL's host is plainly not public without asking DNS: localhost, or an IP literal outside
 * public unicast (literals skip the connect-time lookup, so they are checked here). Names are checked
 * when the socket connects.
 */
export function isPrivateLiteralHost(url: string | URL): boolean {
  const host = hostOf(url);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return net.isIP(host) !== 0 && !isPublicAddress(host);
}

/**
 * A fetch for addresses users chose. With `allowPrivate` it is the platform's fetch; without it, only
 * public addresses are reached, on the first request and on every redirect.
 */
export function outboundFetch(allowPrivate: boolean): OutboundFetch {
  if (allowPrivate) return fetch;
  // undici (its own copy, for `connect.lookup`) is loaded and its agent made on the first request, not at
  // start: every process builds this fetch, few ever send a webhook (docs/decisions/0002-performance.md).
  let undici: { fetch: typeof import('undici').fetch; dispatcher: Agent } | undefined;
  const client = () => {
    if (undici) return undici;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Agent: AgentClass, fetch: undiciFetch } = require('undici') as typeof import('undici');
    undici = {
      fetch: undiciFetch,
      dispatcher: new AgentClass({ connect: { lookup: publicOnlyLookup as never } }),
    };
    return undici;
  };
  const once = async (url: string, init: RequestInit | undefined): Promise<Response> => {
    if (isPrivateLiteralHost(url)) throw new PrivateAddressError(hostOf(url));
    const { fetch: undiciFetch, dispatcher } = client();
    return (await undiciFetch(url, { ...init, redirect: 'manual', dispatcher } as never)) as never;
  };
  // Redirects are followed here, one checked hop at a time: a Location with an IP literal would skip
  // the lookup above. A caller asking for 'manual' or 'error' gets exactly that.
  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let url = String(input instanceof Request ? input.url : input);
    for (let hop = 0; ; hop += 1) {
      const res = await once(url, init);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || !location || init?.redirect === 'manual') return res;
      await res.body?.cancel();
      if (init?.redirect === 'error' || hop >= 5) throw new Error(`too many or refused redirects at ${url}`);
      url = new URL(location, url).toString();
    }
  };
  return guarded as OutboundFetch;
}

/** Reads a response's text, refusing (with an error) a body larger than `maxBytes`. */
export async function readTextLimited(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`the response is larger than ${maxBytes} bytes`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`the response is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
