/**
 * The optional read replica (issue #20.2, DATABASE_READ_URL): public reads go to it while it answers and
 * is at most READ_MAX_LAG_SECONDS behind; otherwise they fall back to the primary until it catches up.
 * Its lag is polled about once a second on the replica itself: 0 when it has replayed all it received,
 * else the age of the last transaction it replayed (an idle primary sends nothing, so a replica that
 * has replayed everything is not lagging however old its last transaction).
 */
import type { Knex } from 'knex';
import type { Database } from './connect';

const LAG_SQL = `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END AS lag,
  pg_is_in_recovery() AS standby`;

export type ReplicaStatus = 'starting' | 'ok' | 'lagging' | 'down';

export interface ReplicaState {
  status: ReplicaStatus;
  /** True while reads go to the replica. */
  inUse: boolean;
  /** Seconds behind the primary at the last check; null when unknown (not checked yet, or down). */
  lagSeconds: number | null;
  maxLagSeconds: number;
  /** Why reads fall back, for /readyz and the log. */
  reason?: string;
}

export interface ReadReplica {
  db: Database;
  /** Where to read now: the replica while it is usable, the primary otherwise. */
  pick(primary: Knex): Knex;
  state(): ReplicaState;
  /** One lag check (the poller's step; tests call it directly). */
  check(): Promise<ReplicaState>;
  /** Polls every `intervalMs` until closed. */
  start(intervalMs?: number): void;
  close(): Promise<void>;
}

export function readReplica(
  db: Database,
  opts: { maxLagSeconds: number; onChange?: (state: ReplicaState) => void },
): ReadReplica {
  let state: ReplicaState = {
    status: 'starting',
    inUse: false,
    lagSeconds: null,
    maxLagSeconds: opts.maxLagSeconds,
    reason: 'not checked yet',
  };
  let timer: NodeJS.Timeout | null = null;
  let checking: Promise<ReplicaState> | null = null;
  const set = (next: ReplicaState) => {
    const changed = next.status !== state.status;
    state = next;
    if (changed) opts.onChange?.(state);
    return state;
  };
  const checkOnce = async (): Promise<ReplicaState> => {
    try {
      const { rows } = (await db.knex.raw(LAG_SQL).timeout(2000)) as {
        rows: Array<{ lag: number | string | null; standby: boolean }>;
      };
      const row = rows[0];
      // Not a standby at all (promoted, or pointed at a primary): nothing to lag behind.
      const lag =
        row?.standby === false ? 0 : row?.lag === null || row?.lag === undefined ? null : Number(row.lag);
      if (lag === null)
        return set({
          ...state,
          status: 'lagging',
          inUse: false,
          lagSeconds: null,
          reason: 'no WAL replayed yet',
        });
      if (lag > opts.maxLagSeconds)
        return set({
          status: 'lagging',
          inUse: false,
          lagSeconds: lag,
          maxLagSeconds: opts.maxLagSeconds,
          reason: `${lag.toFixed(1)} s behind (more than ${opts.maxLagSeconds} s)`,
        });
      return set({ status: 'ok', inUse: true, lagSeconds: lag, maxLagSeconds: opts.maxLagSeconds });
    } catch (err) {
      return set({
        status: 'down',
        inUse: false,
        lagSeconds: null,
        maxLagSeconds: opts.maxLagSeconds,
        reason: `does not answer: ${(err as Error).message}`,
      });
    }
  };
  return {
    db,
    pick: (primary) => (state.inUse ? db.knex : primary),
    state: () => state,
    check: () => {
      // Checks never pile up behind a replica that hangs: one at a time.
      checking ??= checkOnce().finally(() => (checking = null));
      return checking;
    },
    start(intervalMs = 1000) {
      if (timer) return;
      timer = setInterval(() => void this.check(), intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      await checking;
      await db.close();
    },
  };
}
