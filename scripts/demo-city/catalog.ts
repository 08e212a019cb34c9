/**
 * The demo catalog: Boston's 118 real Open311 services and departments, the four real definitions with
 * their real response levels, response levels for the rest derived from Boston's 2015 cases (TARGET_DT -
 * OPEN_DT median per case type, mapped to services by hand below), and hand-written definitions for a few
 * services where a real city asks questions, so every Open311 datatype appears.
 */
type Datatype = 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
export interface DemoAttribute {
  code: string;
  variable: boolean;
  datatype: Datatype;
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values: Array<{ key: string; name: string }>;
}
export interface DemoService {
  service_code: string;
  service_name: string;
  description: string;
  keywords: string[];
  groups: string[];
  type: 'realtime' | 'batch' | 'blackbox';
  agency_code: string | null;
  sla: { value: number; unit: string } | null;
  attributes: DemoAttribute[];
}

/** 2015 case TYPE → Open311 service code (hand-checked by name; one type per service, the first wins). */
export const TYPE_TO_SERVICE: Record<string, string> = {
  'Street Light Outages': 'STRLGTOUT',
  'Street Light Knock Downs': 'STRLGTKDWN',
  'Major System Failure': 'MJRSYSFAIL',
  'General Lighting Request': 'GENLGTREQ',
  'Sign Repair': 'MISDMGSGN',
  'Graffiti Removal': 'GENGRAFFITI',
  'Sidewalk Repair (Make Safe)': 'SDWRPR',
  'Tree Maintenance Requests': 'TREEMAINT',
  'Empty Litter Basket': 'EMPLITBSKT',
  'Request for Recycling Cart': 'RECCRTREQ',
  'Abandoned Vehicles': 'ABNDVHCL',
  'Unsatisfactory Living Conditions': 'UNSATLC',
  'Animal Generic Request': 'ANMLGEN',
  'Sticker Request': 'STCKRREQ',
  'Traffic Signal Inspection': 'TFCSGNINSP',
  'Pick up Dead Animal': 'PUDEADANML',
  'Rodent Activity': 'RODENTACT',
  'Ground Maintenance': 'GRNDMAINT',
  'Equipment Repair': 'EQUIPREPR',
  'Unsafe Dangerous Conditions': 'DGRCOND',
  Electrical: 'ELCPMTINSP',
  'Heat - Excessive  Insufficient': 'HEAT',
  'Misc. Snow Complaint': 'MISCSNOW',
  'New Tree Requests': 'NWTRREQ',
  'Contractor Complaints': 'PCONCMPLNT',
  'Tree Emergencies': 'TREEEMGNCY',
  'Space Savers': 'SPCSVR',
  'Needle Pickup': 'NEEDRMVL',
  'Public Works General Request': 'PWDGENREQ',
  'Recycling Cart Return': 'RECCRTRTN',
  Plumbing: 'MECPMTINSP',
  'Abandoned Bicycle': 'ABNDBIKE',
  'Bed Bugs': 'BEDBUG',
  'Unsanitary Conditions - Establishment': 'UCESTAB',
  'News Boxes': 'NEWSBOX',
  Catchbasin: 'CATCHBASE',
  'Trash on Vacant Lot': 'TRSHVACLOT',
  'Roadway Repair': 'RDWYRPR',
  'MBTA Request': 'MBTAREQ',
  'Transportation General Request': 'TRANSGEN',
  'Overflowing or Un-kept Dumpster': 'UNSANTRSH',
  'Protection of Adjoining Property': 'ADJPROP',
  'Animal Found': 'ANMLFND',
  'Animal Lost': 'ANMLLOST',
  'Fire Hydrant': 'FIREHYDR',
  'Parks General Request': 'PRKGENREQ',
  'Work Hours-Loud Noise Complaints': 'WHLNCOMP',
  'Unsanitary Conditions - Food': 'UCFOOD',
  'Breathe Easy': 'BRTHESY',
  'Building Inspection Request': 'BLGPMTINSP',
  'General Comments For a Program or Policy': 'GENCMTSEMP',
  'CE Collection': 'IMPSTRTRSH',
  'Schedule a Bulk Item Pickup SS': 'SCHDBLKITM',
  'Requests for Traffic Signal Studies or Reviews': 'TRANSIMPR',
  'Pavement Marking Maintenance': 'PVMTMRKINS',
  'Illegal Dumping': 'ILGLDUMP',
  'Parking Meter Repairs': 'PRKGMETRPR',
  'Bridge Maintenance': 'BRDGMAINT',
  'Utility Casting Repair': 'UTILCSTRPR',
  'Mosquitoes (West Nile)': 'STAGWTR',
};

