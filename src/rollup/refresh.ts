/**
 * Keeps the daily rollups current; one pass per worker tick (src/worker). Per jurisdiction:
 *  - the fingerprint (time zone, private services, districts) changed, or no rollup yet: drop the rows and
 *    start again from the first request's day;
 *  - days changed since the last pass are rolled again: a close, a reopen, a move or any change of a
 *    request writes request_history (recordChanges), so the days of requests with history ids past the
 *    watermark are the changed days. Each id range is read in two passes, so a transaction that committed
 *    after a later id was read is still seen;
 *  - days whose open requests came due (next_due) are rolled again, so their overdue count holds;
 *  - then up to `chunkDays` complete days (before today, local) completed since;
 *  - once the complete days reach today, today is rolled up to a cut-off (`now` rounded down to
 *    `partialStepMs`, the partial day): its rows cover the requests received before the cut-off, and the
 *    dashboard reads only the later ones from the requests. It is rolled again when the cut-off moves on,
 *    when a request received before the cut-off changed (new requests, received after it, do not count) or
 *    when one of its open requests came due; at midnight the forward step rolls it as a complete day;
 *  - then up to `chunkDays` days of the past, newest first: a first build at 1M requests is spread over
 *    several ticks, and recent periods are served from the rollup first.
 * Every step is one transaction; the dashboard computes directly whatever is not rolled (src/rollup/figures.ts).
 */
import type { Knex } from 'knex';
import { bucketSql, packedBucketSql, packedValueSql } from './sketch';
import { countColumns, dayStart, keyedRows } from './keyed';
import {
  addDays,
  changedDays,
  dueDays,
  fingerprint,
  loadState,
  maxHistoryId,
  runsOf,
  type RollupState,
} from './state';

export interface RefreshResult {
  rebuilt: number;
  days: number;
}

/**
 * How far behind `now` the partial day's cut-off may be: it is rolled again (every request of the day so
 * far, 1.2–1.4 s for 102,000 requests on the bench machine) once a step, and after a change of one of its
 * requests received before the cut-off; a first request of a period ending today reads at most a step's
 * worth of requests (plus the ticks since) from the requests.
 */
export const PARTIAL_STEP_MS = 5 * 60_000;

export async function refreshRollups(
  knex: Knex,
  now: Date,
  opts: { chunkDays?: number; partialStepMs?: number } = {},
): Promise<RefreshResult> {
  const js = (await knex('jurisdictions').select('id', 'time_zone').orderBy('id')) as Array<{
    id: string;
    time_zone: string;
  }>;
  const total: RefreshResult = { rebuilt: 0, days: 0 };
  for (const j of js) {
    const r = await refreshJurisdiction(
      knex,
      j.id,
      j.time_zone,
      now,
      opts.chunkDays ?? 14,
      opts.partialStepMs ?? PARTIAL_STEP_MS,
    );
    total.rebuilt += r.rebuilt;
    total.days += r.days;
  }
  return total;
}

