import fc from 'fast-check';
import { normaliseAddress, normaliseStreet, parseAddress } from './address-normalise';
import { DIRECTIONALS, STANDALONE_UNITS, SUFFIXES, UNIT_DESIGNATORS } from './usps-abbreviations';

const cases = (title: string, table: Array<[string, string]>) =>
  describe(title, () => {
    it.each(table)('when %j is normalised, then the key is %j', (input, key) => {
      expect(normaliseAddress(input)).toBe(key);
    });
  });

cases('case, spacing and punctuation', [
  ['29 Hereford St', '29 HEREFORD ST'],
  ['29 hereford st', '29 HEREFORD ST'],
  ['  29   HEREFORD \t  STREET  ', '29 HEREFORD ST'],
  ['29 Hereford St.', '29 HEREFORD ST'],
  ['29 Hereford St...', '29 HEREFORD ST'],
  ['29 Hereford  St.,', '29 HEREFORD ST'],
  ['1 City Hall Sq', '1 CITY HALL SQ'],
  ["8 Saint Mary's St", '8 SAINT MARYS ST'],
  ['8 Saint Mary’s Street', '8 SAINT MARYS ST'],
  ['99 A & B Street', '99 A AND B ST'],
  ['9 Café Road', '9 CAFE RD'],
  ['２９ Ｈｅｒｅｆｏｒｄ Ｓｔ', '29 HEREFORD ST'],
  ['29 Here\u200bford St', '29 HEREFORD ST'],
  ['29\u00a0Hereford\u00a0St', '29 HEREFORD ST'],
  ['\u202e29 Hereford St', '29 HEREFORD ST'],
  ['𝟐𝟗 Hereford St', '29 HEREFORD ST'],
  ['רחוב הרצל 10', 'רחוב הרצל 10'],
  ['Hereford St', 'HEREFORD ST'],
]);

cases('street suffixes (USPS Pub. 28 C1)', [
  ['29 Hereford Street', '29 HEREFORD ST'],
  ['29 Hereford Str', '29 HEREFORD ST'],
  ['10 Commonwealth Avenue', '10 COMMONWEALTH AVE'],
  ['100 Blue Hill Av', '100 BLUE HILL AVE'],
  ['9 Dorchester Road', '9 DORCHESTER RD'],
  ['1 Seaport Boulevard', '1 SEAPORT BLVD'],
  ['3 Court Place', '3 COURT PL'],
  ['3 Court Pl.', '3 COURT PL'],
  ['8 Old Colony Terrace', '8 OLD COLONY TER'],
  ['8 Old Colony Terr', '8 OLD COLONY TER'],
  ['4 Winthrop Square', '4 WINTHROP SQ'],
  ['20 Harbor Point Boulevard', '20 HARBOR POINT BLVD'],
  ['1 Morrissey Parkway', '1 MORRISSEY PKWY'],
  ['77 American Legion Highway', '77 AMERICAN LEGION HWY'],
  ['5 Park Drive', '5 PARK DR'],
  ['5 Mill Lane', '5 MILL LN'],
  ['6 Ruggles Way', '6 RUGGLES WAY'],
  ['7 Louisburg Circle', '7 LOUISBURG CIR'],
  ['2 Long Wharf', '2 LONG WHARF'],
  ['2 Long Whf', '2 LONG WHARF'],
  ['9 Pemberton Row', '9 PEMBERTON ROW'],
  ['1 Center Plaza', '1 CENTER PLZ'],
  ['7 Crescent Circuit', '7 CRESCENT CIRT'],
  ['12 Harrison Avenue Ext', '12 HARRISON AVE EXT'],
  ['12 Harrison Ave Extension', '12 HARRISON AVE EXT'],
  ['10 Park St', '10 PARK ST'],
  ['10 Park', '10 PARK'],
  ['10 Street Rd', '10 STREET RD'],
  ['10 Park Street Place', '10 PARK STREET PL'],
  ['5 Boston St', '5 BOSTON ST'],
  ['10 Avenue Louis Pasteur', '10 AVENUE LOUIS PASTEUR'],
  // Natural features are name words here, not types: the key stays close to the stored "40 RIVER ST".
  ['40 River', '40 RIVER'],
  ['1428 Blue Hill', '1428 BLUE HILL'],
]);

