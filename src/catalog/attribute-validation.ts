/**
 * Submitted `attribute[CODE]` values checked against a service definition with Ajv. One JSON Schema is
 * compiled per service definition version and kept in the context's validator cache (issue #4).
 * Form bodies carry strings, so Ajv coerces ("12" → 12, a single value ↔ a one-element list).
 */
import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DateTime } from 'luxon';
import type { Cache } from '../cache';
import type { Service, ServiceAttribute } from './types';
import { createAjv, parseDateTime } from '../core';

/**
 * Made when the first attributes are checked, not at start (Ajv's load is part of what a restart spent
 * loading modules: docs/decisions/0002-performance.md). A memo of fixed facts: the validators it compiles
 * are kept, and forgotten, by the context's cache.
 */
let instance: Ajv | undefined;

function ajv(): Ajv {
  if (instance) return instance;
  const made = createAjv({
    allErrors: true,
    coerceTypes: 'array',
    removeAdditional: 'all',
    useDefaults: false,
  });
  // Years 0001-9999 only, as every other datetime input (core/time.ts parseDateTime).
  made.addFormat('open311-datetime', (v: string) => parseDateTime(v, 'UTC') !== null);
  instance = made;
  return made;
}

const STRING_MAX = 1000;
const TEXT_MAX = 4000;

function schemaFor(attr: ServiceAttribute): Record<string, unknown> {
  const keys = attr.values.map((v) => v.key);
  switch (attr.datatype) {
    case 'number':
      return { type: 'number' };
    case 'datetime':
      return { type: 'string', format: 'open311-datetime' };
    case 'text':
      return { type: 'string', maxLength: TEXT_MAX };
    case 'singlevaluelist':
      return { type: 'string', enum: keys };
    case 'multivaluelist':
      return {
        type: 'array',
        items: { type: 'string', enum: keys },
        uniqueItems: true,
        minItems: attr.required ? 1 : 0,
      };
    case 'string':
    default:
      return { type: 'string', maxLength: STRING_MAX };
  }
}

function compile(service: Service): ValidateFunction {
  const inputs = service.attributes.filter((a) => a.variable);
  return ajv().compile({
    type: 'object',
    properties: Object.fromEntries(inputs.map((a) => [a.code, schemaFor(a)])),
    required: inputs.filter((a) => a.required).map((a) => a.code),
    additionalProperties: false,
  });
}

/** Compiled validators by service id and version, built in `createContext` (`ctx.validators`). */
export type Validators = Cache<string, ValidateFunction>;

/** The cache's `dispose`: Ajv keeps every compiled schema until told to forget it. */
export function forgetValidator(validate: ValidateFunction): void {
  instance?.removeSchema(validate.schema);
}

function validatorFor(service: Service, validators: Validators): ValidateFunction {
  const key = `${service.id}:${service.version}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = compile(service);
    validators.set(key, validate);
  }
  return validate;
}

export type AttributeValues = Record<string, string | number | string[]>;

function describe(service: Service, e: ErrorObject): string {
  const code =
    e.keyword === 'required'
      ? String((e.params as { missingProperty: string }).missingProperty)
      : (e.instancePath.split('/')[1] ?? '');
  const attr = service.attributes.find((a) => a.code === code);
  const label = `attribute[${code}]${attr?.description ? ` ("${attr.description}")` : ''}`;
  const keys = attr?.values.map((v) => v.key).join(', ') ?? '';
  switch (e.keyword) {
    case 'required':
    case 'minItems':
      return `${label} is required for ${service.serviceCode}.`;
    case 'enum':
      return `${label} must be one of: ${keys}.`;
    case 'type':
      return attr?.datatype === 'number' ? `${label} must be a number.` : `${label} has the wrong form.`;
    case 'format':
      return `${label} must be an ISO 8601 date and time, e.g. 2026-11-22T14:03:00-05:00.`;
    case 'maxLength':
      return `${label} is too long (at most ${(e.params as { limit: number }).limit} characters).`;
    case 'uniqueItems':
      return `${label} lists the same value twice.`;
    default:
      return `${label} is not valid: ${e.message ?? e.keyword}.`;
  }
}

const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
/**
 * A text that is a decimal number (a list holding one, as a repeated form field is, too). An empty text is
 * left to the schema, as before (clients send optional fields empty).
 */
const isDecimal = (v: unknown): boolean =>
  typeof v === 'string'
    ? v.trim() === '' || DECIMAL.test(v)
    : Array.isArray(v) && v.length === 1 && isDecimal(v[0]);

/**
 * Returns the cleaned values (known codes only, coerced, datetimes normalised to ISO with offset) or the
 * list of problems, one per attribute. Unknown codes are dropped: clients such as FixMyStreet send extra
 * attributes of their own, and rejecting them would break those clients.
 */
export function validateAttributes(
  service: Service,
  submitted: Record<string, string | string[]>,
  validators: Validators,
): { ok: true; values: AttributeValues } | { ok: false; problems: string[] } {
  const data: Record<string, unknown> = { ...submitted };
  // A number is written in decimal (JSON's form, or "2", "1.5", "-3e2" in a form): the schema's coercion
  // (JavaScript's Number()) would also take "0x1F" as 31 and "0b11" as 3 (outside probe). Checked beside
  // it, as lat and long are checked.
  const notDecimal = service.attributes.filter((a) => {
    const v: unknown = submitted[a.code];
    return a.datatype === 'number' && v !== undefined && typeof v !== 'number' && !isDecimal(v);
  });
  const decimalProblems = notDecimal.map((a) => `attribute[${a.code}] must be a number.`);
  const validate = validatorFor(service, validators);
  if (!validate(data) || decimalProblems.length > 0) {
    const seen = new Set<string>(decimalProblems);
    const problems: string[] = [...decimalProblems];
    for (const e of validate.errors ?? []) {
      const text = describe(service, e);
      if (!seen.has(text)) problems.push(text);
      seen.add(text);
    }
    return { ok: false, problems };
  }
  // Coercion reads "1e309" as Infinity, which JSON stores as null: a number must be finite.
  const infinite = service.attributes.filter(
    (a) => a.datatype === 'number' && typeof data[a.code] === 'number' && !Number.isFinite(data[a.code]),
  );
  if (infinite.length > 0)
    return {
      ok: false,
      problems: infinite.map(
        (a) => `attribute[${a.code}] must be a finite number (got a value out of range).`,
      ),
    };
  for (const attr of service.attributes) {
    const v = data[attr.code];
    if (attr.datatype === 'datetime' && typeof v === 'string') {
      data[attr.code] = DateTime.fromISO(v, { setZone: true }).toISO({ suppressMilliseconds: true }) ?? v;
    }
  }
  return { ok: true, values: data as AttributeValues };
}
