/**
 * Input validation from JSON Schemas: one Ajv instance for the app, and one translation of Ajv's errors
 * into Open311 descriptions that name the field, all problems of an input reported at once.
 *
 * Why no Ajv coercion: `coerceTypes` is an option of the whole instance, and JSON bodies must not
 * silently turn "0.5" into 0.5 or "" into 0 (a client sending the wrong type hears about it). Query
 * strings only carry text, so `queryInput` turns each declared parameter into the type its schema
 * declares first (the Open311 reading: empty is absent, a repeated scalar takes its first value, lists
 * are comma-separated), and the same strict instance validates the result. Text that is not a number
 * stays text, so Ajv reports it with the parameter's expected range.
 *
 * catalog/attribute-validation.ts keeps its own instance for now: it needs `coerceTypes: 'array'` and
 * `removeAdditional` for submitted form attributes, which this instance must not have.
 */
import type Ajv from 'ajv';
import type { ErrorObject, Options, SchemaObject, ValidateFunction } from 'ajv';
import { badRequest } from './errors';

/**
 * The app's one instance, made when the first input is checked, not when a module that declares a checker
 * loads: loading Ajv and compiling every schema at start cost a restart 0.5–1 s of CPU
 * (docs/decisions/0002-performance.md). A memo of fixed facts (the options and keywords below): it holds
 * compiled schemas keyed by their $id, the same for every context.
 */
let instance: Ajv | undefined;

/** A new Ajv instance, loading Ajv only now (its load is start-up time a route that checks nothing saves). */
export function createAjv(options: Options): Ajv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const AjvClass = (require('ajv') as typeof import('ajv')).default;
  return new AjvClass(options);
}

function ajv(): Ajv {
  if (instance) return instance;
  const made = createAjv({
    allErrors: true,
    coerceTypes: false,
    useDefaults: true,
    removeAdditional: false,
    strict: true,
    allowUnionTypes: true, // form-encoded staff bodies send booleans as text
    verbose: true, // errors carry their schema and data, for the descriptions below
  });
  /** A description of what the field must be, with `{field}`; used for every error on that field. */
  made.addKeyword({ keyword: 'x-problem', schemaType: 'string' });
  /** A description of an unknown key of this object, with `{field}` (the object) and `{key}`. */
  made.addKeyword({ keyword: 'x-unknown', schemaType: 'string' });
  instance = made;
  return made;
}

export type Schema = SchemaObject & { $id: string };

export interface Checker<T> {
  /** Every problem with the input, as Open311 descriptions ([] when it is valid). */
  problems(input: unknown): string[];
  /** The input, valid, with schema defaults filled in; else one 400 listing every problem. */
  parse(input: unknown): T;
}

/**
 * Compiles a schema once (by its $id) on the shared instance, when it first checks an input (a schema
 * Ajv refuses then throws there, a 500: every checker is exercised by the tests of its route).
 */
export function checker<T>(schema: Schema): Checker<T> {
  let validate: ValidateFunction | undefined;
  const compiled = (): ValidateFunction => {
    if (validate) return validate;
    const a = ajv();
    validate = (a.getSchema(schema.$id) as ValidateFunction | undefined) ?? a.compile(schema);
    return validate;
  };
  const problems = (input: unknown): string[] => {
    const v = compiled();
    return v(input) ? [] : describeErrors(v.errors ?? []);
  };
  return {
    problems,
    parse(input: unknown): T {
      const list = problems(input);
      if (list.length > 0) throw badRequest(list);
      return input as T;
    },
  };
}

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function firstText(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v.find((x) => typeof x === 'string' && x.trim() !== '');
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/**
 * Query parameters → the typed object a schema describes. Only declared parameters are read: GeoReport
 * clients send others (api_key, jurisdiction_id, format) and that is not an error.
 */
export function queryInput(schema: Schema, params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = (schema.properties ?? {}) as Record<string, SchemaObject>;
  for (const [name, s] of Object.entries(properties)) {
    const raw = params[name];
    if (s.type === 'array') {
      const parts = (Array.isArray(raw) ? raw : [raw])
        .filter((x): x is string => typeof x === 'string')
        .flatMap((x) => x.split(','))
        .map((x) => x.trim())
        .filter((x) => x !== '');
      if (parts.length > 0) out[name] = parts;
      continue;
    }
    const text = firstText(raw);
    if (text === undefined) continue;
    if ((s.type === 'number' || s.type === 'integer') && NUMERIC.test(text)) out[name] = Number(text);
    else if (s.type === 'boolean' && /^(true|1)$/i.test(text)) out[name] = true;
    else if (s.type === 'boolean' && /^(false|0)$/i.test(text)) out[name] = false;
    else out[name] = text;
  }
  return out;
}

/** `/priorities/high` → `priorities.high`, `/event_types/2` → `event_types[2]`. */
function fieldOf(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (child !== undefined) parts.push(child);
  return parts
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '');
}