async function refreshJurisdiction(
  knex: Knex,
  jurisdictionId: string,
  timeZone: string,
  now: Date,
  chunkDays: number,
  stepMs: number,
): Promise<RefreshResult> {
  const fp = await fingerprint(knex, jurisdictionId, timeZone);
  const historyTop = await maxHistoryId(knex);
  const today = await localDay(knex, now, timeZone);
  let state = await loadState(knex, jurisdictionId);
  let rebuilt = 0;
  let days = 0;
  if (!state || state.fingerprint !== fp) {
    state = {
      fingerprint: fp,
      rolledFrom: today,
      rolledUntil: today,
      historySeen: historyTop,
      historyConfirmed: historyTop,
      partialUntil: null,
    };
    const fresh = state;
    await knex.transaction(async (trx) => {
      if (!(await claim(trx, jurisdictionId))) return;
      await trx('request_rollup_days').where('jurisdiction_id', jurisdictionId).del();
      await trx('request_rollup_months').where('jurisdiction_id', jurisdictionId).del();
      await saveState(trx, jurisdictionId, fresh, now);
    });
    rebuilt = 1;
  } else {
    const { rolledFrom, rolledUntil, partialUntil } = state;
    const touched = [
      ...(await changedDays(knex, jurisdictionId, timeZone, state.historyConfirmed, partialUntil)),
      ...(await dueDays(knex, jurisdictionId, now)),
    ];
    // The partial day (rolledUntil, rolled up to partialUntil) changed or came due: rolled again below.
    const partialDirty = partialUntil !== null && touched.includes(rolledUntil);
    const dirty = touched.filter((d) => d >= rolledFrom && d < rolledUntil);
    const idle =
      dirty.length === 0 &&
      !partialDirty &&
      historyTop === state.historySeen &&
      state.historySeen === state.historyConfirmed;
    // A dirty partial day is given up in the same transaction as the watermark passes its change, so the
    // dashboard never reads its old rows as clean while the day is rolled again (below).
    state = {
      ...state,
      historySeen: historyTop,
      historyConfirmed: state.historySeen,
      partialUntil: partialDirty ? null : partialUntil,
    };
    const next = state;
    // Nothing changed and nothing came due: no write at all (the worker passes every few seconds).
    if (!idle)
      await knex.transaction(async (trx) => {
        if (!(await claim(trx, jurisdictionId))) return;
        for (const [from, to] of runsOf(dirty))
          await rollDays(trx, jurisdictionId, timeZone, from, to, now, null);
        await saveState(trx, jurisdictionId, next, now);
      });
    days += new Set(dirty).size;
  }
  const roll = async (from: string, to: string, next: RollupState, until: Date | null = null) => {
    await knex.transaction(async (trx) => {
      if (!(await claim(trx, jurisdictionId))) return;
      await rollDays(trx, jurisdictionId, timeZone, from, to, now, until);
      await saveState(trx, jurisdictionId, next, now);
    });
    if (until === null) days += Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
    return next;
  };
  // Forward: the days completed since (one a day, or a backlog after the worker was off); a partial
  // day among them is rolled whole (its rows replaced).
  if (state.rolledUntil < today) {
    const from = state.rolledUntil;
    const to = addDays(from, chunkDays) < today ? addDays(from, chunkDays) : today;
    state = await roll(from, to, { ...state, rolledUntil: to, partialUntil: null });
  }
  // Today, up to the cut-off, once the complete days reach it.
  if (state.rolledUntil === today) {
    const midnight = await dayStartAt(knex, today, timeZone);
    const step = new Date(Math.floor(now.getTime() / stepMs) * stepMs);
    const cut = step > midnight ? step : midnight;
    if (state.partialUntil !== cut.toISOString()) {
      state = await roll(today, addDays(today, 1), { ...state, partialUntil: cut.toISOString() }, cut);
      days += 1;
    }
  }
  // Backwards: the past, newest first, down to the first request's day.
  const first = await firstDay(knex, jurisdictionId, timeZone);
  if (first !== null && first < state.rolledFrom) {
    const to = state.rolledFrom;
    const from = addDays(to, -chunkDays) > first ? addDays(to, -chunkDays) : first;
    state = await roll(from, to, { ...state, rolledFrom: from });
  }
  return { rebuilt, days };
}

/**
 * One worker at a time rolls a jurisdiction (several workers may run, issue #20): a transaction-scoped
 * advisory lock; a worker that does not get it leaves this step to the one that has it. Another worker's
 * steps are idempotent (a day rolled twice is the same rows), so a step after its state was read is harmless.
 */
async function claim(trx: Knex, jurisdictionId: string): Promise<boolean> {
  const row = (
    await trx.raw("SELECT pg_try_advisory_xact_lock(hashtext('request_rollup:' || ?)) AS ok", [
      jurisdictionId,
    ])
  ).rows[0] as { ok: boolean };
  return row.ok === true;
}

async function localDay(knex: Knex, at: Date, timeZone: string): Promise<string> {
  return (
    (await knex.raw('SELECT (?::timestamptz AT TIME ZONE ?)::date::text AS d', [at, timeZone])).rows[0] as {
      d: string;
    }
  ).d;
}

async function dayStartAt(knex: Knex, day: string, timeZone: string): Promise<Date> {
  const row = (await knex.raw('SELECT (?::date::timestamp AT TIME ZONE ?) AS t', [day, timeZone]))
    .rows[0] as {
    t: Date | string;
  };
  return new Date(row.t);
}

async function firstDay(knex: Knex, jurisdictionId: string, timeZone: string): Promise<string | null> {
  const row = (
    await knex.raw(
      `SELECT (min(requested_at) AT TIME ZONE ?)::date::text AS d FROM service_requests WHERE jurisdiction_id = ?`,
      [timeZone, jurisdictionId],
    )
  ).rows[0] as { d: string | null };
  return row.d;
}

async function saveState(trx: Knex, jurisdictionId: string, s: RollupState, now: Date): Promise<void> {
  await trx('request_rollup_state')
    .insert({
      jurisdiction_id: jurisdictionId,
      fingerprint: s.fingerprint,
      rolled_from: s.rolledFrom,
      rolled_until: s.rolledUntil,
      history_seen: s.historySeen,
      history_confirmed: s.historyConfirmed,
      partial_until: s.partialUntil,
      updated_at: now,
    })
    .onConflict('jurisdiction_id')
    .merge();
}

/**
 * Rolls the local days [from, to) (again): their rows, then the months they fall in. With `until`, the one
 * day `from` up to that instant (the partial day: its rows hold it as rolled_until; months leave it out).
 */
