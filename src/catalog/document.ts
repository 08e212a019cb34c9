/**
 * The documents of the admin catalog API and of catalog import/export (issue #14). Field names are a
 * contract: a service uses GeoReport's own names plus `agency_code` and `response_level`, and its
 * `attributes` are exactly a GeoReport service definition's. Parsing reports every problem at once, each
 * naming where it is (`services[3] (S0301).attributes[1] (WHISPOLO).values: ...`).
 */
import { IANAZone } from 'luxon';
import { canonicalTimeZone, MAX_LEVEL_VALUE } from '../sla';
import type { Datatype, ServiceType, SlaUnit } from './types';

export interface JurisdictionDoc {
  id: string;
  name: string;
  time_zone: string;
  email: string | null;
  phone: string | null;
  website: string | null;
  language: string | null;
}

export interface AgencyDoc {
  code: string;
  name: string;
  email: string | null;
  phone: string | null;
}

export interface AttributeDoc {
  variable: boolean;
  code: string;
  datatype: Datatype;
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values: Array<{ key: string; name: string }>;
}

export interface ServiceDoc {
  service_code: string;
  service_name: string;
  description: string;
  type: ServiceType;
  /** Derived: true when the service has attributes (GeoReport's meaning). Accepted on input, never stored. */
  metadata: boolean;
  keywords: string[];
  groups: string[];
  agency_code: string | null;
  response_level: { value: number; unit: SlaUnit } | null;
  attributes: AttributeDoc[];
  /** Admin extension: false for a retired service (kept because requests refer to it). */
  active: boolean;
  /**
   * Admin extension: whether a resident's update may reopen a closed request of this service (issue #16;
   * default true). Cities turn it off where a crew's closure is final (e.g. bulk item pick-up).
   */
  residents_can_reopen: boolean;
}

export interface CatalogDoc {
  agencies: AgencyDoc[];
  services: ServiceDoc[];
}

export const DATATYPES: readonly Datatype[] = [
  'string',
  'number',
  'datetime',
  'text',
  'singlevaluelist',
  'multivaluelist',
];
export const SERVICE_TYPES: readonly ServiceType[] = ['realtime', 'batch', 'blackbox'];
export const SLA_UNITS: readonly SlaUnit[] = ['hours', 'business_hours', 'business_days', 'calendar_days'];

// Attribute codes become XML element names in extended output, so they must be XML-name safe.
const ATTRIBUTE_CODE = /^[A-Za-z_][\w.-]{0,99}$/;
// Department codes appear in URL paths: no slash, no whitespace at the ends, no control characters.
// eslint-disable-next-line no-control-regex
const PATH_SAFE = /^[^/\s\u0000-\u001f](?:[^/\u0000-\u001f]{0,98}[^/\s\u0000-\u001f])?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_SERVICE_CODE = 100;
const JURISDICTION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Obj = Record<string, unknown>;

/** One place to say what is wrong, prefixed with where. */
export class Findings {
  readonly list: string[] = [];
  add(where: string, what: string): void {
    this.list.push(where ? `${where}: ${what}` : what);
  }
}

/** `where` + `.key`, without a leading dot at the top level. */
const sub = (where: string, key: string) => (where ? `${where}.${key}` : key);

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, where: string, f: Findings, allowed: readonly string[]): Obj | null {
  if (!isObj(v)) {
    f.add(where, 'must be a JSON object.');
    return null;
  }
  for (const k of Object.keys(v))
    if (!allowed.includes(k)) f.add(where, `unknown field "${k}" (allowed: ${allowed.join(', ')}).`);
  return v;
}

function text(
  o: Obj,
  key: string,
  where: string,
  f: Findings,
  opts: { required?: boolean; max?: number } = {},
) {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.required) f.add(where, `${key} is required.`);
    return null;
  }
  if (typeof v !== 'string') {
    f.add(where, `${key} must be a string.`);
    return null;
  }
  if (opts.required && v.trim() === '') f.add(where, `${key} must not be empty.`);
  if (opts.max !== undefined && v.length > opts.max)
    f.add(where, `${key} is longer than ${opts.max} characters.`);
  return v;
}

function bool(o: Obj, key: string, where: string, f: Findings, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    f.add(where, `${key} must be true or false.`);
    return fallback;
  }
  return v;
}

