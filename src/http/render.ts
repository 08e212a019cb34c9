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
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(payload.root, payload.body)}\n`;
}

// Plain string concatenation (V8 builds ropes) is several times faster here than pushing parts to an
// array and joining them: a 1,000-row list is about 20,000 elements.
function element(name: string, value: Value): string {
  if (value === null || value === '') return `<${name}/>`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `<${name}/>`;
    const item = ITEM_NAMES[name] ?? 'value';
    let out = `<${name}>`;
    for (const v of value) out += element(item, v);
    return `${out}</${name}>`;
  }
  if (typeof value === 'object') {
    let out = `<${name}>`;
    for (const key of Object.keys(value)) out += element(key, value[key] as Value);
    return `${out}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
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

/** Any character escapeXml may change: markup, CR, and every candidate of NOT_XML_CHARS (any surrogate). */
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[&<>"'\u0000-\u0008\u000B-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const MARKUP = /[&<>"'\r]/g;

/**
 * Characters XML 1.0 cannot carry at all, not even as references (C0 controls other than tab, LF, CR;
 * U+FFFE/U+FFFF; lone surrogates). Inputs are cleaned with this on the way in, so whatever we store can be
 * rendered in both formats and reads back identically.
 */
const NOT_XML_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** A character NOT_XML_CHARS might drop: without one, its lookbehind need not run at every position. */
// eslint-disable-next-line no-control-regex
const MAYBE_NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Escapes markup and drops what XML 1.0 forbids outright, so no answer (errors included) fails to parse. */
export function escapeXml(text: string): string {
  // Nearly every value (ids, codes, dates, numbers) needs nothing: one scan of a character class
  // settles it, which keeps a 1,000-row list within a few ms (hostile strings: render.test.ts).
  if (!NEEDS_WORK.test(text)) return text;
  return stripNonXmlChars(text).replace(MARKUP, (c) => XML_ESCAPES[c] as string);
}

export function stripNonXmlChars(text: string): string {
  return MAYBE_NOT_XML.test(text) ? text.replace(NOT_XML_CHARS, '') : text;
}
