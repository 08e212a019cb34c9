import { parseStringPromise } from 'xml2js';
import request from 'supertest';
import type { Express } from 'express';
import { expectMatchesSpec } from './openapi';

/** List containers as the standard and OPEN311.md name them (kept apart from the renderer's own table). */
const LISTS = new Set([
  'services',
  'service_requests',
  'errors',
  'attributes',
  'values',
  'endpoints',
  'formats',
  'notes',
  'groups',
  'service_request_updates',
  'addresses',
  'media_urls',
]);

type Node = string | Node[] | { [k: string]: Node };

/** xml2js output → the JSON shape with every leaf as text ('' for empty elements). */
function convert(name: string, node: unknown, parent = ''): Node {
  // In extended output, `attributes` is an object keyed by attribute code, not the definition's list.
  const isList = LISTS.has(name) && !(parent === 'extended_attributes' && name === 'attributes');
  if (typeof node === 'string') return isList && node === '' ? [] : node;
  if (node === null || node === undefined) return '';
  const obj = node as Record<string, unknown[]>;
  const keys = Object.keys(obj).filter((k) => k !== '$');
  if (keys.length === 0) return isList ? [] : '';
  if (isList) {
    const items = keys.flatMap((k) => obj[k] ?? []);
    return items.map((child) => convert(keys[0] as string, child));
  }
  const out: Record<string, Node> = {};
  for (const k of keys) {
    const children = obj[k] ?? [];
    // A key listed more than once outside a known list is kept as an array so a comparison fails loudly.
    out[k] = children.length === 1 ? convert(k, children[0], name) : children.map((c) => convert(k, c, name));
  }
  return out;
}

export async function parseXml(
  text: string,
): Promise<{ root: string; body: Node; order: Record<string, string[]> }> {
  const parsed = (await parseStringPromise(text, { explicitArray: true, emptyTag: '' })) as Record<
    string,
    unknown
  >;
  const root = Object.keys(parsed)[0] as string;
  return { root, body: convert(root, parsed[root]), order: {} };
}

/** The JSON body with every leaf as XML would carry it: numbers and booleans as text, null as ''. */
export function asXmlText(value: unknown): Node {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => asXmlText(v));
  if (typeof value === 'object') {
    const out: Record<string, Node> = {};
    for (const [k, v] of Object.entries(value)) {
      // An empty object renders as an empty element, which reads back as ''.
      out[k] =
        v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0
          ? ''
          : asXmlText(v);
    }
    return out;
  }
  return String(value);
}

/**
 * GETs a path in both formats, checks content types and the XML declaration, and that the XML parses
 * back to the JSON. Returns the JSON body, the XML text and the status.
 */
export async function getBoth(
  app: Express,
  pathNoExt: string,
  query = '',
): Promise<{ status: number; json: unknown; xml: string }> {
  const q = query ? `?${query}` : '';
  // A fixed Host: supertest binds a new port per request, and discovery echoes the host in its URLs.
  const j = await request(app).get(`${pathNoExt}.json${q}`).set('Host', 'open311.test');
  const x = await request(app).get(`${pathNoExt}.xml${q}`).set('Host', 'open311.test');
  expect(j.status).toBe(x.status);
  expect(j.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(x.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(x.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  const parsed = await parseXml(x.text);
  expect(parsed.body).toEqual(asXmlText(j.body));
  expectMatchesSpec('GET', `${pathNoExt}.json`, j.status, j.body);
  return { status: j.status, json: j.body, xml: x.text };
}
