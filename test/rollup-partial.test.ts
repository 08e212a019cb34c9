/**
 * The partial day of the dashboard's rollups (issue #21, target 2): the worker rolls today up to a cut-off
 * (`now` rounded down to a step) and the dashboard reads the requests received before it from the rollup,
 * only the later ones from the requests. Against the staff SLA report's direct computation
 * (reports/performance.ts): with requests before and after the cut-off, new requests posted after it (which
 * leave the rolled part in use), a change to a request received before it (which does not, until the
 * worker rolls the day again), the cut-off moving on, the day rolling over at midnight, and a time zone whose
 * midnight falls inside a step.
 */
import type { Knex } from 'knex';
import { performance } from '../src/reports';
import { rolledFigures, refreshRollups } from '../src/rollup';
import { changeStatus, importRequests, type ImportedRequest } from '../src/requests';
import { startTestServer, type TestServer } from './helpers/app';
import { buildService, createRequest } from './helpers/factories';
import { expectSameFigures, rng, wardPoints } from './helpers/rollup';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const J = 'boston';
const STEP = HOUR;

describe('dashboard rollups: the partial day', () => {
  let t: TestServer;
  let knex: Knex;
  let service: Awaited<ReturnType<typeof buildService>>;
  let tz = 'America/New_York';
  /** Requests received today before the first cut-off, oldest first. */
  const todays: string[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    knex = t.db.knex;
    t.clock.set('2026-11-24T19:10:00Z'); // 14:10 in Boston
    service = await buildService(t, { sla: { value: 48, unit: 'hours' } });
    const other = await buildService(t);
    const points = await wardPoints(knex, J);
    const random = rng(7);
    const now = t.clock.now().getTime();
    const midnight = Date.parse('2026-11-24T05:00:00Z');
    const list: ImportedRequest[] = [];
    for (let i = 0; i < 260; i += 1) {
      // 200 over the ten days before, 60 today before 19:05 UTC (the first cut-off is 19:00).
      const today = i >= 200;
      const requestedAt = new Date(
        today ? midnight + random() * (now - 5 * 60_000 - midnight) : now - random() * 10 * DAY,
      );
      const closed = random() < 0.5;
      const closedAt = closed
        ? new Date(Math.min(now - 1000, requestedAt.getTime() + random() * random() * 3 * DAY))
        : null;
      const point = points[i % points.length] as { lat: number; long: number };
      list.push({
        serviceId: (i % 2 === 0 ? service : other).id,
        agencyId: null,
        detailedStatus: closed ? 'fixed' : 'open',
        statusNotes: null,
        description: `partial test ${i}`,
        serviceNotice: null,
        requestedAt,
        closedAt,
        // Today's open requests come due after the tests' last clock (they would make the day dirty).
        expectedAt:
          i % 5 === 0 ? null : new Date((today ? Date.parse('2026-12-05') : requestedAt.getTime()) + DAY),
        address: null,
        zipcode: null,
        point: { lat: Number(point.lat), long: Number(point.long) },
        channel: ['mobile', 'web', 'phone'][i % 3] as string,
      });
    }
    await knex.transaction((trx) => importRequests(trx, J, list, 'partial test', t.clock.now()));
    const rows = (await knex('service_requests')
      .where('requested_at', '>=', new Date(midnight))
      .orderBy('requested_at')
      .select(knex.raw('id::text AS id'))) as Array<{ id: string }>;
    todays.push(...rows.map((r) => r.id));
  });
  afterAll(() => t.close());

  /** The worker's passes until it has nothing left to roll (bounded). */
  async function catchUp(): Promise<void> {
    for (let i = 0; i < 20; i += 1)
      if ((await refreshRollups(knex, t.clock.now(), { chunkDays: 30, partialStepMs: STEP })).days === 0)
        return;
    throw new Error('the rollup did not catch up in 20 passes');
  }

  const periods = () => {
    const now = t.clock.now().getTime();
    return [
      { label: 'a week to now', start: new Date(now - 7 * DAY), end: new Date(now), exact: true },
      {
        label: 'three days to tomorrow',
        start: new Date(now - 3 * DAY - 2 * HOUR),
        end: new Date(now + DAY),
        exact: true,
      },
      {
        label: 'a month to tomorrow',
        start: new Date(now - 30 * DAY),
        end: new Date(now + DAY),
        exact: false,
      },
    ];
  };

  /** Rolled figures against the report's for every period and two layers; the partial cut-offs used. */
  async function expectAgreement(): Promise<Array<string | null>> {
    const used: Array<string | null> = [];
    for (const p of periods())
      for (const layer of ['ward', 'neighborhood']) {
        const now = t.clock.now();
        const got = await rolledFigures(knex, {
          jurisdictionId: J,
          timeZone: tz,
          start: p.start,
          end: p.end,
          now,
          layer,
        });
        used.push(got.source.partialUntil);
        expect(got.source.exact).toBe(p.exact);
        const base = { jurisdictionId: J, start: p.start, end: p.end, now };
        const want = {
          all: await performance(knex, { ...base, groupBy: { kind: 'all' } }),
          byDistrict: await performance(knex, { ...base, groupBy: { kind: 'district', layer } }),
          byChannel: await performance(knex, { ...base, groupBy: { kind: 'channel' } }),
        };
        for (const k of ['all', 'byDistrict', 'byChannel'] as const)
          expectSameFigures(`${p.label}, ${layer}, ${k}`, got[k], want[k], p.exact);
      }
    return [...new Set(used)];
  }

  const state = async () =>
    (await knex('request_rollup_state')
      .where('jurisdiction_id', J)
      .first(knex.raw('rolled_until::text AS rolled_until'), 'partial_until')) as {
      rolled_until: string;
      partial_until: Date | null;
    };
  const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
  const staff = { type: 'staff' as const, id: null, label: 'test', channel: 'staff' };

  it('when the worker has rolled today up to the cut-off, then the figures agree and use the rolled part', async () => {
    expect(await expectAgreement()).toEqual([null]); // nothing rolled yet: computed directly
    await catchUp();
    const s = await state();
    expect(s.rolled_until).toBe('2026-11-24');
    expect(iso(s.partial_until)).toBe('2026-11-24T19:00:00.000Z');
    const marked = (await knex('request_rollup_days')
      .where({ jurisdiction_id: J, day: '2026-11-24', kind: 'all' })
      .first('received', 'rolled_until')) as { received: number; rolled_until: Date };
    expect(iso(marked.rolled_until)).toBe('2026-11-24T19:00:00.000Z');
    const before = (await knex('service_requests')
      .where('requested_at', '>=', new Date('2026-11-24T05:00:00Z'))
      .where('requested_at', '<', new Date('2026-11-24T19:00:00Z'))
      .count<Array<{ count: string | number }>>('* as count')) as Array<{ count: string | number }>;
    expect(Number(marked.received)).toBe(Number(before[0]?.count)); // the requests before the cut-off
    expect(await expectAgreement()).toEqual(['2026-11-24T19:00:00.000Z']);
    // A second pass with nothing new rolls nothing.
    expect((await refreshRollups(knex, t.clock.now(), { partialStepMs: STEP })).days).toBe(0);
  });

  it('when requests are posted after the cut-off, then they are counted from the requests and the rolled part stays in use', async () => {
    for (let i = 0; i < 3; i += 1) await createRequest(t, service);
    expect(await expectAgreement()).toEqual(['2026-11-24T19:00:00.000Z']);
    // Their history is past the watermark; the worker does not roll the day again for them.
    expect((await refreshRollups(knex, t.clock.now(), { partialStepMs: STEP })).days).toBe(0);
    expect(await expectAgreement()).toEqual(['2026-11-24T19:00:00.000Z']);
  });

  it('when a request received before the cut-off changes, then the day is read from the requests until the worker rolls it again', async () => {
    const early = todays[0] as string;
    const r = (await knex('service_requests').where('id', early).first('status')) as { status: string };
    await knex.transaction((trx) =>
      changeStatus(
        trx,
        J,
        early,
        { detailedStatus: r.status === 'open' ? 'fixed' : 'open' },
        staff,
        t.clock.now(),
      ),
    );
    expect(await expectAgreement()).toEqual([null]);
    expect((await refreshRollups(knex, t.clock.now(), { partialStepMs: STEP })).days).toBe(1);
    expect(await expectAgreement()).toEqual(['2026-11-24T19:00:00.000Z']);
  });

  it('when the cut-off moves on, then the worker rolls today again up to the new one', async () => {
    t.clock.set('2026-11-24T20:25:00Z');
    // The old cut-off still serves a period ending after it.
    expect(await expectAgreement()).toEqual(['2026-11-24T19:00:00.000Z']);
    await catchUp();
    expect(iso((await state()).partial_until)).toBe('2026-11-24T20:00:00.000Z');
    await createRequest(t, service); // received at 20:25, after the new cut-off
    expect(await expectAgreement()).toEqual(['2026-11-24T20:00:00.000Z']);
  });

  it('when midnight passes, then the partial day serves until the worker rolls it whole, and the new day starts partial', async () => {
    t.clock.set('2026-11-25T05:40:00Z'); // 00:40 in Boston, the 25th
    await createRequest(t, service); // received on the new day
    expect(await expectAgreement()).toEqual(['2026-11-24T20:00:00.000Z']);
    await catchUp();
    const s = await state();
    expect(s.rolled_until).toBe('2026-11-25');
    expect(iso(s.partial_until)).toBe('2026-11-25T05:00:00.000Z'); // the new day's midnight: nothing yet
    const yesterday = (await knex('request_rollup_days')
      .where({ jurisdiction_id: J, day: '2026-11-24' })
      .whereNotNull('rolled_until')
      .count<Array<{ count: string | number }>>('* as count')) as Array<{ count: string | number }>;
    expect(Number(yesterday[0]?.count)).toBe(0); // complete now
    expect(await expectAgreement()).toEqual(['2026-11-25T05:00:00.000Z']);
  });

  it('when the time zone’s midnight falls inside a step, then the cut-off is never before the day starts', async () => {
    tz = 'Asia/Kolkata'; // UTC+5:30: the 26th starts at 18:30 UTC on the 25th
    await knex('jurisdictions').where('id', J).update({ time_zone: tz });
    t.clock.set('2026-11-25T18:50:00Z'); // 00:20 on the 26th there; the hour started before midnight
    await createRequest(t, service);
    await catchUp(); // a new fingerprint: rebuilt from the first day
    const s = await state();
    expect(s.rolled_until).toBe('2026-11-26');
    expect(iso(s.partial_until)).toBe('2026-11-25T18:30:00.000Z');
    expect(await expectAgreement()).toEqual(['2026-11-25T18:30:00.000Z']);
    t.clock.set('2026-11-25T20:10:00Z');
    await createRequest(t, service);
    await catchUp();
    expect(iso((await state()).partial_until)).toBe('2026-11-25T20:00:00.000Z');
    expect(await expectAgreement()).toEqual(['2026-11-25T20:00:00.000Z']);
  });
});