function strings(o: Obj, key: string, where: string, f: Findings): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) {
    f.add(where, `${key} must be an array of non-empty strings.`);
    return [];
  }
  return v as string[];
}

function oneOf<T extends string>(
  o: Obj,
  key: string,
  where: string,
  f: Findings,
  allowed: readonly T[],
  fallback: T,
): T {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    f.add(where, `${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)}).`);
    return fallback;
  }
  return v as T;
}

export function parseJurisdiction(v: unknown, f: Findings, where = ''): JurisdictionDoc | null {
  const o = object(v, where, f, ['id', 'name', 'time_zone', 'email', 'phone', 'website', 'language']);
  if (!o) return null;
  const id = text(o, 'id', where, f, { required: true }) ?? '';
  if (id && !JURISDICTION_ID.test(id))
    f.add(
      where,
      `id "${id}" must start with a letter or digit and use only letters, digits, . _ - (at most 100).`,
    );
  const name = text(o, 'name', where, f, { required: true, max: 200 }) ?? '';
  // Stored in its IANA spelling ("america/indiana/indianapolis" → "America/Indiana/Indianapolis"):
  // the default calendar's US federal holidays follow the zone's exact name.
  const given = text(o, 'time_zone', where, f, { required: true }) ?? '';
  const timeZone = given && IANAZone.isValidZone(given) ? (canonicalTimeZone(given) ?? '') : '';
  if (given && !timeZone)
    f.add(where, `time_zone "${given}" is not an IANA time zone (e.g. America/Indiana/Indianapolis).`);
  const email = text(o, 'email', where, f, { max: 200 });
  if (email && !EMAIL.test(email)) f.add(where, `email "${email}" is not an e-mail address.`);
  const website = text(o, 'website', where, f, { max: 500 });
  if (website && !/^https?:\/\/[^\s]+$/.test(website)) f.add(where, `website must be an http(s) URL.`);
  const language = text(o, 'language', where, f);
  if (language && !LANGUAGE.test(language))
    f.add(where, `language "${language}" is not a language tag (e.g. en, es, en-US).`);
  return {
    id,
    name,
    time_zone: timeZone,
    email,
    phone: text(o, 'phone', where, f, { max: 50 }),
    website,
    language,
  };
}

export function parseAgency(v: unknown, f: Findings, where = ''): AgencyDoc | null {
  const o = object(v, where, f, ['code', 'name', 'email', 'phone']);
  if (!o) return null;
  const code = text(o, 'code', where, f, { required: true }) ?? '';
  if (code && !PATH_SAFE.test(code))
    f.add(where, `code "${code}" must be at most 100 characters, without "/".`);
  const email = text(o, 'email', where, f, { max: 200 });
  if (email && !EMAIL.test(email)) f.add(where, `email "${email}" is not an e-mail address.`);
  return {
    code,
    name: text(o, 'name', where, f, { required: true, max: 200 }) ?? '',
    email,
    phone: text(o, 'phone', where, f, { max: 50 }),
  };
}

const ATTRIBUTE_FIELDS = [
  'variable',
  'code',
  'datatype',
  'required',
  'datatype_description',
  'order',
  'description',
  'values',
] as const;

