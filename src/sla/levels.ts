/**
 * Which response level applies to a request: the service's override for the request's priority, else the
 * service's default. One rule, written once for objects (`levelFor`) and once as the SQL the set-based paths
 * join (`LEVEL_JOIN` + `LEVEL_COLUMNS`, over a request `r` and its service `s`).
 */
import type { ResponseLevel } from './business-calendar';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export function levelFor(
  service: { sla: ResponseLevel | null; levels?: Partial<Record<string, ResponseLevel>> | null },
  priority = 'normal',
): ResponseLevel | null {
  return service.levels?.[priority] ?? service.sla;
}

export const LEVEL_JOIN =
  'LEFT JOIN service_response_levels l ON l.service_id = r.service_id AND l.priority = r.priority';
export const LEVEL_VALUE = 'coalesce(l.value, s.sla_value)';
export const LEVEL_COLUMNS = `${LEVEL_VALUE} AS level_value, coalesce(l.unit, s.sla_unit) AS level_unit`;

/** The priority after `steps` raises (stops at the highest). */
export function raisedPriority(priority: string, steps: number): Priority {
  const at = Math.max(0, PRIORITIES.indexOf(priority as Priority));
  return PRIORITIES[Math.min(at + steps, PRIORITIES.length - 1)] as Priority;
}
