/**
 * USPS Publication 28 abbreviations: Appendix C1 (street suffixes, common names and variants → standard
 * abbreviation) and the directionals. Every variant maps to the standard form, and the standard form maps
 * to itself, so normalising is idempotent.
 */
const SUFFIX_GROUPS: Record<string, string[]> = {
  ALY: ['ALLEY', 'ALLEE', 'ALLY'],
  AVE: ['AVENUE', 'AV', 'AVEN', 'AVENU', 'AVN', 'AVNUE'],
  BLVD: ['BOULEVARD', 'BOUL', 'BOULV'],
  BR: ['BRANCH', 'BRNCH'],
  BRG: ['BRIDGE', 'BRDGE'],
  CIR: ['CIRCLE', 'CIRC', 'CIRCL', 'CRCL', 'CRCLE'],
  CT: ['COURT', 'CRT'],
  CTR: ['CENTER', 'CENTRE', 'CEN', 'CENT', 'CENTR', 'CNTER', 'CNTR'],
  CV: ['COVE'],
  CRES: ['CRESCENT', 'CRSENT', 'CRSNT'],
  DR: ['DRIVE', 'DRIV', 'DRV'],
  EXPY: ['EXPRESSWAY', 'EXP', 'EXPR', 'EXPRESS', 'EXPW'],
  EXT: ['EXTENSION', 'EXTN', 'EXTNSN'],
  FWY: ['FREEWAY', 'FREEWY', 'FRWAY', 'FRWY'],
  GRN: ['GREEN'],
  HTS: ['HEIGHTS', 'HT'],
  HWY: ['HIGHWAY', 'HIGHWY', 'HIWAY', 'HIWY', 'HWAY'],
  LN: ['LANE'],
  LNDG: ['LANDING', 'LNDNG'],
  LOOP: ['LOOPS'],
  MALL: [],
  PARK: ['PRK', 'PARKS'],
  PKWY: ['PARKWAY', 'PARKWY', 'PKWAY', 'PKY', 'PARKWAYS', 'PKWYS'],
  PL: ['PLACE'],
  PLZ: ['PLAZA', 'PLZA'],
  PT: ['POINT'],
  RD: ['ROAD'],
  ROW: [],
  SQ: ['SQUARE', 'SQR', 'SQRE', 'SQU'],
  ST: ['STREET', 'STRT', 'STR'],
  TER: ['TERRACE', 'TERR'],
  TRL: ['TRAIL', 'TRAILS', 'TRLS'],
  WAY: ['WY'],
  WHARF: ['WHRF', 'WHF'],
  WALK: ['WALKS'],
  XING: ['CROSSING', 'CRSSNG'],
};

export const SUFFIXES: ReadonlyMap<string, string> = new Map(
  Object.entries(SUFFIX_GROUPS).flatMap(([std, variants]) => [
    [std, std] as [string, string],
    ...variants.map((v) => [v, std] as [string, string]),
  ]),
);

export const DIRECTIONALS: ReadonlyMap<string, string> = new Map([
  ['NORTH', 'N'],
  ['N', 'N'],
  ['NO', 'N'],
  ['SOUTH', 'S'],
  ['S', 'S'],
  ['SO', 'S'],
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

/** Unit designators (Pub. 28 Appendix C2) that start a secondary address. */
export const UNIT_WORDS: ReadonlyMap<string, string> = new Map([
  ['APARTMENT', 'APT'],
  ['APT', 'APT'],
  ['UNIT', 'UNIT'],
  ['SUITE', 'STE'],
  ['STE', 'STE'],
  ['#', '#'],
  ['FLOOR', 'FL'],
  ['FL', 'FL'],
  ['ROOM', 'RM'],
  ['RM', 'RM'],
  ['BUILDING', 'BLDG'],
  ['BLDG', 'BLDG'],
]);

export const STATES = new Set(['MA', 'MASSACHUSETTS', 'RI', 'NH', 'CT', 'NY', 'ME', 'VT']);