cases('name prefixes and ordinals', [
  ['45 Saint James Ave', '45 SAINT JAMES AVE'],
  ['45 St James Ave', '45 SAINT JAMES AVE'],
  ['45 St. James Avenue', '45 SAINT JAMES AVE'],
  ['10 Mt Vernon St', '10 MOUNT VERNON ST'],
  ['10 Ft Hill Terr', '10 FORT HILL TER'],
  ['10 St Rd', '10 ST RD'],
  ['10 E First St', '10 E 1ST ST'],
  ['10 East 1st Street', '10 E 1ST ST'],
  ['3 Third Ave', '3 3RD AVE'],
]);

cases('directionals', [
  ['175 N Harvard St', '175 N HARVARD ST'],
  ['175 North Harvard Street', '175 N HARVARD ST'],
  ['175 N. Harvard St.', '175 N HARVARD ST'],
  ['175 No Harvard St', '175 N HARVARD ST'],
  ['500 East Broadway', '500 E BROADWAY'],
  ['8 West Park Street', '8 W PARK ST'],
  ['10 Northeast Main St', '10 NE MAIN ST'],
  ['10 N.E. Main St', '10 NE MAIN ST'],
  ['10 North St', '10 NORTH ST'],
  ['10 N St', '10 N ST'],
  ['10 South Street', '10 SOUTH ST'],
  ['10 West Park', '10 WEST PARK'],
  ['10 Charles St S', '10 CHARLES ST S'],
  ['10 Charles Street South', '10 CHARLES ST S'],
  ['10 Charlesgate East', '10 CHARLESGATE E'],
  ['1 West Roxbury Parkway', '1 W ROXBURY PKWY'],
]);

cases('units are not part of the key', [
  ['350 Massachusetts Ave Apt 3', '350 MASSACHUSETTS AVE'],
  ['350 Massachusetts Avenue, Apartment 3', '350 MASSACHUSETTS AVE'],
  ['350 Massachusetts Ave Apt3', '350 MASSACHUSETTS AVE'],
  ['45 Saint James Ave #200', '45 SAINT JAMES AVE'],
  ['45 Saint James Ave # 200', '45 SAINT JAMES AVE'],
  ['45 St James Ave Suite 200', '45 SAINT JAMES AVE'],
  ['45 St James Ave Ste. 200', '45 SAINT JAMES AVE'],
  ['10 Main St Unit #3', '10 MAIN ST'],
  ['10 Main St Fl 2', '10 MAIN ST'],
  ['10 Main St 2nd Floor', '10 MAIN ST'],
  ['10 Main St Rm 101', '10 MAIN ST'],
  ['10 Main St Rear', '10 MAIN ST'],
  ['Apt 3, 29 Hereford St', '29 HEREFORD ST'],
]);

cases('city, state and zip are not part of the key', [
  ['10 Commonwealth Avenue, Boston, MA 02116', '10 COMMONWEALTH AVE'],
  ['29 Hereford St, Boston', '29 HEREFORD ST'],
  ['29 Hereford St, Boston MA', '29 HEREFORD ST'],
  ['29 Hereford St Boston MA', '29 HEREFORD ST'],
  ['29 Hereford St Boston MA 02115', '29 HEREFORD ST'],
  ['29 Hereford St MA 02115', '29 HEREFORD ST'],
  ['29 Hereford St 02115', '29 HEREFORD ST'],
  ['29 Hereford St 02115-1234', '29 HEREFORD ST'],
  ['29 Hereford St, Boston, Massachusetts 02115, USA', '29 HEREFORD ST'],
  ['350 Mass Ave Apt 3 Boston MA 02115', '350 MASS AVE'],
  ['500 E Broadway, South Boston, MA 02127-1234', '500 E BROADWAY'],
  ['10 Dorchester St South Boston MA 02127', '10 DORCHESTER ST'],
  ['10 Hyde Park Ave Hyde Park MA 02136', '10 HYDE PARK AVE'],
  ['Boston City Hall, 1 City Hall Square, Boston, MA 02201', '1 CITY HALL SQ'],
  ['7 North St Boston MA', '7 NORTH ST'],
  ['560 E St Boston MA 02127', '560 E ST'],
  ['1 N Mount Vernon St 02108', '1 N MOUNT VERNON ST'],
  ['29 Hereford St Boston', '29 HEREFORD ST BOSTON'],
  ['10 Hereford Ct', '10 HEREFORD CT'],
  ['10 Hereford Ct 02115', '10 HEREFORD CT'],
  ['500 N Washington 02115', '500 N WASHINGTON'],
]);