function parseAttribute(v: unknown, index: number, where: string, f: Findings): AttributeDoc | null {
  const code0 = isObj(v) && typeof v.code === 'string' ? ` (${v.code})` : '';
  const at = `${sub(where, 'attributes')}[${index}]${code0}`;
  const o = object(v, at, f, ATTRIBUTE_FIELDS);
  if (!o) return null;
  const code = text(o, 'code', at, f, { required: true }) ?? '';
  if (code && !ATTRIBUTE_CODE.test(code))
    f.add(
      at,
      `code "${code}" must start with a letter or _ and use letters, digits, _ . - (it names an XML element).`,
    );
  const datatype = oneOf(o, 'datatype', at, f, DATATYPES, 'string');
  if (o.datatype === undefined) f.add(at, 'datatype is required.');
  let order = index + 1;
  if (o.order !== undefined) {
    if (typeof o.order !== 'number' || !Number.isInteger(o.order) || o.order < 0 || o.order > 1_000_000)
      f.add(at, 'order must be a whole number from 0.');
    else order = o.order;
  }
  const values: AttributeDoc['values'] = [];
  if (o.values !== undefined && o.values !== null) {
    if (!Array.isArray(o.values)) f.add(at, 'values must be an array of {key, name}.');
    else
      o.values.forEach((raw, i) => {
        const vo = object(raw, `${at}.values[${i}]`, f, ['key', 'name']);
        if (!vo) return;
        const key = text(vo, 'key', `${at}.values[${i}]`, f, { required: true, max: 200 }) ?? '';
        const name = text(vo, 'name', `${at}.values[${i}]`, f, { required: true, max: 500 }) ?? '';
        if (values.some((x) => x.key === key)) f.add(at, `value key "${key}" appears twice.`);
        values.push({ key, name });
      });
  }
  const isList = datatype === 'singlevaluelist' || datatype === 'multivaluelist';
  if (isList && values.length === 0)
    f.add(at, `a ${datatype} needs values (a list without values can never be answered).`);
  if (!isList && values.length > 0)
    f.add(at, `values are only for singlevaluelist and multivaluelist, not ${datatype}.`);
  return {
    variable: bool(o, 'variable', at, f, true),
    code,
    datatype,
    required: bool(o, 'required', at, f, false),
    datatype_description: text(o, 'datatype_description', at, f, { max: 1000 }),
    order,
    description: text(o, 'description', at, f, { max: 4000 }) ?? '',
    values,
  };
}

/**
 * A city keeps its own service codes (Baltimore's `TRM-Snow/Icy Conditions`), so a code may hold any
 * printable character, "/" included: clients put it in a URL path percent-encoded (`%2F`, as
 * encodeURIComponent does), and the routes match the encoded path. Each rule is its own sentence.
 */
export function serviceCodeProblems(code: string): string[] {
  const out: string[] = [];
  if (code.length > MAX_SERVICE_CODE)
    out.push(
      `service_code "${code.slice(0, 60)}…" is ${code.length} characters long; at most ${MAX_SERVICE_CODE}.`,
    );
  if (code.trim() !== code)
    out.push(`service_code "${code}" must not begin or end with a space (a client could not send it back).`);
  if (CONTROL.test(code))
    out.push(
      `service_code ${JSON.stringify(code)} must not contain control characters such as a tab or a line break.`,
    );
  // A URL path segment "." or ".." is resolved away by clients (and by the WHATWG URL parser) before it is
  // sent, so /services/{code} could not be reached with it (only percent-encoded as %2E): refused (probe).
  if (code === '.' || code === '..')
    out.push(
      `service_code "${code}" cannot be used: a URL cannot name it (clients resolve "${code}" in a path).`,
    );
  return out;
}

export const SERVICE_FIELDS = [
  'service_code',
  'service_name',
  'description',
  'type',
  'metadata',
  'keywords',
  'groups',
  'agency_code',
  'response_level',
  'attributes',
  'active',
  'residents_can_reopen',
] as const;

export function parseService(v: unknown, f: Findings, where = ''): ServiceDoc | null {
  const o = object(v, where, f, SERVICE_FIELDS);
  if (!o) return null;
  const code = text(o, 'service_code', where, f, { required: true }) ?? '';
  if (code) for (const problem of serviceCodeProblems(code)) f.add(where, problem);
  if (o.metadata !== undefined && typeof o.metadata !== 'boolean')
    f.add(where, 'metadata must be true or false.');
  let responseLevel: ServiceDoc['response_level'] = null;
  if (o.response_level !== undefined && o.response_level !== null) {
    const rl = object(o.response_level, sub(where, 'response_level'), f, ['value', 'unit']);
    if (rl) {
      const value = rl.value;
      if (typeof value !== 'number' || !(value > 0) || value > MAX_LEVEL_VALUE)
        f.add(sub(where, 'response_level'), `value must be a number above 0 and at most ${MAX_LEVEL_VALUE}.`);
      const unit = oneOf(rl, 'unit', sub(where, 'response_level'), f, SLA_UNITS, 'hours');
      if (rl.unit === undefined) f.add(sub(where, 'response_level'), 'unit is required.');
      responseLevel = { value: Number(value), unit };
    }
  }
  const attributes: AttributeDoc[] = [];
  if (o.attributes !== undefined && o.attributes !== null) {
    if (!Array.isArray(o.attributes)) f.add(where, 'attributes must be an array.');
    else
      o.attributes.forEach((a, i) => {
        const parsed = parseAttribute(a, i, where, f);
        if (!parsed) return;
        if (attributes.some((x) => x.code === parsed.code))
          f.add(where, `attribute code "${parsed.code}" appears twice.`);
        attributes.push(parsed);
      });
  }
  const agency = o.agency_code;
  if (agency !== undefined && agency !== null && (typeof agency !== 'string' || agency === ''))
    f.add(where, 'agency_code must be a department code or null.');
  return {
    service_code: code,
    service_name: text(o, 'service_name', where, f, { required: true, max: 500 }) ?? '',
    description: text(o, 'description', where, f, { max: 10_000 }) ?? '',
    type: oneOf(o, 'type', where, f, SERVICE_TYPES, 'realtime'),
    metadata: attributes.length > 0,
    keywords: strings(o, 'keywords', where, f),
    groups: strings(o, 'groups', where, f),
    agency_code: typeof agency === 'string' && agency !== '' ? agency : null,
    response_level: responseLevel,
    attributes: [...attributes].sort((a, b) => a.order - b.order || a.code.localeCompare(b.code)),
    active: bool(o, 'active', where, f, true),
    residents_can_reopen: bool(o, 'residents_can_reopen', where, f, true),
  };
}

