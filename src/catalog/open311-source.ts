/**
 * Reads a catalog from a live GeoReport v2 endpoint (issue #14, `--from-open311 URL`): GET services and
 * every service definition, in JSON or XML, so a city moving from another Open311 server keeps its codes.
 * Real servers send strings for booleans and numbers (`<metadata>true</metadata>`, `<order>3</order>`),
 * a single element where a list is meant, and empty elements for nulls; all of that is normalised here.
 * A definition that cannot be read fails the whole import (all-or-nothing), naming the codes.
 */
import type { parseStringPromise as ParseXml } from 'xml2js';
import { AppError, PrivateAddressError, readTextLimited, type OutboundFetch } from '../core';

export type RemoteFormat = 'json' | 'xml';

export interface RemoteOptions {
  format?: RemoteFormat;
  /** jurisdiction_id to send to the remote server (servers hosting several cities need it). */
  remoteJurisdiction?: string;
  onProgress?: (done: number, total: number) => void;
  concurrency?: number;
  /** The fetch to use: the admin API passes its guarded one (core/outbound.ts); the CLI the platform's. */
  fetch?: OutboundFetch;
}

/** Bounds on a remote server's answers: a catalog is a few hundred kilobytes; nothing waits forever. */
const MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

type Obj = Record<string, unknown>;

/** Text of an element or a JSON value; empty, nil and missing are ''. */
function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && typeof (v as Obj)._ === 'string') return (v as Obj)._ as string;
  return '';
}
const truthy = (v: unknown) => v === true || str(v).trim().toLowerCase() === 'true';
const list = (v: unknown): unknown[] =>
  v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v];

function endpoint(url: string, format?: RemoteFormat): { base: string; format?: RemoteFormat } {
  const m = /^(.*)\/services\.(json|xml)(\?.*)?$/.exec(url);
  if (m) return { base: m[1] as string, format: (format ?? m[2]) as RemoteFormat };
  return { base: url.replace(/\/+$/, ''), format };
}

