/**
 * US street address normalisation for geocoding (issue #5). The key is "<house number> <street>" in upper
 * case with USPS abbreviations (Publication 28), without unit, city, state or zip, so "29 hereford street,
 * Boston MA 02115" and "29 Hereford St." meet on "29 HEREFORD ST". Pure and total: never throws, and
 * normalising a key again changes nothing.
 */
import { DIRECTIONALS, STATES, SUFFIXES, UNIT_WORDS } from './usps-abbreviations';

export interface ParsedAddress {
  houseNumber: string | null;
  street: string;
  unit: string | null;
  zip: string | null;
}

/** Upper case ASCII-ish words: accents stripped, punctuation to spaces (keeping "10-12", "1/2", "#"). */
function tokens(input: string): string[] {
  const text = input
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/&/g, ' AND ')
    .replace(/#/g, ' # ')
    .replace(/(\d)\s*-\s*(\d)/g, '$1-$2')
    .replace(/[^A-Z0-9#/\- ]+/g, ' ')
    .replace(/(^|\s)[-/]+|[-/]+(?=\s|$)/g, ' ');
  return text.split(/\s+/).filter((t) => t !== '');
}

const HOUSE = /^\d+[A-Z]?(-\d+[A-Z]?)?$/;
const ZIP = /^\d{5}(-?\d{4})?$/;

/** Removes a trailing ", City, ST 02115" part, returning the zip if there was one. */
function stripTail(words: string[], original: string): { words: string[]; zip: string | null } {
  const out = [...words];
  let zip: string | null = null;
  const last = out[out.length - 1];
  if (last && ZIP.test(last) && out.length > 1) {
    zip = last.slice(0, 5);
    out.pop();
  }
  const maybeState = out[out.length - 1];
  if (maybeState && STATES.has(maybeState) && out.length > 2) out.pop();
  // A city is only removed when the original text put it after a comma ("..., Boston").
  const commaParts = original.split(',');
  if (commaParts.length > 1) {
    const afterComma = tokens(commaParts.slice(1).join(' ')).filter((w) => !ZIP.test(w) && !STATES.has(w));
    const firstPart = tokens(commaParts[0] ?? '');
    const unitAfterComma = afterComma.length > 0 && UNIT_WORDS.has(afterComma[0] as string);
    if (!unitAfterComma && afterComma.length > 0 && firstPart.length >= 2 && out.length >= firstPart.length) {
      const tail = out.slice(out.length - afterComma.length).join(' ');
      if (tail === afterComma.join(' ')) out.splice(out.length - afterComma.length);
    }
  }
  return { words: out, zip };
}

function normaliseStreetWords(words: string[]): string[] {
  const w = [...words];
  if (w.length === 0) return w;
  const lastIndex = w.length - 1;
  const suffix = SUFFIXES.get(w[lastIndex] as string);
  // Only the last word is a suffix, and only if something is left for the name ("Park St" stays).
  if (suffix && w.length > 1) w[lastIndex] = suffix;
  // A leading directional is abbreviated unless it is the name itself ("North St" stays, "East Broadway" → "E BROADWAY").
  const first = DIRECTIONALS.get(w[0] as string);
  if (first && (w.length > 2 || (w.length === 2 && !SUFFIXES.has(w[1] as string)))) w[0] = first;
  const trailing = DIRECTIONALS.get(w[w.length - 1] as string);
  if (trailing && w.length > 2 && !suffix) w[w.length - 1] = trailing;
  return w;
}

export function parseAddress(input: string): ParsedAddress {
  const original = typeof input === 'string' ? input : '';
  const { words, zip } = stripTail(tokens(original), original);
  let houseNumber: string | null = null;
  let rest = words;
  if (rest[0] && HOUSE.test(rest[0])) {
    houseNumber = rest[0];
    rest = rest.slice(1);
    if (rest[0] === '1/2') {
      houseNumber = `${houseNumber} 1/2`;
      rest = rest.slice(1);
    }
  }
  let unit: string | null = null;
  const unitAt = rest.findIndex((w, i) => i > 0 && UNIT_WORDS.has(w));
  if (unitAt > 0) {
    const designator = UNIT_WORDS.get(rest[unitAt] as string) as string;
    const value = rest.slice(unitAt + 1).join(' ');
    unit = value ? `${designator} ${value}` : designator;
    rest = rest.slice(0, unitAt);
  }
  return { houseNumber, street: normaliseStreetWords(rest).join(' '), unit, zip };
}

export function normaliseStreet(street: string): string {
  return normaliseStreetWords(tokens(street)).join(' ');
}

export function normaliseAddress(input: string): string {
  const p = parseAddress(input);
  return [p.houseNumber, p.street].filter((x) => x !== null && x !== '').join(' ');
}
