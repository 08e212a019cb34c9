/**
 * The one writer of a request's audit trail. Every change to a request (intake, staff actions, links,
 * resident updates, the escalation sweep, response-level recomputation, imports) is described as history
 * entries; `recordChanges` writes them as request_history rows and, in the same statement's transaction,
 * one outbox event each (unless the entry says `event: null`). Intake's single-statement fast path builds its
 * rows and its SQL from the same functions (`historyRows`, `historyInsertSql`, `eventsFor`), so there is
 * one description of a change and one event payload shape: `{change, public, summary, ...eventData}`.
 */
import type { Knex } from 'knex';
import { emitMany, eventForHistory, type EventInput, type EventType } from '../notify';
import { statusOf, type DetailedStatus } from './statuses';

export interface Actor {
  type: 'api_key' | 'staff' | 'system';
  id: string | null;
  label: string;
  channel: string | null;
}

export interface HistoryEntry {
  kind: string;
  public: boolean;
  detailedStatus?: DetailedStatus | null;
  summary?: string | null;
  description?: string | null;
  mediaUrl?: string | null;
  /** A client's own id for a posted update (servicerequestupdates): an idempotency key of `apiKeyId`. */
  clientUpdateId?: string | null;
  apiKeyId?: number | null;
  data?: Record<string, unknown>;
  /** The outbox event: by default derived from the kind (notify's eventForHistory); null writes none. */
  event?: EventType | null;
  /** Extra fields for the event's payload (never personal data). */
  eventData?: Record<string, unknown>;
  /** When and by whom, where they differ from the change's (imported history). */
  at?: Date;
  actor?: Actor;
}

export interface RequestRef {
  id: string;
  jurisdiction_id: string;
}

export interface Change {
  request: RequestRef;
  entry: HistoryEntry;
}

/** The columns of one history row, in the order of HISTORY_RECORDSET. */
export interface HistoryRow {
  n: number;
  request_id: string | null;
  jurisdiction_id: string | null;
  occurred_at: string;
  kind: string;
  public: boolean;
  actor_type: string;
  actor_id: string | null;
  actor_label: string;
  channel: string | null;
  detailed_status: string | null;
  summary: string | null;
  description: string | null;
  media_url: string | null;
  client_update_id: string | null;
  api_key_id: number | null;
  data: Record<string, unknown>;
}

const HISTORY_RECORDSET = `jsonb_to_recordset(?::jsonb) AS x(n int, request_id bigint, jurisdiction_id text,
  occurred_at timestamptz, kind text, public boolean, actor_type text, actor_id text, actor_label text, channel text,
  detailed_status text, summary text, description text, media_url text, client_update_id text, api_key_id bigint, data jsonb)`;

/**
 * The history rows of a change as one jsonb parameter for `historyInsertSql`. `request` may be null when the
 * statement supplies the request (intake: the row it is inserting).
 */
export function historyRows(
  request: RequestRef | null,
  at: Date,
  actor: Actor,
  entries: HistoryEntry[],
  first = 0,
): HistoryRow[] {
  return entries.map((e, i) => {
    const who = e.actor ?? actor;
    return {
      n: first + i,
      request_id: request?.id ?? null,
      jurisdiction_id: request?.jurisdiction_id ?? null,
      occurred_at: (e.at ?? at).toISOString(),
      kind: e.kind,
      public: e.public,
      actor_type: who.type,
      actor_id: who.id,
      actor_label: who.label,
      channel: who.channel,
      detailed_status: e.detailedStatus ?? null,
      summary: e.summary ?? null,
      description: e.description ?? null,
      media_url: e.mediaUrl ?? null,
      client_update_id: e.clientUpdateId ?? null,
      api_key_id: e.apiKeyId ?? null,
      data: e.data ?? {},
    };
  });
}