const label = (v: unknown, key: string) => (isObj(v) && typeof v[key] === 'string' ? ` (${v[key]})` : '');

/** Where each entry of a catalog came from, for its messages; a CSV says `line 25` (default `services[23]`). */
export interface CatalogPlaces {
  agency?: (index: number) => string | undefined;
  service?: (index: number) => string | undefined;
}

/** The shapes a catalog import accepts, for the message when a body is none of them. */
export const CATALOG_SHAPES =
  'a catalog is a JSON object {"agencies": [...], "services": [...]} (the export format), a JSON array ' +
  'of GeoReport services (a services.json file), a GeoReport services XML file, or a CSV of services';

/** A whole catalog; `knownAgencies` are departments that exist already and may be referred to. */
export function parseCatalog(
  v: unknown,
  f: Findings,
  knownAgencies: Iterable<string> = [],
  places: CatalogPlaces = {},
): CatalogDoc {
  const doc: CatalogDoc = { agencies: [], services: [] };
  if (!isObj(v)) {
    f.add(
      '',
      `The catalog is ${Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'null' : `a ${typeof v}`}, but ${CATALOG_SHAPES}.`,
    );
    return doc;
  }
  const o = object(v, '', f, ['agencies', 'services']);
  if (!o) return doc;
  if (o.agencies !== undefined && !Array.isArray(o.agencies)) f.add('', 'agencies must be an array.');
  if (!Array.isArray(o.services)) f.add('', `services must be an array (${CATALOG_SHAPES}).`);
  (Array.isArray(o.agencies) ? o.agencies : []).forEach((a, i) => {
    const at = places.agency?.(i) ?? `agencies[${i}]`;
    const parsed = parseAgency(a, f, `${at}${label(a, 'code')}`);
    if (!parsed) return;
    if (doc.agencies.some((x) => x.code === parsed.code)) f.add(at, `code "${parsed.code}" appears twice.`);
    doc.agencies.push(parsed);
  });
  const agencies = new Set([...knownAgencies, ...doc.agencies.map((a) => a.code)]);
  (Array.isArray(o.services) ? o.services : []).forEach((s, i) => {
    const where = `${places.service?.(i) ?? `services[${i}]`}${label(s, 'service_code')}`;
    const parsed = parseService(s, f, where);
    if (!parsed) return;
    if (doc.services.some((x) => x.service_code === parsed.service_code))
      f.add(where, `service_code "${parsed.service_code}" appears twice.`);
    if (parsed.agency_code !== null && !agencies.has(parsed.agency_code))
      f.add(where, `agency_code "${parsed.agency_code}" is not a department of this catalog.`);
    doc.services.push(parsed);
  });
  return doc;
}

/**
 * The keyword that makes a service private, the one rule the database uses too: services.is_private is
 * generated as `'private' = ANY(keywords)` (exact, lower case). Its requests never appear publicly.
 */
export const PRIVATE_KEYWORD = 'private';
export const isPrivateService = (s: Pick<ServiceDoc, 'keywords'>): boolean =>
  s.keywords.includes(PRIVATE_KEYWORD);