const fill = (template: string, field: string, key = ''): string =>
  template.replace(/\{field\}/g, field).replace(/\{key\}/g, key);

const typeNames: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

/** What a value of this schema must be, e.g. "must be a whole number from 1 to 1000". */
export function expectation(s: SchemaObject): string {
  if (Array.isArray(s.enum)) return `must be one of ${s.enum.map(String).join(', ')}`;
  const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t): t is string => typeof t === 'string');
  if (types.includes('number') || types.includes('integer')) {
    const noun = types.includes('integer') ? 'a whole number' : 'a number';
    const low =
      s.minimum !== undefined
        ? `from ${s.minimum}`
        : s.exclusiveMinimum !== undefined
          ? `greater than ${s.exclusiveMinimum}`
          : '';
    const high =
      s.maximum === undefined ? '' : low.startsWith('from') ? `to ${s.maximum}` : `at most ${s.maximum}`;
    const range = [low, high].filter(Boolean).join(low.startsWith('greater') && high ? ' and ' : ' ');
    return `must be ${noun}${range ? ` ${range}` : ''}`;
  }
  // Text that may also be null: the length is what a too-long text is told, not "text or null".
  const nullable = types.length === 2 && types.includes('null');
  if ((types.length === 1 || nullable) && types.includes('string') && s.maxLength !== undefined)
    return `must be text of ${s.minLength ? `${s.minLength} to ${s.maxLength}` : `at most ${s.maxLength}`} characters${nullable ? ' (or null)' : ''}`;
  if (types.length === 1 && types[0] === 'array' && s.maxItems !== undefined)
    return `must be a list of at most ${s.maxItems} values`;
  if (types.length > 0) return `must be ${types.map((t) => typeNames[t] ?? t).join(' or ')}`;
  return 'is not valid';
}

const normalise = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .replace(/s$/, '');

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const here = row[j] as number;
      row[j] = Math.min(here + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length] as number;
}

/** A known field the unknown one was probably meant to be (`events` → `event_types`), if any. */
export function suggestion(unknown: string, known: string[]): string | undefined {
  const u = normalise(unknown);
  return known.find((k) => {
    const n = normalise(k);
    const [short, long] = u.length <= n.length ? [u, n] : [n, u];
    return distance(u, n) <= 2 || (short.length >= 4 && long.includes(short));
  });
}

function describe(e: ErrorObject): string {
  const parent = (e.parentSchema ?? {}) as SchemaObject;
  const properties = (parent.properties ?? {}) as Record<string, SchemaObject>;
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const field = fieldOf(e.instancePath, key);
    if (typeof parent['x-unknown'] === 'string')
      return fill(parent['x-unknown'], fieldOf(e.instancePath), key);
    const known = Object.keys(properties);
    const hint = suggestion(key, known);
    return `Unknown field "${field}"${hint ? ` (did you mean "${fieldOf(e.instancePath, hint)}"?)` : ''}; expected ${known.join(', ')}.`;
  }
  if (e.keyword === 'required') {
    const key = String((e.params as { missingProperty: string }).missingProperty);
    const field = fieldOf(e.instancePath, key);
    const own = properties[key]?.['x-problem'];
    return typeof own === 'string' ? fill(own, field) : `${field} is required.`;
  }
  const field = fieldOf(e.instancePath);
  if (typeof parent['x-problem'] === 'string') return fill(parent['x-problem'], field);
  if (field === '')
    return `The body ${expectation(parent).replace(/^must be an object$/, 'must be a JSON object')}.`;
  const got =
    typeof e.data === 'string' || typeof e.data === 'number' ? ` (got "${String(e.data).slice(0, 40)}")` : '';
  return `${field} ${expectation(parent)}${got}.`;
}

/** Ajv errors → Open311 descriptions, one per problem (a field's repeated errors said once). */
export function describeErrors(errors: ErrorObject[]): string[] {
  return [...new Set(errors.map(describe))];
}

/**
 * A body whose values are still checked by hand, but whose field names are fixed: an unknown field is
 * a 400 naming it rather than silently ignored. `api_key` is always accepted (it may come in the body).
 */
export function fieldsOnly(id: string, names: readonly string[]): Checker<Record<string, unknown>> {
  return checker({
    $id: id,
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries([...names, 'api_key'].map((n) => [n, {}])),
  });
}
