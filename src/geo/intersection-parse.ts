/**
 * Street intersections as residents and cities write them (issue #17): "Boylston St & Dartmouth St",
 * "boylston and dartmouth", "corner of Boylston and Dartmouth", "Dartmouth St at Boylston St",
 * "Boylston / Dartmouth", the city's own "INTERSECTION of Boylston St & Dartmouth St  Boston  MA", each
 * with or without suffixes and with an optional trailing city, state and zip. Each street comes out
 * normalised as an address's street is (USPS abbreviations), so both are matched the same way.
 *
 * Pure and total: never throws; null when the text is not an intersection (an address with a house
 * number, one street, three streets).
 */
import { parseAddress, tokens } from './address-normalise';

export interface ParsedIntersection {
  /** Normalised street keys as written (not yet matched to the city's streets). */
  streets: [string, string];
  zip: string | null;
  /** Words after the second street that may name a place ("BOSTON", "DORCHESTER"), upper case. */
  place: string[];
}

const LEAD =
  /^\s*(?:(?:at|on)\s+)?(?:the\s+)?(?:intersection|corner|crossing|junction)(?:\s+(?:of|at))?\s*[:,]?\s+/i;
const SEPARATOR = /\s+(?:and|at)\s+|\s*(?:&|\/|@|\+)\s*/gi;
const HOUSE = /^\d+[A-Z]?(?:-\d+[A-Z]?)?$/;

/** One street of the pair, normalised as an address's street; null when it carries a house number. */
function streetOf(text: string): { street: string; zip: string | null } | null {
  const p = parseAddress(text);
  if (p.houseNumber !== null || p.street === '') return null;
  return { street: p.street, zip: p.zip };
}

export function parseIntersection(input: string): ParsedIntersection | null {
  if (typeof input !== 'string' || input.length > 300) return null;
  let text = input.replace(/\s+/g, ' ').trim();
  const led = LEAD.exec(text);
  if (led) text = text.slice(led[0].length);
  else if (HOUSE.test(tokens(text)[0] ?? '')) return null; // "29 Hereford St": an address
  // The trailing place (", Boston, MA 02116") belongs to the second street.
  const [line = '', ...rest] = text.split(/\s*[,;]\s*/);
  const parts = line.split(SEPARATOR).filter((p) => p.trim() !== '');
  if (parts.length !== 2) return null;
  const [aText, bText] = parts as [string, string];
  const a = streetOf(aText);
  // The city writes "…Dartmouth St  Boston  MA" without commas; parseAddress drops a city after a suffix.
  const b = streetOf([bText, ...rest].join(', '));
  if (!a || !b) return null;
  if (a.street === b.street) return null;
  // "…, Dorchester, MA": the words of the parts after the line, less state and zip, may name a place.
  const place = rest.flatMap((r) => tokens(r)).filter((w) => !/^\d/.test(w) && w.length > 2);
  return { streets: [a.street, b.street], zip: b.zip ?? a.zip, place };
}
