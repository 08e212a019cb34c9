import type { Knex } from 'knex';

/**
 * Resolves once `n` sessions of this PostgreSQL database wait for a lock (a change blocked on a row another
 * transaction holds); fails if `answered()` says the change finished first, so it did not wait. Tests of
 * interleavings use it to force the order they check, never a sleep.
 */
export async function untilWaitingForLocks(knex: Knex, n: number, answered: () => boolean): Promise<void> {
  for (;;) {
    const rows = (
      await knex.raw(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      )
    ).rows as { n: number }[];
    if ((rows[0]?.n ?? 0) >= n) return;
    if (answered()) throw new Error('the change finished without waiting for the lock');
    await new Promise((r) => setTimeout(r, 20));
  }
}