cases('house numbers', [
  ['29A Hereford St', '29A HEREFORD ST'],
  ['29a hereford st', '29A HEREFORD ST'],
  ['10-12 Park St', '10-12 PARK ST'],
  ['10 - 12 Park Street', '10-12 PARK ST'],
  ['10–12 Park St', '10-12 PARK ST'],
  ['99A-99B Park St', '99A-99B PARK ST'],
  ['12 1/2 Elm St', '12 1/2 ELM ST'],
  ['12½ Elm St', '12 1/2 ELM ST'],
  ['12-1/2 Elm St', '12 1/2 ELM ST'],
  ['10, Hereford St', '10 HEREFORD ST'],
  ['#10 Main St', '10 MAIN ST'],
  ['10 A St', '10 A ST'],
]);

cases('input without an address', [
  ['', ''],
  ['   ', ''],
  ['!!!', ''],
  ['#', ''],
  ['- / -', ''],
  ['☕️🚧', ''],
  ['\u200f\u200e', ''],
]);

describe('parseAddress', () => {
  it.each<[string, ReturnType<typeof parseAddress>]>([
    [
      '350 Massachusetts Ave Apt 3, Boston, MA 02115',
      { houseNumber: '350', street: 'MASSACHUSETTS AVE', unit: 'APT 3', zip: '02115' },
    ],
    ['45 Saint James Ave #200', { houseNumber: '45', street: 'SAINT JAMES AVE', unit: '# 200', zip: null }],
    ['10 Main St 2nd Floor', { houseNumber: '10', street: 'MAIN ST', unit: 'FL 2', zip: null }],
    ['12½ Elm St 02130-1234', { houseNumber: '12 1/2', street: 'ELM ST', unit: null, zip: '02130' }],
    ['Hereford St', { houseNumber: null, street: 'HEREFORD ST', unit: null, zip: null }],
    ['', { houseNumber: null, street: '', unit: null, zip: null }],
  ])('when %j is parsed, then the parts are %j', (input, parsed) => {
    expect(parseAddress(input)).toEqual(parsed);
  });

  it('when something that is not a string arrives from JavaScript, then it is treated as empty', () => {
    expect(parseAddress(undefined as unknown as string)).toEqual({
      houseNumber: null,
      street: '',
      unit: null,
      zip: null,
    });
    expect(normaliseAddress(42 as unknown as string)).toBe('');
  });
});

describe('normaliseStreet', () => {
  it.each([
    ['North Washington Street', 'N WASHINGTON ST'],
    ['saint botolph st.', 'SAINT BOTOLPH ST'],
    ['North St', 'NORTH ST'],
    ['Charles Street South', 'CHARLES ST S'],
  ])('when the street %j is normalised, then it is %j', (street, expected) => {
    expect(normaliseStreet(street)).toBe(expected);
  });
});

describe('tables', () => {
  it('when a standard abbreviation is looked up, then it maps to itself, so keys are stable', () => {
    for (const std of new Set(SUFFIXES.values())) expect(SUFFIXES.get(std)).toBe(std);
    for (const std of new Set(DIRECTIONALS.values())) expect(DIRECTIONALS.get(std)).toBe(std);
  });

  it('when the tables are compared, then no word is both a suffix and a directional or unit', () => {
    for (const word of SUFFIXES.keys()) {
      expect([DIRECTIONALS.has(word), UNIT_DESIGNATORS.has(word), STANDALONE_UNITS.has(word)]).toEqual([
        false,
        false,
        false,
      ]);
    }
  });
});

