/**
 * A request id as a client writes it (a path segment or a body field): 1–18 digits, read as the number it
 * names, so "00100422" is 100422 (as GET requests/{id} has always read it: the database compares numbers).
 * Every id is made canonical (no leading zeros) before it is compared with another or looked up; anything
 * else (letters, "1e3", "0x10", 19 digits or more) names no request: a 404, the same on either database
 * (PostgreSQL 16 would read "0x10" and "1_000" as numbers, older versions refuse them).
 */
import { notFound, quoted } from '../core';

const DIGITS = /^\d{1,18}$/;

/** The canonical form of a request id, or null when `raw` cannot be one. */
export function canonicalRequestId(raw: string): string | null {
  if (!DIGITS.test(raw)) return null;
  return raw.replace(/^0+(?=\d)/, '');
}

/** The canonical form of a request id, or a 404 naming `field` ("service_request_id" for a path). */
export function requestIdOrNotFound(raw: string, field = 'service_request_id'): string {
  const id = canonicalRequestId(raw);
  if (id === null) throw notFound(`${field} "${quoted(raw)}" was not found.`);
  return id;
}
