/**
 * US street address normalisation for geocoding (issue #5). Both the city's address points and the
 * resident's free text get the same canonical key, "<house number> <street>", upper case, with USPS
 * Publication 28 abbreviations (https://pe.usps.com/text/pub28/28apc_002.htm), without unit, city, state
 * or zip: "29 hereford street, Boston MA 02115" and "29 Hereford St. Apt 3" both give "29 HEREFORD ST".
 * The geocoder matches the key exactly first, then by trigram similarity, so the key must be canonical.
 *
 * Pure and total: never throws, and normalising a key again changes nothing (checked by property tests).
 */
import {
  COUNTRY_NAMES,
  DIRECTIONALS,
  NAME_PREFIXES,
  ORDINALS,
  STANDALONE_UNITS,
  STATE_CODES,
  STATE_NAMES,
  SUFFIXES,
  UNIT_DESIGNATORS,
} from './usps-abbreviations';

export interface ParsedAddress {
  houseNumber: string | null;
  street: string;
  unit: string | null;
  zip: string | null;
}

/** "29", "29A", "10-12", "99A-99B": a leading number, optional letter, optional range. */
const HOUSE = /^\d+[A-Z]?(?:-\d+[A-Z]?)?$/;
const FRACTION = /^\d+\/\d+$/;
const ZIP = /^\d{5}(?:-?\d{4})?$/;
const NUMERIC_ORDINAL = /^\d+(?:ST|ND|RD|TH)$/;
/** "APT3", "STE200": a designator glued to its value. */
const GLUED_UNIT = /^(APT|UNIT|STE|RM|FL|BLDG)(\d+[A-Z]?)$/;

const isSuffix = (w: string | undefined): boolean => w !== undefined && SUFFIXES.has(w);
const isDirectional = (w: string | undefined): boolean => w !== undefined && DIRECTIONALS.has(w);
const isOrdinal = (w: string | undefined): boolean =>
  w !== undefined && (ORDINALS.has(w) || NUMERIC_ORDINAL.test(w));
/** A word that can end a street name, so it is only taken for a state when that is unambiguous. */
const isStreetWord = (w: string): boolean => isSuffix(w) || isDirectional(w) || UNIT_DESIGNATORS.has(w);

/**
 * Free text → upper-case words of letters and digits. Why each step:
 * - "½" first, because NFKC would glue it to the house number ("12½" → "121⁄2");
 * - NFKC folds compatibility forms (full-width digits, ligatures, non-breaking spaces), upper case, then
 *   NFKD and dropping combining marks strips diacritics ("Café" → "CAFE"); upper casing first so that
 *   no mark it produces ("ǰ" → "J̌") survives;
 * - invisible format characters (zero-width space, RTL marks) are deleted, not spaced, so they cannot
 *   split a word; apostrophes likewise ("Mary's" → "MARYS", as the city writes it);
 * - "N.E." → "NE" before periods become spaces; "&" → "AND"; "#" stands alone ("#200" → "# 200");
 * - a hyphen survives only in a house-number range ("10 - 12" → "10-12") and a slash only in a fraction
 *   ("1/2"); all other punctuation separates words.
 */
