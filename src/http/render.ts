/**
 * One renderer for both formats (OPEN311.md "General rules"): routers produce a plain payload and this
 * module writes it as JSON or XML, so the two cannot drift.
 *
 * JSON mirrors the XML (the "Spark" convention): a list root (`services`, `service_requests`, `errors`...)
 * is a top-level array; a repeated child inside a container is always an array; `null` means "no value",
 * which XML renders as an empty element. XML is hand-written rather than built with xml2js's builder: it is
 * a few lines, it runs on the hottest path (1,000-row lists), and it must escape exactly what the tests
 * parse back (see render.test.ts).
 */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Format = 'json' | 'xml';

export interface Payload {
  /** The XML root element, e.g. `service_requests`. */
  root: string;
  body: Value;
}

/**
 * Element name of each item inside a list container. Other lists (a multivaluelist answer inside
 * `attributes`) use `value`, the name the standard gives list entries.
 */
const ITEM_NAMES: Readonly<Record<string, string>> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
  endpoints: 'endpoint',
  formats: 'format',
  notes: 'note',
  groups: 'group',
  service_request_updates: 'request_update',
  addresses: 'address',
  suggestions: 'suggestion',
  media_urls: 'media_url',
};

export const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

export function render(payload: Payload, format: Format): string {
  return format === 'json' ? JSON.stringify(payload.body) : renderXml(payload);
}

export function renderXml(payload: Payload): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  writeElement(out, payload.root, payload.body);
  out.push('\n');
  return out.join('');
}

function writeElement(out: string[], name: string, value: Value): void {
  if (value === null || value === '') {
    out.push('<', name, '/>');
  } else if (Array.isArray(value)) {
    const item = ITEM_NAMES[name] ?? 'value';
    if (value.length === 0) {
      out.push('<', name, '/>');
      return;
    }
    out.push('<', name, '>');
    for (const v of value) writeElement(out, item, v);
    out.push('</', name, '>');
  } else if (typeof value === 'object') {
    out.push('<', name, '>');
    for (const key of Object.keys(value)) writeElement(out, key, value[key] as Value);
    out.push('</', name, '>');
  } else {
    out.push('<', name, '>', escapeXml(String(value)), '</', name, '>');
  }
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A parser turns a raw CR (and CRLF) into LF; a character reference keeps "\r\n" exact on the way back.
  '\r': '&#13;',
};

/** Escapes markup and drops what XML 1.0 forbids outright, so no answer (errors included) fails to parse. */
export function escapeXml(text: string): string {
  return stripNonXmlChars(text).replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c] as string);
}

/**
 * Characters XML 1.0 cannot carry at all, not even as references (C0 controls other than tab, LF, CR;
 * U+FFFE/U+FFFF; lone surrogates). Inputs are cleaned with this on the way in, so whatever we store can be
 * rendered in both formats and reads back identically.
 */
const NOT_XML_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function stripNonXmlChars(text: string): string {
  return text.replace(NOT_XML_CHARS, '');
}