/** Where no 2015 type exists (the five largest types are missing from the data): typical city levels. */
const HAND_LEVELS: Record<string, { value: number; unit: string }> = {
  REQPOTHL: { value: 2, unit: 'business_days' },
  SNOWPLOW: { value: 12, unit: 'hours' },
  STRCLEAN: { value: 3, unit: 'business_days' },
  PRKGENFORC: { value: 4, unit: 'hours' },
  UNSHVSDWLK: { value: 2, unit: 'business_days' },
  TREEINPRK: { value: 30, unit: 'calendar_days' },
};
const GROUP_DEFAULTS: Record<string, { value: number; unit: string }> = {
  'Streets-Sidewalks': { value: 10, unit: 'business_days' },
  'Trash-Graffiti': { value: 3, unit: 'business_days' },
  'Health-Safety': { value: 5, unit: 'business_days' },
  Food: { value: 2, unit: 'business_days' },
  Animals: { value: 3, unit: 'business_days' },
  'Traffic-Vehicles': { value: 10, unit: 'business_days' },
  'Parks-Public': { value: 14, unit: 'business_days' },
  'Property-Construction': { value: 10, unit: 'business_days' },
  'Fees-Pricing': { value: 20, unit: 'business_days' },
  Snow: { value: 24, unit: 'hours' },
  Other: { value: 10, unit: 'business_days' },
};

/** Boston's TARGET_DT - OPEN_DT (days) as a response level: short ones in hours, long ones in calendar days. */
export function levelFromDays(days: number): { value: number; unit: string } {
  if (days <= 2) return { value: Math.max(1, Math.round(days * 24)), unit: 'hours' };
  if (days <= 45) return { value: Math.max(1, Math.round((days * 5) / 7)), unit: 'business_days' };
  return { value: Math.round(days), unit: 'calendar_days' };
}

const list = (pairs: string[]) =>
  pairs.map((p) => ({ key: p.split('=')[0] as string, name: p.split('=')[1] as string }));
const attr = (
  code: string,
  datatype: Datatype,
  order: number,
  description: string,
  o: Partial<DemoAttribute> = {},
): DemoAttribute => ({
  code,
  variable: true,
  datatype,
  required: false,
  datatype_description: null,
  order,
  description,
  values: [],
  ...o,
});

/** Hand-written definitions (the questions real street-light, pothole, vehicle and graffiti forms ask). */
export const HAND_ATTRIBUTES: Record<string, DemoAttribute[]> = {
  STRLGTOUT: [
    attr('POLE_NUMBER', 'string', 1, 'Pole number (on a tag on the pole)', {
      datatype_description: 'For example B-12345',
    }),
    attr('LIGHT_TYPE', 'singlevaluelist', 2, 'Type of light', {
      values: list(['LED=LED (white light)', 'SODIUM=Sodium (orange light)', 'UNKNOWN=Not sure']),
    }),
    attr('LIGHTS_OUT', 'number', 3, 'How many lights are out?', {
      required: true,
      datatype_description: 'A number from 1 to 4; five or more is a major system failure',
    }),
    attr('NOTICED_AT', 'datetime', 4, 'When did you first notice it?'),
  ],
  REQPOTHL: [
    attr('SAFETY', 'string', 0, 'If the pothole is causing an immediate danger, call 911.', {
      variable: false,
    }),
    attr('POTHOLE_SIZE', 'singlevaluelist', 1, 'How big is it?', {
      required: true,
      values: list([
        'SMALL=Smaller than a dinner plate',
        'MEDIUM=Up to a car tire',
        'LARGE=Larger than a car tire',
      ]),
    }),
    attr('LANES', 'multivaluelist', 2, 'Where is it?', {
      values: list([
        'LEFT=Left lane',
        'MIDDLE=Middle lane',
        'RIGHT=Right lane',
        'CROSSWALK=Crosswalk',
        'BIKE=Bike lane',
      ]),
    }),
    attr('DETAILS', 'text', 3, 'Anything else the crew should know?'),
  ],
  ABNDVHCL: [
    attr('PLATE', 'string', 1, 'License plate'),
    attr('PLATE_STATE', 'singlevaluelist', 2, 'Plate state', {
      values: list(['MA=Massachusetts', 'NH=New Hampshire', 'RI=Rhode Island', 'OTHER=Other or none']),
    }),
    attr('DAYS_PARKED', 'number', 3, 'About how many days has it been there?'),
  ],
  GENGRAFFITI: [
    attr('SURFACE', 'singlevaluelist', 1, 'What is it on?', {
      required: true,
      values: list([
        'BUILDING=Building',
        'MAILBOX=Mailbox or utility box',
        'SIGN=Sign or pole',
        'OTHER=Other',
      ]),
    }),
    attr('OFFENSIVE', 'singlevaluelist', 2, 'Is it offensive?', { values: list(['YES=Yes', 'NO=No']) }),
  ],
};

/** Demo choices, so every Open311 service type and the private keyword appear (see seeds/demo/boston/README.md). */
export const BATCH_SERVICE = 'SCHDBLKITM'; // bulk item pickups are scheduled in batches
export const BLACKBOX_SERVICE = 'GENCMTSEMP'; // comments are recorded but not tracked as requests
export const PRIVATE_SERVICE = 'PWDGENREQ'; // Public Works' internal general request

export { GROUP_DEFAULTS, HAND_LEVELS };
