/** mySociety's detailed statuses mapped onto the two GeoReport statuses (OPEN311.md "Extensions"). */
export const OPEN_STATUSES = [
  'open',
  'investigating',
  'in_progress',
  'action_scheduled',
  'for_triage',
  'reopen',
  'waiting_on_resident',
] as const;
/**
 * Our one addition to the vocabulary: the request waits on the resident (more details, access to a
 * property), so its response-level clock is paused until it leaves this status.
 */
export const PAUSE_STATUS = 'waiting_on_resident';
export const CLOSED_STATUSES = [
  'fixed',
  'closed',
  'duplicate',
  'not_councils_responsibility',
  'no_further_action',
  'internal_referral',
  'cancelled',
] as const;
export type DetailedStatus = (typeof OPEN_STATUSES)[number] | (typeof CLOSED_STATUSES)[number];
export const DETAILED_STATUSES: readonly DetailedStatus[] = [...OPEN_STATUSES, ...CLOSED_STATUSES];

export const isDetailedStatus = (s: string): s is DetailedStatus =>
  (DETAILED_STATUSES as readonly string[]).includes(s);
export const statusOf = (s: DetailedStatus): 'open' | 'closed' =>
  (CLOSED_STATUSES as readonly string[]).includes(s) ? 'closed' : 'open';
