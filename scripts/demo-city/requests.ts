/**
 * A few hundred real 2015 Boston cases as demo requests: spread over services, with their real times
 * between open and close, shifted so they fall within the last 60 days before the server loads them.
 */
import type { DemoRequest } from '../../src/demo/load-demo';
import { TYPE_TO_SERVICE } from './catalog';

export interface Case {
  id: string;
  type: string;
  open: string;
  closed: string;
  status: string;
  closure: string;
  subject: string;
  reason: string;
  source: string;
  street: string;
  zip: string;
  propertyId: string;
  lat: number;
  long: number;
  labels: Record<string, string>;
}

const CHANNELS: Record<string, string> = {
  'Constituent Call': 'phone',
  'Citizens Connect App': 'mobile',
  'Self Service': 'web',
  'Employee Generated': 'staff',
  'City Worker App': 'staff',
  Twitter: 'social',
  'Maximo Integration': 'staff',
  'Walk-In': 'walk-in',
  Email: 'email',
};

/** 'MM/DD/YYYY hh:mm:ss AM' → epoch ms (local time is fine for durations). */
function parseDate(s: string): number | null {
  const m = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d):(\d\d) (AM|PM)$/.exec(s.trim());
  if (!m) return null;
  const hour = (Number(m[4]) % 12) + (m[7] === 'PM' ? 12 : 0);
  return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), hour, Number(m[5]), Number(m[6]));
}

/** A small deterministic generator, so the demo is the same on every build. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/**
 * Boston's closure text names crews and inspectors and sometimes residents, so only its outcome is kept
 * (personal data never appears in a public response).
 */
function outcome(closure: string): string | null {
  const m = /Case (Resolved|Noted|Invalid|Closed)/i.exec(closure);
  if (!m) return null;
  return (
    {
      resolved: 'Resolved.',
      noted: 'Noted: no further action needed.',
      invalid: 'Closed: the problem could not be found.',
      closed: 'Closed.',
    }[(m[1] as string).toLowerCase()] ?? null
  );
}

export function buildRequests(
  cases: Case[],
  codes: Set<string>,
  perService = 12,
  total = 420,
): DemoRequest[] {
  const random = rng(311);
  const byService = new Map<string, Case[]>();
  for (const c of cases) {
    const code = TYPE_TO_SERVICE[c.type];
    if (!code || !codes.has(code) || !/^\d/.test(c.street)) continue;
    byService.set(code, [...(byService.get(code) ?? []), c]);
  }
  const picked: Array<[string, Case]> = [];
  for (const [code, list] of [...byService].sort((a, b) => a[0].localeCompare(b[0]))) {
    const step = Math.max(1, Math.floor(list.length / perService));
    for (let i = 0; i < list.length && picked.filter((p) => p[0] === code).length < perService; i += step)
      picked.push([code, list[i] as Case]);
  }
  return picked.slice(0, total).map(([code, c]) => {
    const opened = parseDate(c.open);
    const closed = parseDate(c.closed);
    const duration =
      opened !== null && closed !== null && closed >= opened ? (closed - opened) / 3_600_000 : null;
    // A closed case keeps its real duration: it is placed so that it closed before load time.
    const isClosed = c.status === 'Closed' && duration !== null && duration < 58 * 24;
    const earliest = isClosed ? (duration as number) + 1 : 1;
    const requested = Math.round((earliest + random() * (59 * 24 - earliest)) * 10) / 10; // hours before load, within 60 days
    const notes = outcome(c.closure);
    return {
      source_case_id: c.id,
      service_code: code,
      detailed_status: isClosed
        ? /resolved/i.test(c.closure)
          ? 'fixed'
          : /invalid/i.test(c.closure)
            ? 'no_further_action'
            : 'closed'
        : random() < 0.5
          ? 'open'
          : 'in_progress',
      status_notes: isClosed && notes ? notes : null,
      description: [c.type, c.reason && c.reason !== c.type ? `(${c.reason})` : ''].filter(Boolean).join(' '),
      address: c.street,
      zipcode: c.zip ? c.zip.replace(/\.0$/, '').padStart(5, '0') : null,
      lat: c.lat,
      long: c.long,
      channel: CHANNELS[c.source] ?? 'phone',
      requested_offset_hours: requested,
      closed_offset_hours: isClosed ? Math.round((requested - (duration as number)) * 10) / 10 : null,
    };
  });
}
