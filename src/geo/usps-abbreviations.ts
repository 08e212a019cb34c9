/**
 * Lookup tables for address normalisation (see address-normalise.ts), from USPS Publication 28:
 * - C1 street suffixes: https://pe.usps.com/text/pub28/28apc_002.htm
 * - C2 secondary unit designators: https://pe.usps.com/text/pub28/28apc_003.htm
 * - 2.33 directionals and Appendix B state abbreviations.
 * Every variant maps to the standard abbreviation and every standard abbreviation maps to itself, so a
 * normalised key normalises to itself again.
 */

/**
 * C1: standard abbreviation → the common names and variants USPS lists for it, for the street types.
 * C1 also lists natural features (Hill, River, Forest, Garden, Glen, Point, Center, Mount, ...). Those are
 * left out on purpose: in city data they are nearly always part of the name ("Blue Hill Ave", "River
 * St"), and residents often drop the real type ("40 River"), so abbreviating them as a last word
 * ("40 RIV") would push the key away from the stored "40 RIVER ST" and break trigram matching.
 */
const PUB28_SUFFIXES: Record<string, readonly string[]> = {
  ALY: ['ALLEY', 'ALLEE', 'ALLY'],
  ANX: ['ANEX', 'ANNEX', 'ANNX'],
  ARC: ['ARCADE'],
  AVE: ['AVENUE', 'AV', 'AVEN', 'AVENU', 'AVN', 'AVNUE'],
  BLVD: ['BOULEVARD', 'BOUL', 'BOULV'],
  BRG: ['BRIDGE', 'BRDGE'],
  BYP: ['BYPASS', 'BYPA', 'BYPAS', 'BYPS'],
  CIR: ['CIRCLE', 'CIRC', 'CIRCL', 'CRCL', 'CRCLE'],
  CRES: ['CRESCENT', 'CRSENT', 'CRSNT'],
  CSWY: ['CAUSEWAY', 'CAUSWA'],
  CT: ['COURT', 'CRT'],
  CTS: ['COURTS'],
  DR: ['DRIVE', 'DRIV', 'DRV'],
  EXPY: ['EXPRESSWAY', 'EXP', 'EXPR', 'EXPRESS', 'EXPW'],
  EXT: ['EXTENSION', 'EXTN', 'EXTNSN'],
  FWY: ['FREEWAY', 'FREEWY', 'FRWAY', 'FRWY'],
  GRN: ['GREEN'],
  HWY: ['HIGHWAY', 'HIGHWY', 'HIWAY', 'HIWY', 'HWAY'],
  LN: ['LANE'],
  LOOP: ['LOOPS'],
  MALL: [],
  MEWS: [],
  OVAL: ['OVL'],
  PARK: ['PRK', 'PARKS'],
  PASS: [],
  PATH: ['PATHS'],
  PIKE: ['PIKES'],
  PKWY: ['PARKWAY', 'PARKWY', 'PKWAY', 'PKY', 'PARKWAYS', 'PKWYS'],
  PL: ['PLACE'],
  PLZ: ['PLAZA', 'PLZA'],
  RD: ['ROAD'],
  ROW: [],
  RTE: ['ROUTE'],
  RUE: [],
  RUN: [],
  SQ: ['SQUARE', 'SQR', 'SQRE', 'SQU'],
  ST: ['STREET', 'STRT', 'STR'],
  TER: ['TERRACE', 'TERR'],
  TPKE: ['TURNPIKE', 'TRNPK', 'TURNPK'],
  TRL: ['TRAIL', 'TRAILS', 'TRLS'],
  WALK: ['WALKS'],
  WAY: ['WY'],
  XING: ['CROSSING', 'CRSSNG'],
};

/**
 * Not in Pub. 28 but used by the city's own address data (Boston writes "Long Whf", "Crescent Cirt",
 * "Sargent Cwy", "Copp's Hill Ters"), so residents' long forms must meet the city's short ones.
 */
const LOCAL_SUFFIXES: Record<string, readonly string[]> = {
  WHARF: ['WHF', 'WHRF'],
  CIRT: ['CIRCUIT'],
  CSWY: ['CWY'],
  TER: ['TERS'],
};

function groupsToMap(...tables: Array<Record<string, readonly string[]>>): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const table of tables) {
    for (const [standard, variants] of Object.entries(table)) {
      map.set(standard, standard);
      for (const v of variants) map.set(v, standard);
    }
  }
  return map;
}

/** Street suffix (any spelling, upper case, no period) → USPS standard abbreviation. */
export const SUFFIXES = groupsToMap(PUB28_SUFFIXES, LOCAL_SUFFIXES);

/** Directionals (Pub. 28 section 2.33): "North", "N", "No" → "N". */
export const DIRECTIONALS: ReadonlyMap<string, string> = new Map([
  ['NORTH', 'N'],
  ['NO', 'N'],
  ['N', 'N'],
  ['SOUTH', 'S'],
  ['SO', 'S'],
  ['S', 'S'],
  ['EAST', 'E'],
  ['E', 'E'],
  ['WEST', 'W'],
  ['W', 'W'],
  ['NORTHEAST', 'NE'],
  ['NE', 'NE'],
  ['NORTHWEST', 'NW'],
  ['NW', 'NW'],
  ['SOUTHEAST', 'SE'],
  ['SE', 'SE'],
  ['SOUTHWEST', 'SW'],
  ['SW', 'SW'],
]);