const HISTORY_COLUMNS = [
  'request_id',
  'jurisdiction_id',
  'occurred_at',
  'kind',
  'public',
  'actor_type',
  'actor_id',
  'actor_label',
  'channel',
  'detailed_status',
  'summary',
  'description',
  'media_url',
  'client_update_id',
  'api_key_id',
  'data',
] as const;

/**
 * INSERT of history rows from the jsonb parameter built by `historyRows`. Inside a larger statement (intake),
 * `source` adds FROM items and supplies, for any column, the value to use where a row leaves it null: e.g.
 * `{ from: 'r', columns: { request_id: 'r.id', jurisdiction_id: 'r.jurisdiction_id' } }`.
 */
export function historyInsertSql(source?: {
  from: string;
  columns: Partial<Record<(typeof HISTORY_COLUMNS)[number], string>>;
}): string {
  const values = HISTORY_COLUMNS.map((c) => {
    const fallback = source?.columns[c] ?? (c === 'data' ? "'{}'::jsonb" : undefined);
    if (c === 'data' && fallback) return `coalesce(x.data, '{}'::jsonb) || ${fallback}`;
    return fallback ? `coalesce(x.${c}, ${fallback})` : `x.${c}`;
  });
  return `INSERT INTO request_history (${HISTORY_COLUMNS.join(', ')})
    SELECT ${values.join(', ')}
    FROM ${source ? `${source.from} CROSS JOIN ` : ''}${HISTORY_RECORDSET}
    ORDER BY x.n
    RETURNING id::text AS id`;
}

/** The outbox events of history entries: one per entry unless it says `event: null`. */
export function eventsFor(requestId: string | null, at: Date, entries: HistoryEntry[]): EventInput[] {
  const events: EventInput[] = [];
  for (const e of entries) {
    if (e.event === null) continue;
    const closed = e.detailedStatus ? statusOf(e.detailedStatus) === 'closed' : false;
    events.push({
      type: e.event ?? eventForHistory(e.kind, closed),
      requestId,
      at: e.at ?? at,
      data: { change: e.kind, public: e.public, summary: e.summary ?? null, ...e.eventData },
    });
  }
  return events;
}

/**
 * Records changes to one or many requests: all their history rows in one statement and all their events in
 * another, inside the caller's transaction. Returns the history row ids in the order of the changes.
 */
export async function recordChanges(
  trx: Knex.Transaction,
  at: Date,
  actor: Actor,
  changes: Change[],
): Promise<string[]> {
  if (changes.length === 0) return [];
  const rows = changes.flatMap((c, i) => historyRows(c.request, at, actor, [c.entry], i));
  const inserted = (await trx.raw(historyInsertSql(), [JSON.stringify(rows)])).rows as Array<{ id: string }>;
  await emitMany(
    trx,
    changes.flatMap((c) => eventsFor(c.request.id, at, [c.entry])),
  );
  return inserted.map((r) => r.id);
}

/** Records entries on one request; returns the id of the first history row. */
export async function recordChange(
  trx: Knex.Transaction,
  request: RequestRef,
  at: Date,
  actor: Actor,
  ...entries: HistoryEntry[]
): Promise<string> {
  const ids = await recordChanges(
    trx,
    at,
    actor,
    entries.map((entry) => ({ request, entry })),
  );
  return ids[0] as string;
}

/**
 * A text written both by TypeScript and inside SQL (intake's statement knows a count only there): one
 * template with `{name}` slots, filled in TypeScript by `fillText` and turned into a SQL expression by `sqlText`.
 */
export function fillText(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));
}

export function sqlText(template: string, expressions: Record<string, string>): string {
  const parts = template.split(/\{(\w+)\}/);
  return parts
    .map((p, i) => (i % 2 === 1 ? `(${expressions[p] ?? 'NULL'})::text` : `'${p.replace(/'/g, "''")}'`))
    .filter((p) => p !== "''")
    .join(' || ');
}

/** The parent's history text when another report of its problem arrives. */
export const SUPPORTER_SUMMARY = 'Another report of this problem ({child}); {total} in all';