/** Words that make the parser's decisions hard: suffixes, directionals, states, units, zips, numbers. */
const TRICKY = [
  '10',
  '29A',
  '10-12',
  '1/2',
  '02115',
  '02115-1234',
  '12345',
  'St',
  'St.',
  'Street',
  'Ave',
  'Park',
  'Ct',
  'Ext',
  'Hill',
  'North',
  'N',
  'S',
  'East',
  'NE',
  'MA',
  'CT',
  'FL',
  'Washington',
  'New York',
  'USA',
  'Boston',
  'Apt',
  '#',
  'Unit',
  'Floor',
  '2nd',
  'First',
  'Rear',
  'Mt',
  'Saint',
  '&',
  'Café',
  'ﬁ',
  '½',
  '-',
  '/',
  '.',
];
const trickyAddress = fc
  .array(fc.tuple(fc.constantFrom(...TRICKY), fc.constantFrom(' ', '  ', ', ', ',', '.', '\n', '')), {
    maxLength: 12,
  })
  .map((parts) => parts.map(([w, sep]) => w + sep).join(''));

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'grapheme-composite' }),
  trickyAddress,
);

describe('properties', () => {
  it('when any text is normalised twice, then the second time changes nothing', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const once = normaliseAddress(s);
        expect(normaliseAddress(once)).toBe(once);
        expect(normaliseStreet(normaliseStreet(s))).toBe(normaliseStreet(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('when any text is parsed, then nothing throws and house number plus street is the key', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const p = parseAddress(s);
        expect([p.houseNumber, p.street].filter((x) => x !== null && x !== '').join(' ')).toBe(
          normaliseAddress(s),
        );
        expect(normaliseAddress(s)).toMatch(/^(?:[\p{L}\p{N}/-]+(?: [\p{L}\p{N}/-]+)*)?$/u);
        if (p.zip !== null) expect(p.zip).toMatch(/^\d{5}$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('when text has no letters or digits, then the key is empty', () => {
    const noise = fc.string({
      unit: fc.constantFrom(' ', '.', ',', '-', '/', '#', '!', '☕', '🚧', '\u200f', '\t'),
    });
    fc.assert(fc.property(noise, (s) => expect(normaliseAddress(s)).toBe('')));
  });
});

// Spelling variants of one address, each with the canonical key it must reach.
const SUFFIX_SPELLINGS: Record<string, string[]> = {
  ST: ['St', 'Street', 'St.', 'Str', 'STREET'],
  AVE: ['Ave', 'Avenue', 'Av', 'Ave.'],
  RD: ['Rd', 'Road', 'Rd.'],
  SQ: ['Sq', 'Square', 'Sqr'],
  PL: ['Pl', 'Place'],
  TER: ['Ter', 'Terrace', 'Terr'],
  BLVD: ['Blvd', 'Boulevard', 'Boul'],
  CT: ['Ct', 'Court'],
  PKWY: ['Pkwy', 'Parkway', 'Pky'],
  HWY: ['Hwy', 'Highway'],
  DR: ['Dr', 'Drive'],
  LN: ['Ln', 'Lane'],
  WAY: ['Way', 'Wy'],
  CIR: ['Cir', 'Circle'],
  PLZ: ['Plz', 'Plaza'],
  WHARF: ['Wharf', 'Whf'],
  ROW: ['Row'],
  PARK: ['Park'],
};
const DIRECTIONAL_SPELLINGS: Record<string, string[]> = {
  N: ['N', 'North', 'N.', 'No'],
  S: ['S', 'South', 'S.'],
  E: ['E', 'East', 'E.'],
  W: ['W', 'West', 'W.'],
};
const NAME_SPELLINGS: Record<string, string[]> = {
  HEREFORD: ['Hereford'],
  WASHINGTON: ['Washington'],
  'BLUE HILL': ['Blue Hill', 'Blue  Hill'],
  CENTRE: ['Centre'],
  'HYDE PARK': ['Hyde Park'],
  BOSTON: ['Boston'],
  'SAINT JAMES': ['Saint James', 'St James', 'St. James', 'ST JAMES'],
  'MOUNT VERNON': ['Mount Vernon', 'Mt Vernon', 'Mt. Vernon'],
  '1ST': ['First', '1st'],
  'COPPS HILL': ["Copp's Hill", 'Copps Hill'],
};
const HOUSES = ['1', '29', '350', '29A', '10-12', '12 1/2', '9999'];
const UNITS = [
  'Apt 3',
  'Apt. 3',
  'Apartment 3',
  '#12',
  '# 12',
  'Unit B',
  'Unit #4',
  'Suite 200',
  'Ste 200',
  'Fl 2',
  '2nd Floor',
  'Rm 5',
];
/** Tails with a comma, which are safe after a trailing directional too. */
const COMMA_TAILS = [
  ', Boston, MA 02115',
  ', Boston',
  ', Boston MA',
  ', MA 02118-1234',
  ', Boston, Massachusetts',
  ', Boston, MA 02115, USA',
  ' 02116',
  ',, Boston,MA 02115 ,',
  ' , boston , ma , 02119.',
];
const BARE_TAILS = [' Boston MA', ' Boston MA 02115', ' Boston, MA 02115', ' MA 02115'];

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const variant = fc
  .record({
    house: pick(HOUSES),
    dir: fc.option(pick(Object.keys(DIRECTIONAL_SPELLINGS)), { nil: undefined }),
    postDir: fc.option(pick(Object.keys(DIRECTIONAL_SPELLINGS)), { nil: undefined, freq: 4 }),
    name: pick(Object.keys(NAME_SPELLINGS)),
    suffix: pick(Object.keys(SUFFIX_SPELLINGS)),
    unit: fc.option(fc.tuple(pick(UNITS), fc.boolean()), { nil: undefined }),
    tail: fc.option(pick([...COMMA_TAILS, ...BARE_TAILS]), { nil: undefined }),
    choice: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
    gaps: fc.array(pick([' ', '  ', '\t', ' , ']), { minLength: 6, maxLength: 6 }),
    casing: fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
    end: pick(['', '.', ',', ' ,', ' .', '  ']),
  })
  // "Charles St S Boston MA" cannot be told from "... St, South Boston, MA"; only commas settle it.
  .filter((v) => !(v.postDir && v.tail && BARE_TAILS.includes(v.tail)))
  .map((v) => {
    const spell = (table: Record<string, string[]>, key: string, n: number) => {
      const options = table[key] as string[];
      return options[n % options.length] as string;
    };
    const [c0 = 0, c1 = 0, c2 = 0, c3 = 0] = v.choice;
    const gap = (i: number) => (i === 0 ? ' ' : (v.gaps[i] ?? ' ').replace(',', ''));
    const words = [
      v.house,
      v.dir && spell(DIRECTIONAL_SPELLINGS, v.dir, c0),
      spell(NAME_SPELLINGS, v.name, c1),
      spell(SUFFIX_SPELLINGS, v.suffix, c2),
      v.postDir && spell(DIRECTIONAL_SPELLINGS, v.postDir, c3),
    ].filter((w): w is string => w !== undefined);
    let text = words.map((w, i) => (i === 0 ? w : gap(i) + w)).join('');
    if (v.unit) text += (v.unit[1] ? ', ' : ' ') + v.unit[0];
    if (v.tail) text += v.tail;
    text += v.end;
    text = [...text].map((ch, i) => (v.casing[i % v.casing.length] ? ch.toLowerCase() : ch)).join('');
    const key = [v.house, v.dir, v.name, v.suffix, v.postDir].filter(Boolean).join(' ');
    return { text, key, v };
  });

describe('spelling variants', () => {
  it('when one address is spelt in many ways, then every spelling gives the same canonical key', () => {
    fc.assert(
      fc.property(variant, ({ text, key, v }) => {
        expect(normaliseAddress(text)).toBe(key);
        const parsed = parseAddress(text);
        expect(parsed.houseNumber).toBe(v.house);
        expect(parsed.unit === null).toBe(v.unit === undefined);
        if (v.tail && /\d{5}/.test(v.tail)) expect(parsed.zip).toMatch(/^0211\d$/);
      }),
      { numRuns: 3000 },
    );
  });
});
