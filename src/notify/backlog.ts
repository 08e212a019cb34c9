import type { Knex } from 'knex';

export interface Backlog {
  /** "dispatch": events not yet fanned out to subscriptions; "delivery": webhook deliveries pending. */
  stage: 'dispatch' | 'delivery';
  depth: number;
  /** Seconds since the oldest waiting event was written (0 when none waits). */
  oldestAgeSeconds: number;
}

/** What waits in the outbox, for the metrics: both stages' counts are served by partial indexes. */
export async function outboxBacklog(knex: Knex, now: Date): Promise<Backlog[]> {
  const { rows } = (await knex.raw(
    `SELECT 'dispatch' AS stage, count(*)::int AS depth, min(created_at) AS oldest
       FROM outbox WHERE dispatched_at IS NULL
     UNION ALL
     SELECT 'delivery', count(*)::int, min(o.created_at)
       FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE d.status = 'pending'`,
  )) as { rows: Array<{ stage: Backlog['stage']; depth: number; oldest: Date | string | null }> };
  return rows.map((r) => ({
    stage: r.stage,
    depth: r.depth,
    oldestAgeSeconds:
      r.oldest === null ? 0 : Math.max(0, (now.getTime() - new Date(r.oldest).getTime()) / 1000),
  }));
}
