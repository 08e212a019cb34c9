/**
 * Probe ops #4: a second server started while the first was still loading the demo city reported ready
 * and served a half-loaded city. On PostgreSQL one process at a time looks for the demo city and loads
 * it, under an advisory lock: here the test holds that lock as the first loader would, and a server's
 * bootstrap waits for it instead of finishing. PostgreSQL only (the embedded database is one process's).
 */
import knexFactory from 'knex';
import { bootstrap } from '../src/bootstrap';
import { scratchPostgresDatabase } from './helpers/db';
import { usePostgres } from './helpers/template';

const onPostgres = usePostgres() ? describe : describe.skip;

onPostgres('the demo load lock', () => {
  it('when another process holds the demo load, then a starting server waits for it and then starts', async () => {
    const scratch = await scratchPostgresDatabase('demolock', 'template');
    const holder = knexFactory({ client: 'pg', connection: scratch.url, pool: { min: 1, max: 1 } });
    let started: Promise<{ close: () => Promise<void> }> | undefined;
    try {
      await holder.raw("SELECT pg_advisory_lock(hashtext('open311:demo-load'))");
      const boot = bootstrap({
        env: { DATABASE_URL: scratch.url, LOG_LEVEL: 'silent', DEMO: 'true' },
        role: 'server',
        loadDemo: true,
      });
      started = boot;
      let booted = false;
      const settled = boot.then((b) => {
        booted = true;
        return b;
      });
      // Waiting for the lock shows in pg_locks; a bootstrap that does not wait finishes first instead.
      const waiting = async (): Promise<'waiting'> => {
        for (;;) {
          const rows = (
            await holder.raw(
              "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            )
          ).rows as { n: number }[];
          if (rows[0]?.n) return 'waiting';
          if (booted) throw new Error('bootstrap finished without waiting for the demo load lock');
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      expect(await Promise.race([waiting(), settled.then(() => 'booted' as const)])).toBe('waiting');
      expect(booted).toBe(false);
      await holder.raw("SELECT pg_advisory_unlock(hashtext('open311:demo-load'))");
      const b = await settled;
      // The city the template holds was found under the lock: no second demo city was loaded.
      expect(Number((await b.db.knex('jurisdictions').count({ n: '*' }))[0]?.n)).toBe(1);
    } finally {
      await holder.destroy(); // ends the session, so its lock too
      await started?.then((b) => b.close()).catch(() => {});
      await scratch.drop();
    }
  });
});
