/**
 * POST requests input (OPEN311.md "POST input") → a Submission. Accepts form-urlencoded, JSON and
 * multipart bodies alike: `attribute[CODE]=v`, `attribute[CODE][]=a&attribute[CODE][]=b`, the same key
 * repeated without `[]` (FixMyStreet), or a JSON object `{"attribute": {"CODE": "v"}}`.
 */
import { Problems } from '../core';
import type { Submission } from '../requests';
import { number, scalar, type FieldShape, type RawParams } from '../http';
import { stripNonXmlChars } from '../http';

const MAX_ATTRIBUTES = 200;

/** The fields of POST requests that hold one value (spec/openapi.yaml NewRequest), checked before the key. */
export const SUBMISSION_SHAPES: Record<string, FieldShape> = {
  api_key: 'text',
  jurisdiction_id: 'text',
  service_code: 'text',
  lat: 'number',
  long: 'number',
  address_string: 'text',
  address_id: 'text',
  email: 'text',
  device_id: 'text',
  deviceid: 'text',
  account_id: 'text',
  first_name: 'text',
  last_name: 'text',
  phone: 'text',
  description: 'text',
  media_url: 'texts',
  client_request_id: 'text',
};
const MAX_MEDIA_URLS = 10;
const DESCRIPTION_MAX = 4000;

function clean(text: string): string {
  return stripNonXmlChars(text).normalize('NFC');
}

function attributeValue(v: unknown): string | string[] | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v.trim() === '' ? undefined : clean(v.trim());
  const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
  const strings = items
    .map((x) => (typeof x === 'number' || typeof x === 'boolean' ? String(x) : x))
    .filter((x): x is string => typeof x === 'string' && x.trim() !== '')
    .map((x) => clean(x.trim()));
  return strings.length > 0 ? strings : undefined;
}

export function extractAttributes(body: RawParams, problems: Problems): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const put = (code: string, v: unknown) => {
    const value = attributeValue(v);
    if (value !== undefined) out[code] = value;
  };
  const nested = body.attribute;
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
    for (const [code, v] of Object.entries(nested)) put(code, v);
  }
  for (const [key, v] of Object.entries(body)) {
    const m = /^attribute\[([^\]]+)\](?:\[\])?$/.exec(key);
    if (m?.[1]) put(m[1], v);
  }
  if (Object.keys(out).length > MAX_ATTRIBUTES)
    problems.add(`At most ${MAX_ATTRIBUTES} attributes may be sent.`);
  return out;
}

function limited(params: RawParams, name: string, max: number, problems: Problems): string | undefined {
  const v = scalar(params, name);
  if (v === undefined) return undefined;
  if (v.length > max) problems.add(`${name} is too long (at most ${max} characters).`);
  return clean(v.slice(0, max));
}

function mediaUrls(params: RawParams, problems: Problems): string[] {
  const raw = params.media_url;
  const values = (Array.isArray(raw) ? raw : [raw]).filter(
    (x): x is string => typeof x === 'string' && x.trim() !== '',
  );
  const urls: string[] = [];
  for (const value of values.slice(0, MAX_MEDIA_URLS)) {
    try {
      const u = new URL(value.trim());
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || value.length > 2048)
        throw new Error('scheme');
      urls.push(u.toString());
    } catch {
      problems.add('media_url must be an http or https URL of at most 2048 characters.');
    }
  }
  if (values.length > MAX_MEDIA_URLS) problems.add(`At most ${MAX_MEDIA_URLS} media_url values may be sent.`);
  return urls;
}

export function parseSubmission(body: RawParams, idempotencyHeader: string | undefined): Submission {
  const problems = new Problems();
  const lat = number(body, 'lat', problems, { min: -90, max: 90 });
  const long = number(body, 'long', problems, { min: -180, max: 180 });
  if ((lat === undefined) !== (long === undefined) && !problems.any)
    problems.add('lat and long must be given together.');

  const descriptionRaw = scalar(body, 'description');
  let description: string | undefined;
  if (descriptionRaw !== undefined) {
    // Stored as the resident wrote it (issue #15.6): tag-stripping was bypassable (`<scr<b>ipt>`) and lost
    // text like "a <b> c"; every output encodes instead (JSON, XML, CSV, and HTML pages escape it).
    description = clean(descriptionRaw).trim();
    if (description.length > DESCRIPTION_MAX)
      problems.add(`description is too long (at most ${DESCRIPTION_MAX} characters).`);
    if (description === '') description = undefined;
  }
  const email = limited(body, 'email', 254, problems);
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    problems.add('email is not a valid e-mail address.');

  const clientRequestId =
    limited(body, 'client_request_id', 200, problems) ?? (idempotencyHeader?.trim() || undefined);
  if (clientRequestId !== undefined && clientRequestId.length > 200)
    problems.add('Idempotency-Key is too long (at most 200 characters).');

  const submission: Submission = {
    serviceCode: limited(body, 'service_code', 200, problems),
    location: {
      ...(lat !== undefined && long !== undefined ? { point: { lat, long } } : {}),
      ...(scalar(body, 'address_string') !== undefined
        ? { addressString: limited(body, 'address_string', 500, problems) }
        : {}),
      ...(scalar(body, 'address_id') !== undefined
        ? { addressId: limited(body, 'address_id', 50, problems) }
        : {}),
    },
    attributes: extractAttributes(body, problems),
    description,
    mediaUrls: mediaUrls(body, problems),
    contact: {
      email,
      phone: limited(body, 'phone', 50, problems),
      firstName: limited(body, 'first_name', 200, problems),
      lastName: limited(body, 'last_name', 200, problems),
      deviceId: limited(body, 'device_id', 200, problems) ?? limited(body, 'deviceid', 200, problems),
      accountId: limited(body, 'account_id', 200, problems),
    },
    clientRequestId,
  };
  problems.throwIfAny();
  return submission;
}