/** C2 designators that take a value ("APT 3"); "#" is USPS's designator when the kind is unknown. */
export const UNIT_DESIGNATORS: ReadonlyMap<string, string> = new Map([
  ['#', '#'],
  ['APARTMENT', 'APT'],
  ['APT', 'APT'],
  ['BUILDING', 'BLDG'],
  ['BLDG', 'BLDG'],
  ['DEPARTMENT', 'DEPT'],
  ['DEPT', 'DEPT'],
  ['FLOOR', 'FL'],
  ['FL', 'FL'],
  ['ROOM', 'RM'],
  ['RM', 'RM'],
  ['SUITE', 'STE'],
  ['STE', 'STE'],
  ['UNIT', 'UNIT'],
]);

/** C2 designators that stand alone ("REAR"); only recognised as the last word of the street line. */
export const STANDALONE_UNITS: ReadonlyMap<string, string> = new Map([
  ['BASEMENT', 'BSMT'],
  ['BSMT', 'BSMT'],
  ['LOBBY', 'LBBY'],
  ['LBBY', 'LBBY'],
  ['PENTHOUSE', 'PH'],
  ['PH', 'PH'],
  ['REAR', 'REAR'],
]);

/** Appendix B two-letter state and territory codes. */
export const STATE_CODES: ReadonlySet<string> = new Set(
  (
    'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND ' +
    'OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI'
  ).split(' '),
);

/** Full state names, as word lists ("NEW YORK" → ["NEW", "YORK"]), matched at the end of a line. */
export const STATE_NAMES: readonly (readonly string[])[] = [
  'ALABAMA',
  'ALASKA',
  'ARIZONA',
  'ARKANSAS',
  'CALIFORNIA',
  'COLORADO',
  'CONNECTICUT',
  'DELAWARE',
  'DISTRICT OF COLUMBIA',
  'FLORIDA',
  'GEORGIA',
  'HAWAII',
  'IDAHO',
  'ILLINOIS',
  'INDIANA',
  'IOWA',
  'KANSAS',
  'KENTUCKY',
  'LOUISIANA',
  'MAINE',
  'MARYLAND',
  'MASSACHUSETTS',
  'MICHIGAN',
  'MINNESOTA',
  'MISSISSIPPI',
  'MISSOURI',
  'MONTANA',
  'NEBRASKA',
  'NEVADA',
  'NEW HAMPSHIRE',
  'NEW JERSEY',
  'NEW MEXICO',
  'NEW YORK',
  'NORTH CAROLINA',
  'NORTH DAKOTA',
  'OHIO',
  'OKLAHOMA',
  'OREGON',
  'PENNSYLVANIA',
  'PUERTO RICO',
  'RHODE ISLAND',
  'SOUTH CAROLINA',
  'SOUTH DAKOTA',
  'TENNESSEE',
  'TEXAS',
  'UTAH',
  'VERMONT',
  'VIRGINIA',
  'WASHINGTON',
  'WEST VIRGINIA',
  'WISCONSIN',
  'WYOMING',
].map((name) => name.split(' '));

/** Country words that may end an address line. */
export const COUNTRY_NAMES: readonly (readonly string[])[] = [
  ['USA'],
  ['UNITED', 'STATES'],
  ['UNITED', 'STATES', 'OF', 'AMERICA'],
];

/** Spelt-out ordinals → numeric ("First" → "1ST"); the numeric form is what people type most. */
export const ORDINALS: ReadonlyMap<string, string> = new Map(
  [
    'FIRST',
    'SECOND',
    'THIRD',
    'FOURTH',
    'FIFTH',
    'SIXTH',
    'SEVENTH',
    'EIGHTH',
    'NINTH',
    'TENTH',
    'ELEVENTH',
    'TWELFTH',
    'THIRTEENTH',
    'FOURTEENTH',
    'FIFTEENTH',
    'SIXTEENTH',
    'SEVENTEENTH',
    'EIGHTEENTH',
    'NINETEENTH',
    'TWENTIETH',
  ].map((word, i) => {
    const n = i + 1;
    const th = n === 1 ? 'ST' : n === 2 ? 'ND' : n === 3 ? 'RD' : 'TH';
    return [word, `${n}${th}`];
  }),
);

/**
 * Abbreviations that start a street name ("St James", "Mt Vernon", "Ft Hill") → the long word. Not Pub. 28
 * (which covers suffixes), but city data spells these out ("Saint Botolph St", "Mount Vernon St").
 */
export const NAME_PREFIXES: ReadonlyMap<string, string> = new Map([
  ['ST', 'SAINT'],
  ['MT', 'MOUNT'],
  ['FT', 'FORT'],
]);
