/**
 * The dashboard's rollups (issue #21, target 2) against the direct computation of the staff SLA report
 * (reports/performance.ts): counts and shares equal, medians and p90s equal for short periods and within
 * the sketch's 1% (plus rounding) for long ones; before the worker's first pass, after it, after closures,
 * reopenings and priority changes of old days (before and after the worker catches up), as open requests
 * come due, and after a change of which services are private.
 */
import request from 'supertest';
import type { Knex } from 'knex';
import { performance } from '../src/reports';
import { rolledFigures, refreshRollups, EXACT_MAX_DAYS } from '../src/rollup';
import {
  bucketOf,
  bucketSql,
  Histogram,
  packedBucketSql,
  packedExactSql,
  packedValueSql,
  unpackValues,
} from '../src/rollup/sketch';
import { changeStatus, importRequests, setPriority, type ImportedRequest } from '../src/requests';
import { tick } from '../src/worker';
import { startTestServer, type TestServer } from './helpers/app';
import { buildService } from './helpers/factories';
import { expectSameFigures, rng, wardPoints } from './helpers/rollup';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const TZ = 'America/New_York';
const J = 'boston';

describe('dashboard rollups', () => {
  let t: TestServer;
  let knex: Knex;
  const ids: string[] = [];
  let privateServiceId = 0;

  beforeAll(async () => {
    t = await startTestServer();
    knex = t.db.knex;
    const open = await buildService(t, { sla: { value: 48, unit: 'hours' } });
    const other = await buildService(t);
    const hidden = await buildService(t);
    privateServiceId = hidden.id;
    const points = await wardPoints(knex, J);
    const random = rng(21);
    const now = t.clock.now().getTime();
    const list: ImportedRequest[] = [];
    for (let i = 0; i < 400; i += 1) {
      const requestedAt = new Date(now - random() * 80 * DAY);
      const closed = random() < 0.7;
      // Closing times from minutes to weeks, some within a minute, one before it was received (a skew).
      const spread = random();
      const tookMs = i === 0 ? -60_000 : spread < 0.05 ? 20_000 : spread * spread * 20 * DAY;
      const closedAt = closed ? new Date(Math.min(now - 1000, requestedAt.getTime() + tookMs)) : null;
      const svc = [open, other, hidden][i % 3] as { id: number };
      const point = points[i % points.length] as { lat: number; long: number };
      list.push({
        serviceId: svc.id,
        agencyId: null,
        detailedStatus: closed ? 'fixed' : 'open',
        statusNotes: null,
        description: `rollup test ${i}`,
        serviceNotice: null,
        requestedAt,
        closedAt,
        expectedAt: i % 4 === 0 ? null : new Date(requestedAt.getTime() + (1 + (i % 9)) * DAY),
        address: null,
        zipcode: null,
        point: { lat: Number(point.lat), long: Number(point.long) },
        channel: ['mobile', 'web', 'phone'][i % 3] as string,
      });
    }
    await knex.transaction((trx) => importRequests(trx, J, list, 'rollup test', t.clock.now()));
    const rows = (await knex('service_requests')
      .where('description', 'like', 'rollup test %')
      .orderBy('id')
      .select(knex.raw('id::text AS id'))) as Array<{ id: string }>;
    ids.push(...rows.map((r) => r.id));
  });
  afterAll(() => t.close());

  const periods = () => {
    const now = t.clock.now().getTime();
    return [
      { label: 'a week, odd hours', start: new Date(now - 7 * DAY - 3 * HOUR), end: new Date(now) },
      { label: 'a month to tomorrow', start: new Date(now - 30 * DAY), end: new Date(now + DAY) },
      {
        label: 'an old fortnight',
        start: new Date(now - 50 * DAY + 5 * HOUR),
        end: new Date(now - 36 * DAY),
      },
      { label: '75 days', start: new Date(now - 75 * DAY), end: new Date(now + DAY) },
      { label: 'a year', start: new Date(now - 365 * DAY), end: new Date(now + DAY) },
    ];
  };

  /** Rolled figures against the report's, for every period and two layers. */
  async function expectAgreement(opts: { changesInline?: number } = {}): Promise<number> {
    let rolledDays = 0;
    for (const p of periods())
      for (const layer of ['ward', 'neighborhood']) {
        const q = {
          jurisdictionId: J,
          timeZone: TZ,
          start: p.start,
          end: p.end,
          now: t.clock.now(),
          layer,
          ...opts,
        };
        const got = await rolledFigures(knex, q);
        rolledDays += got.source.rolledDays;
        const exact = p.end.getTime() - p.start.getTime() <= EXACT_MAX_DAYS * DAY;
        expect(got.source.exact).toBe(exact);
        const base = { jurisdictionId: J, start: p.start, end: p.end, now: t.clock.now() };
        const want = {
          all: await performance(knex, { ...base, groupBy: { kind: 'all' } }),
          byDistrict: await performance(knex, { ...base, groupBy: { kind: 'district', layer } }),
          byChannel: await performance(knex, { ...base, groupBy: { kind: 'channel' } }),
        };
        for (const k of ['all', 'byDistrict', 'byChannel'] as const)
          expectSameFigures(`${p.label}, ${layer}, ${k}`, got[k], want[k], exact);
      }
    return rolledDays;
  }

  it('when the worker has not rolled anything, then the figures are the report’s, computed directly', async () => {
    expect(await expectAgreement()).toBe(0);
  });

  it('when the worker has rolled, then the figures agree with the report and come mostly from the rollup', async () => {
    await refreshRollups(knex, t.clock.now(), { chunkDays: 30 }); // starts the rollup
    for (let i = 0; i < 20; i += 1) await refreshRollups(knex, t.clock.now(), { chunkDays: 30 });
    const rolled = await expectAgreement();
    expect(rolled).toBeGreaterThan(100);
  });

  it('when old requests are closed, reopened and reprioritised, then the figures agree before and after the worker catches up', async () => {
    const staff = { type: 'staff' as const, id: null, label: 'test', channel: 'staff' };
    const at = t.clock.now();
    await knex.transaction(async (trx) => {
      for (const id of ids.slice(0, 60)) {
        const r = (await trx('service_requests').where('id', id).first('status')) as { status: string };
        await changeStatus(trx, J, id, { detailedStatus: r.status === 'open' ? 'fixed' : 'open' }, staff, at);
      }
      for (const id of ids.slice(60, 80)) await setPriority(trx, J, id, 'urgent', staff, at);
    });
    const before = await expectAgreement(); // the changed days are computed directly
    // More changes waiting than are read with the state: the changed days are read on their own, the same.
    expect(await expectAgreement({ changesInline: 5 })).toBe(before);
    await refreshRollups(knex, t.clock.now());
    const after = await expectAgreement();
    expect(after).toBeGreaterThan(before); // ... and rolled again by the worker's pass
  });

  it('when open requests come due as time passes, then overdue counts agree, and the worker rolls those days again', async () => {
    t.clock.advance(3 * DAY);
    await expectAgreement();
    const result = await tick(t.ctx);
    expect(result.rolledDays).toBeGreaterThan(0);
    await expectAgreement();
    t.clock.advance(-3 * DAY);
  });

  it('when a service becomes private, then the rollup is not used until the worker rebuilds it', async () => {
    await knex('services')
      .where('id', privateServiceId)
      .update({ keywords: knex.raw("array_append(keywords, 'private')") });
    const now = t.clock.now();
    const q = {
      jurisdictionId: J,
      timeZone: TZ,
      start: new Date(now.getTime() - 60 * DAY),
      end: now,
      now,
      layer: 'ward',
    };
    expect((await rolledFigures(knex, q)).source.rolledDays).toBe(0);
    await expectAgreement();
    for (let i = 0; i < 10; i += 1) await refreshRollups(knex, now);
    expect((await rolledFigures(knex, q)).source.rolledDays).toBeGreaterThan(30);
    await expectAgreement();
    await knex('services')
      .where('id', privateServiceId)
      .update({ keywords: knex.raw("array_remove(keywords, 'private')") });
  });

  it('when the database buckets a duration, then it picks the bucket the sketch reads', async () => {
    const values = [-1, 0, 0.0001, 1 / 1440, 0.001, 0.0123, 0.5, 1, 2.75, 9.99, 30, 365.25, 3000];
    const rows = (
      await knex.raw(`SELECT v, ${bucketSql('v')} AS b FROM unnest(?::float8[]) AS v ORDER BY v`, [values])
    ).rows as Array<{ v: number; b: number }>;
    expect(rows.map((r) => Number(r.b))).toEqual(values.map(bucketOf));
  });

  it('when the database packs exact values and histograms, then the reader unpacks them as they were', async () => {
    const values = [0, 0.5, 1.25, 3000.125, -0.25, 1 / 3];
    const row = (
      await knex.raw(
        `SELECT string_agg(${packedValueSql('v')}, ''::bytea ORDER BY i) AS f4,
                string_agg(${packedExactSql('v')}, ''::bytea ORDER BY i) AS f8,
                (SELECT string_agg(${packedBucketSql('b', 'c')}, ''::bytea ORDER BY b)
                   FROM unnest(?::int[], ?::int[]) AS u(b, c)) AS h
           FROM unnest(?::float8[]) WITH ORDINALITY AS x(v, i)`,
        [[0, 7, 900], [3, 40000, 1], values],
      )
    ).rows[0] as { f4: Uint8Array; f8: Uint8Array; h: Uint8Array };
    expect(Array.from(unpackValues([{ bytes: row.f4, width: 4 }]))).toEqual(values.map(Math.fround));
    expect(Array.from(unpackValues([{ bytes: row.f8, width: 8 }]))).toEqual(values);
    const h = new Histogram();
    h.add(row.h);
    h.add(row.h);
    expect(h.buckets()).toEqual([
      { b: 0, c: 6 },
      { b: 7, c: 80000 },
      { b: 900, c: 2 },
    ]);
  });

  it('when the dashboard summary is asked, then its figures are the rolled ones', async () => {
    const now = t.clock.now();
    const day = (ms: number) => new Date(now.getTime() + ms).toISOString().slice(0, 10);
    const res = await request(t.app).get(
      `/dashboard/api/summary?start_date=${day(-60 * DAY)}&end_date=${day(DAY)}&layer=ward`,
    );
    expect(res.status).toBe(200);
    const base = {
      jurisdictionId: J,
      start: new Date(res.body.period.start),
      end: new Date(res.body.period.end),
      now,
    };
    const all = await performance(knex, { ...base, groupBy: { kind: 'all' } });
    expect(res.body.totals.received).toBe(all[0]?.received);
    expect(res.body.totals.closed_on_time).toBe(all[0]?.closed_on_time);
    expect(res.body.weekly.reduce((s: number, w: { received: number }) => s + w.received, 0)).toBe(
      all[0]?.received,
    );
  });
});