async function rollDays(
  trx: Knex,
  jurisdictionId: string,
  timeZone: string,
  from: string,
  to: string,
  now: Date,
  until: Date | null,
): Promise<void> {
  const layers = (
    (await trx('districts')
      .where('jurisdiction_id', jurisdictionId)
      .distinct('layer')
      .orderBy('layer')) as Array<{
      layer: string;
    }>
  ).map((l) => l.layer);
  const keyed = keyedRows(
    trx,
    {
      jurisdictionId,
      timeZone,
      bounds: {
        start: dayStart(trx, from, timeZone),
        end: until ? trx.raw('?::timestamptz', [until]) : dayStart(trx, to, timeZone),
      },
    },
    null,
    { channel: true, service: true, layers },
  );
  await trx('request_rollup_days')
    .where('jurisdiction_id', jurisdictionId)
    .where('day', '>=', from)
    .where('day', '<', to)
    .del();
  await trx.raw(
    `INSERT INTO request_rollup_days (jurisdiction_id, day, kind, grp, received, closed, closed_with_level,
       closed_on_time, open_backlog, overdue, close_bin, hist_b, hist_c, hist_bin, next_due, rolled_at, rolled_until)
     WITH keyed AS MATERIALIZED (?),
     counts AS (
       SELECT day, kind, grp, ?,
              coalesce(string_agg(${packedValueSql('dtc')}, ''::bytea) FILTER (WHERE dtc IS NOT NULL), ''::bytea) AS close_bin,
              min(expected_at) FILTER (WHERE status = 'open' AND NOT overdue AND expected_at >= ?) AS next_due
         FROM keyed GROUP BY day, kind, grp),
     hist AS (
       SELECT day, kind, grp, array_agg(b ORDER BY b) AS hb, array_agg(n ORDER BY b) AS hc,
              string_agg(${packedBucketSql('b', 'n')}, ''::bytea ORDER BY b) AS hbin
         FROM (SELECT day, kind, grp, ${bucketSql('dtc')} AS b, count(*)::int AS n
                 FROM keyed WHERE dtc IS NOT NULL GROUP BY 1, 2, 3, 4) x
        GROUP BY day, kind, grp)
     SELECT ?, c.day, c.kind, c.grp, c.received, c.closed, c.closed_with_level, c.closed_on_time,
            c.open_backlog, c.overdue, c.close_bin, coalesce(h.hb, '{}'), coalesce(h.hc, '{}'),
            coalesce(h.hbin, ''::bytea), CASE WHEN c.kind = 'all' THEN c.next_due END, ?, ?::timestamptz
       FROM counts c LEFT JOIN hist h USING (day, kind, grp)`,
    [keyed, countColumns(trx, now), now, jurisdictionId, now, until],
  );
  if (until === null) await rollMonths(trx, jurisdictionId, from, to);
}

/** The months holding [from, to), summed again from their days. */
async function rollMonths(trx: Knex, jurisdictionId: string, from: string, to: string): Promise<void> {
  const m0 = `${from.slice(0, 7)}-01`;
  const last = addDays(to, -1);
  const lastMonth = new Date(`${last.slice(0, 7)}-01T00:00:00Z`);
  lastMonth.setUTCMonth(lastMonth.getUTCMonth() + 1);
  const m1 = lastMonth.toISOString().slice(0, 10);
  await trx('request_rollup_months')
    .where('jurisdiction_id', jurisdictionId)
    .where('month', '>=', m0)
    .where('month', '<', m1)
    .del();
  await trx.raw(
    `INSERT INTO request_rollup_months (jurisdiction_id, month, kind, grp, received, closed, closed_with_level,
       closed_on_time, open_backlog, overdue, hist_b, hist_c, hist_bin)
     WITH d AS MATERIALIZED (
       SELECT date_trunc('month', day)::date AS month, kind, grp, received, closed, closed_with_level,
              closed_on_time, open_backlog, overdue, hist_b, hist_c
         FROM request_rollup_days WHERE jurisdiction_id = ? AND day >= ? AND day < ? AND rolled_until IS NULL),
     c AS (
       SELECT month, kind, grp, sum(received)::int AS received, sum(closed)::int AS closed,
              sum(closed_with_level)::int AS closed_with_level, sum(closed_on_time)::int AS closed_on_time,
              sum(open_backlog)::int AS open_backlog, sum(overdue)::int AS overdue
         FROM d GROUP BY month, kind, grp),
     h AS (
       SELECT month, kind, grp, array_agg(b ORDER BY b) AS hb, array_agg(n ORDER BY b) AS hc,
              string_agg(${packedBucketSql('b', 'n')}, ''::bytea ORDER BY b) AS hbin
         FROM (SELECT d.month, d.kind, d.grp, u.b, sum(u.c)::int AS n
                 FROM d CROSS JOIN LATERAL unnest(d.hist_b, d.hist_c) AS u(b, c) GROUP BY 1, 2, 3, 4) x
        GROUP BY month, kind, grp)
     SELECT ?, c.month, c.kind, c.grp, c.received, c.closed, c.closed_with_level, c.closed_on_time,
            c.open_backlog, c.overdue, coalesce(h.hb, '{}'), coalesce(h.hc, '{}'), coalesce(h.hbin, ''::bytea)
       FROM c LEFT JOIN h USING (month, kind, grp)`,
    [jurisdictionId, m0, m1, jurisdictionId],
  );
}
