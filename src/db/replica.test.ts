import type { Database } from './connect';
import { readReplica } from './replica';

/** A replica whose lag query answers what the test says (or fails), with a primary to fall back to. */
function stub(answer: () => Promise<{ rows: Array<{ lag: number | string | null; standby: boolean }> }>) {
  const knex = { raw: () => ({ timeout: () => answer() }), destroy: async () => {} };
  const db = { knex, kind: 'postgres', describe: 'replica', close: async () => {} } as unknown as Database;
  return db;
}
const primary = { name: 'primary' } as never;

describe('read replica lag check', () => {
  it('when the replica is within READ_MAX_LAG_SECONDS, then reads go to it; past it, or down, to the primary', async () => {
    let answer: () => Promise<{
      rows: Array<{ lag: number | string | null; standby: boolean }>;
    }> = async () => ({
      rows: [{ lag: 0, standby: true }],
    });
    const db = stub(() => answer());
    const changes: string[] = [];
    const r = readReplica(db, { maxLagSeconds: 5, onChange: (s) => changes.push(s.status) });
    expect(r.state()).toMatchObject({ status: 'starting', inUse: false });
    expect(r.pick(primary)).toBe(primary);

    expect(await r.check()).toMatchObject({ status: 'ok', inUse: true, lagSeconds: 0 });
    expect(r.pick(primary)).toBe(db.knex);

    answer = async () => ({ rows: [{ lag: '5.0', standby: true }] }); // numeric arrives as text from some drivers
    expect(await r.check()).toMatchObject({ status: 'ok', inUse: true, lagSeconds: 5 });

    answer = async () => ({ rows: [{ lag: 5.5, standby: true }] });
    expect(await r.check()).toMatchObject({ status: 'lagging', inUse: false, lagSeconds: 5.5 });
    expect(r.state().reason).toMatch(/5\.5 s behind/);
    expect(r.pick(primary)).toBe(primary);

    answer = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    expect(await r.check()).toMatchObject({ status: 'down', inUse: false, lagSeconds: null });
    expect(r.state().reason).toMatch(/ECONNREFUSED/);
    expect(r.pick(primary)).toBe(primary);

    answer = async () => ({ rows: [{ lag: null, standby: true }] });
    expect(await r.check()).toMatchObject({ status: 'lagging', inUse: false, lagSeconds: null });

    // Promoted (no longer in recovery): nothing to lag behind.
    answer = async () => ({ rows: [{ lag: null, standby: false }] });
    expect(await r.check()).toMatchObject({ status: 'ok', inUse: true, lagSeconds: 0 });
    expect(changes).toEqual(['ok', 'lagging', 'down', 'lagging', 'ok']);
    await r.close();
  });

  it('when checks are asked for while one runs, then they share it (a hanging replica never piles them up)', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const db = stub(() => {
      calls += 1;
      return new Promise((resolve) => (release = () => resolve({ rows: [{ lag: 1, standby: true }] })));
    });
    const r = readReplica(db, { maxLagSeconds: 5 });
    const first = r.check();
    const second = r.check();
    release();
    expect(await first).toBe(await second);
    expect(calls).toBe(1);
    const third = r.check(); // the first has finished: a new check
    release();
    await third;
    expect(calls).toBe(2);
  });
});