async function get(
  url: string,
  doFetch: OutboundFetch,
): Promise<{ ok: boolean; status: number; body: string }> {
  try {
    const res = await doFetch(url, {
      headers: { accept: 'application/json, text/xml;q=0.9' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { ok: res.ok, status: res.status, body: await readTextLimited(res, MAX_RESPONSE_BYTES) };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    // An address this server refuses to reach (private, loopback, link-local) is the caller's input, as a
    // webhook's is: a 400 saying so, not a 502 about a remote server it never asked (outside probe).
    const blocked = [e, e.cause].find((c) => c instanceof PrivateAddressError);
    if (blocked) throw new AppError(400, `from_open311 is refused: ${blocked.message}.`);
    return { ok: false, status: 0, body: (e.cause?.message ?? e.message).slice(0, 300) };
  }
}

async function parse(body: string, format: RemoteFormat): Promise<unknown> {
  if (format === 'json') return JSON.parse(body) as unknown;
  // Loaded on the first import from an XML source, not at every start (docs/decisions/0002-performance.md).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseStringPromise } = require('xml2js') as { parseStringPromise: typeof ParseXml };
  return (await parseStringPromise(body, { explicitArray: false, trim: true })) as unknown;
}

function withQuery(url: string, remoteJurisdiction?: string): string {
  return remoteJurisdiction ? `${url}?jurisdiction_id=${encodeURIComponent(remoteJurisdiction)}` : url;
}

function servicesOf(parsed: unknown, format: RemoteFormat): Obj[] {
  if (format === 'json') {
    if (!Array.isArray(parsed)) throw new Error('services is not a JSON array');
    return parsed as Obj[];
  }
  const root = (parsed as Obj | null)?.services;
  if (root === undefined) throw new Error('no <services> element');
  return list((root as Obj).service) as Obj[];
}

function attributesOf(parsed: unknown, format: RemoteFormat): Obj[] {
  if (format === 'json') {
    const def = Array.isArray(parsed) ? (parsed[0] as Obj) : (parsed as Obj);
    return list(def?.attributes) as Obj[];
  }
  const def = (parsed as Obj | null)?.service_definition as Obj | undefined;
  if (!def) throw new Error('no <service_definition> element');
  return list((def.attributes as Obj | undefined)?.attribute) as Obj[];
}

function attributeDoc(a: Obj): Obj {
  const values = list(Array.isArray(a.values) ? a.values : (a.values as Obj | undefined)?.value).map((v) => ({
    key: str((v as Obj).key),
    name: str((v as Obj).name),
  }));
  const order = Number(str(a.order));
  const description = str(a.datatype_description);
  return {
    variable: a.variable === undefined ? true : truthy(a.variable),
    code: str(a.code),
    datatype: str(a.datatype).toLowerCase(),
    required: truthy(a.required),
    datatype_description: description === '' ? null : description,
    ...(str(a.order) !== '' && Number.isFinite(order) ? { order } : {}),
    description: str(a.description),
    values,
  };
}

/**
 * Entries of a GeoReport services list (JSON or XML) as service documents, GeoReport fields only (no
 * departments, no response levels): a number code becomes a string, `group` a group, the comma-separated
 * `keywords` a list. `metadata` is kept to tell which services have definitions. `attributes` only when
 * an entry carries them; otherwise absent, so that an import keeps a stored service's definition.
 */
export function geoReportServiceDocs(remote: Obj[]): Obj[] {
  return remote.map((s) => {
    const groups = Array.isArray(s.groups) ? s.groups.map(str) : [str(s.group)];
    const keywords = Array.isArray(s.keywords) ? s.keywords.map(str) : str(s.keywords).split(',');
    return {
      service_code: str(s.service_code).trim(),
      service_name: str(s.service_name),
      description: str(s.description),
      type: (str(s.type) || 'realtime').toLowerCase(),
      keywords: keywords.map((k) => k.trim()).filter((k) => k !== ''),
      groups: groups.map((g) => g.trim()).filter((g) => g !== ''),
      ...(Array.isArray(s.attributes) ? { attributes: (s.attributes as Obj[]).map(attributeDoc) } : {}),
      metadata: truthy(s.metadata),
    };
  });
}

/**
 * A GeoReport services file's entries: the JSON array or the `<services>` XML a server publishes as
 * services.json / services.xml. A 400 when the text is not that.
 */
export async function readGeoReportServices(body: string, format: RemoteFormat): Promise<Obj[]> {
  let parsed: unknown;
  try {
    parsed = await parse(body, format);
  } catch (err) {
    throw new AppError(400, `The ${format.toUpperCase()} cannot be read: ${(err as Error).message}`);
  }
  try {
    return servicesOf(parsed, format);
  } catch (err) {
    throw new AppError(400, `Not a GeoReport services file (${(err as Error).message}).`);
  }
}

/** The remote catalog as service documents (GeoReport fields only: no departments, no response levels). */
export async function fetchOpen311Services(url: string, opts: RemoteOptions = {}): Promise<Obj[]> {
  const ep = endpoint(url, opts.format);
  const doFetch = opts.fetch ?? fetch;
  let format: RemoteFormat = ep.format ?? 'json';
  let res = await get(withQuery(`${ep.base}/services.${format}`, opts.remoteJurisdiction), doFetch);
  let parsed: unknown;
  const tryParse = async () => {
    try {
      parsed = await parse(res.body, format);
      servicesOf(parsed, format);
      return true;
    } catch {
      return false;
    }
  };
  if (!(res.ok && (await tryParse())) && ep.format === undefined) {
    format = 'xml';
    res = await get(withQuery(`${ep.base}/services.xml`, opts.remoteJurisdiction), doFetch);
  }
  if (!res.ok || !(await tryParse()))
    throw new AppError(
      502,
      `Could not read GeoReport services from ${ep.base}/services.${format} (${res.status === 0 ? res.body : `HTTP ${res.status}`}).`,
    );
  const docs: Obj[] = geoReportServiceDocs(servicesOf(parsed, format)).map((d) => ({ ...d, attributes: [] }));
  const withDefinitions = docs.filter((d) => d.metadata === true);
  const failed: string[] = [];
  let done = 0;
  opts.onProgress?.(0, withDefinitions.length);
  const queue = [...withDefinitions];
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const code = d.service_code as string;
      const r = await get(
        withQuery(`${ep.base}/services/${encodeURIComponent(code)}.${format}`, opts.remoteJurisdiction),
        doFetch,
      );
      try {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        d.attributes = attributesOf(await parse(r.body, format), format).map(attributeDoc);
      } catch (err) {
        failed.push(`${code} (${(err as Error).message})`);
      }
      opts.onProgress?.(++done, withDefinitions.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  if (failed.length > 0)
    throw new AppError(
      502,
      `Could not read the service definition of ${failed.length} service(s): ${failed.join(', ')}. Nothing was imported.`,
    );
  for (const d of docs) delete d.metadata;
  return docs;
}