export function tokens(input: string): string[] {
  const text = input
    .replace(/\u00BD/g, ' 1/2')
    .normalize('NFKC')
    .toUpperCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[\p{Cf}'\u2018\u2019\u02BC`]+/gu, '')
    .replace(/\u2044/g, '/')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/&/g, ' AND ')
    .replace(/\b[A-Z](?:\.[A-Z])+\b\.?/g, (m) => m.replace(/\./g, ''))
    .replace(/#/g, ' # ')
    .replace(/[^\p{L}\p{N}#/\-\s]+/gu, ' ')
    .replace(/(?<=\d[A-Z]?)\s*-+\s*(?=\d)/g, '\uE000')
    .replace(/(?<=\d)\s*\/+\s*(?=\d)/g, '\uE001')
    .replace(/[-/]+/g, ' ')
    .replace(/\uE000/g, '-')
    .replace(/\uE001/g, '/');
  return text.split(/\s+/).filter((t) => t !== '');
}

/** Length of the state or country name that ends `words`, if any (0 when none). */
function endsWithName(words: readonly string[], names: readonly (readonly string[])[]): number {
  for (const name of names) {
    if (name.length < words.length && name.every((w, i) => words[words.length - name.length + i] === w)) {
      return name.length;
    }
  }
  return 0;
}

/**
 * Index of the first suffix word with a name before it, e.g. the "AVE" of "HYDE PARK AVE HYDE PARK".
 * Suffix-like words followed by another suffix ("BLUE HILL AVE") or with only a directional before them
 * ("N MOUNT VERNON ST", "N ST JAMES ST") are part of the name.
 */
function streetEnd(words: readonly string[], before = words.length): number {
  let named = false;
  let directionalName = -1;
  for (let j = 0; j < before; j++) {
    if (isSuffix(words[j]) && !isSuffix(words[j + 1])) {
      if (named) return j;
      if (j >= 1 && directionalName < 0) directionalName = j;
    }
    named ||= !isDirectional(words[j]);
  }
  // Only when nothing better is found is the directional the name itself: "NORTH ST BOSTON".
  return directionalName;
}

interface Tail {
  words: string[];
  zip: string | null;
  /** A zip or state was seen, so any words after the street's suffix are a city ("... ST BOSTON MA"). */
  sawPlace: boolean;
}

/**
 * Drops a trailing "[City] ST 02115[-1234] [USA]" from a street line without commas. A state code that
 * is also a street word (CT = Court, NE = Northeast, FL = Floor) is never taken for a state here; a
 * state without a zip only after a street suffix or two other words, and a full state name only after
 * a street suffix, so "10 Hereford Ct", "29 Hereford Me" and "500 N Washington" keep their last word.
 */
function stripPlace(input: Tail): Tail {
  const words = [...input.words];
  let { zip, sawPlace } = input;
  for (;;) {
    const last = words[words.length - 1] as string;
    const country = endsWithName(words, COUNTRY_NAMES);
    const stateName = endsWithName(words, STATE_NAMES);
    if (words.length >= 2 && ZIP.test(last)) {
      zip ??= last.slice(0, 5);
      words.pop();
    } else if (country > 0) {
      words.splice(words.length - country);
    } else if (
      words.length >= 2 &&
      STATE_CODES.has(last) &&
      !isStreetWord(last) &&
      (sawPlace || words.length >= 3 || streetEnd(words, words.length - 1) >= 0)
    ) {
      words.pop();
    } else if (stateName > 0 && streetEnd(words, words.length - stateName) >= 0) {
      // A full name must follow a street suffix even after a zip: "500 N Washington 02115" is a street.
      words.splice(words.length - stateName);
    } else {
      return { words, zip, sawPlace };
    }
    sawPlace = true;
  }
}

/** Finds a secondary unit in a street line: "APT 3", "# 200", "FL 2" (from "2nd Floor"), "REAR". */
function takeUnit(words: readonly string[]): { words: string[]; unit: string | null } {
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    const glued = GLUED_UNIT.exec(w);
    if (glued)
      return { words: words.slice(0, i), unit: `${UNIT_DESIGNATORS.get(glued[1] as string)} ${glued[2]}` };
    const next = words[i + 1];
    if (isOrdinal(w) && (next === 'FL' || next === 'FLOOR')) {
      const n = ORDINALS.get(w) ?? w;
      return { words: words.slice(0, i), unit: `FL ${n.replace(/\D+$/, '')}` };
    }
    const designator = UNIT_DESIGNATORS.get(w);
    // "Unit #3": the "#" after a designator is noise.
    const valueAt = next === '#' && designator !== '#' ? i + 2 : i + 1;
    const value = words[valueAt];
    // Whatever follows the unit value is the city/state ("Apt 3 Boston MA"), so it goes too.
    if (designator && value !== undefined)
      return { words: words.slice(0, i), unit: `${designator} ${value}` };
  }
  const standalone = words.length >= 2 ? STANDALONE_UNITS.get(words[words.length - 1] as string) : undefined;
  if (standalone) return { words: words.slice(0, -1), unit: standalone };
  return { words: [...words], unit: null };
}

/**
 * USPS street name rules on the words after the house number:
 * - spelt-out ordinals become numeric ("E First St" → "E 1ST ST"), as city data and residents differ;
 * - a trailing directional is abbreviated when the street has other words ("Charles St South" →
 *   "CHARLES ST S", "Charlesgate East" → "CHARLESGATE E");
 * - only the last word (before a trailing directional) is a suffix, and only if a name precedes it:
 *   "Park St" → "PARK ST", "10 Park" → "PARK"; a suffix before "EXT" is one too ("Harrison Avenue Ext"
 *   → "HARRISON AVE EXT");
 * - a leading directional is abbreviated only when a name remains besides the suffix, because "North
 *   St" and "N St" are different streets (both exist in Boston) but "North Harvard St" is "N HARVARD ST";
 * - "St"/"Mt"/"Ft" starting a name are "SAINT"/"MOUNT"/"FORT" ("St James Ave" → "SAINT JAMES AVE").
 */
function normaliseStreetWords(input: readonly string[]): string[] {
  const w = input.filter((x) => x !== '#').map((x) => ORDINALS.get(x) ?? x);
  let end = w.length;
  if (w.length >= 2 && isDirectional(w[end - 1]) && w.slice(0, -1).some((x) => !isDirectional(x))) {
    w[end - 1] = DIRECTIONALS.get(w[end - 1] as string) as string;
    end -= 1;
  }
  const slots = new Set<number>();
  const s = end - 1;
  if (s >= 1 && isSuffix(w[s])) {
    w[s] = SUFFIXES.get(w[s] as string) as string;
    slots.add(s);
    if (w[s] === 'EXT' && s - 1 >= 1 && isSuffix(w[s - 1])) {
      w[s - 1] = SUFFIXES.get(w[s - 1] as string) as string;
      slots.add(s - 1);
    }
  }
  const hasNameAfter = (i: number) => w.slice(i + 1, end).some((_, k) => !slots.has(i + 1 + k));
  let nameStart = 0;
  if (isDirectional(w[0]) && hasNameAfter(0)) {
    w[0] = DIRECTIONALS.get(w[0] as string) as string;
    nameStart = 1;
  }
  const prefix = NAME_PREFIXES.get(w[nameStart] ?? '');
  if (prefix && !slots.has(nameStart) && nameStart < end && hasNameAfter(nameStart)) w[nameStart] = prefix;
  return w;
}

interface Parse {
  house: string | null;
  street: string[];
  unit: string | null;
  zip: string | null;
}

const startsAddress = (seg: readonly string[]): boolean =>
  seg.length >= 2 && HOUSE.test(seg[0] as string) && !ZIP.test(seg[0] as string);

/** One pass of parsing; `parseAddress` repeats it on its own key until nothing changes. */
function parseOnce(input: string): Parse {
  // Commas (and semicolons, line breaks) separate the street line from unit, city, state and zip.
  const segments = input
    .split(/[,;\r\n]+/)
    .map(tokens)
    .filter((seg) => seg.length > 0);
  // "10, Hereford St": a number alone belongs to the next part.
  if (segments.length >= 2 && segments[0]?.length === 1 && HOUSE.test(segments[0][0] as string)) {
    segments.splice(0, 2, [...(segments[0] ?? []), ...(segments[1] ?? [])]);
  }
  // "Boston City Hall, 1 City Hall Sq": a place name before the numbered street line is dropped.
  const first = segments[0] ?? [];
  const lineAt = HOUSE.test(first[0] ?? '') ? 0 : Math.max(0, segments.findIndex(startsAddress));
  let unit: string | null = null;
  let zip: string | null = null;
  let places = 0;
  segments.forEach((seg, i) => {
    if (i === lineAt) return;
    // A part that starts with a unit ("Apt 3", "2nd Floor") is the unit; any other part is a place.
    const found = takeUnit(['', ...seg]);
    const isUnit = found.unit !== null && found.words.length === 1;
    if (isUnit) unit ??= found.unit;
    else if (i > lineAt) places += 1;
    // After the street line, a five-digit word is the zip ("Apt 3 MA 02115"), unless it is the unit's value.
    if (i > lineAt) zip ??= seg.findLast((t, k) => ZIP.test(t) && !(isUnit && k === 1))?.slice(0, 5) ?? null;
  });

  let line = segments[lineAt] ?? [];
  while (line[0] === '#') line = line.slice(1);
  let house: string | null = null;
  const range = /^(\d+)-(\d+\/\d+)$/.exec(line[0] ?? '');
  if (range) {
    house = `${range[1]} ${range[2]}`;
    line = line.slice(1);
  } else if (HOUSE.test(line[0] ?? '')) {
    house = line[0] as string;
    line = line.slice(1);
    if (FRACTION.test(line[0] ?? '')) {
      house = `${house} ${line[0]}`;
      line = line.slice(1);
    }
  }

  let tail = stripPlace({ words: line, zip, sawPlace: places > 0 });
  const withUnit = takeUnit(tail.words);
  tail = stripPlace({ ...tail, words: withUnit.words });
  let words = tail.words;
  if (tail.sawPlace && withUnit.unit === null) {
    // "... St Boston MA": the city is whatever follows the street's suffix. "South Boston" is a city, so
    // a directional after the suffix is only kept when it ends the line ("Charles St S").
    const j = streetEnd(words);
    const keep = j >= 0 && j + 2 === words.length && isDirectional(words[j + 1]) ? j + 2 : j + 1;
    if (j >= 0) words = words.slice(0, keep);
  }
  return { house, street: normaliseStreetWords(words), unit: unit ?? withUnit.unit, zip: tail.zip };
}

const keyOf = (p: Parse): string => [p.house ?? '', ...p.street].filter((x) => x !== '').join(' ');

/** Structured parse of a free-text address; `houseNumber` + `street` is exactly `normaliseAddress`. */
export function parseAddress(input: string): ParsedAddress {
  const first = parseOnce(typeof input === 'string' ? input : '');
  // Parsing the key again must change nothing. Removing one tail can expose another ("N Ph Rear": PH is
  // a penthouse only once REAR is gone), so the parse is repeated on its own key until it settles. One
  // extra pass sufficed for every one of 400,000 generated inputs; the bound is only a guard.
  let p = first;
  for (let i = 0; i < 8; i++) {
    const next = parseOnce(keyOf(p));
    const done = keyOf(next) === keyOf(p);
    p = next;
    if (done) break;
  }
  return { houseNumber: p.house, street: p.street.join(' '), unit: first.unit, zip: first.zip };
}

/** Canonical key: upper case "<house> <street>" with USPS abbreviations, e.g. "29 HEREFORD ST". */
export function normaliseAddress(input: string): string {
  const p = parseAddress(input);
  return [p.houseNumber ?? '', p.street].filter((x) => x !== '').join(' ');
}

/** Normalises just a street name: "North Washington Street" → "N WASHINGTON ST". */
export function normaliseStreet(street: string): string {
  return normaliseStreetWords(tokens(typeof street === 'string' ? street : '')).join(' ');
}
