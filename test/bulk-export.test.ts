import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { exportRequests } from '../src/opendata/bulk-export';
import { startTestServer, type TestServer } from './helpers/app';
import { TEMPLATE_NOW } from './helpers/template';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  t.clock.set(TEMPLATE_NOW.toISOString());
});
afterAll(() => t.close());

describe('bulk export', () => {
  it('when exported as CSV, then it parses back with every public request of the GeoReport list and the district columns', async () => {
    const list = await request(t.app).get('/open311/v2/requests.json?page_size=1000');
    const csv = await request(t.app).get('/open311/v2/bulk/requests.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parse(csv.text, { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(rows.length).toBe(list.body.length);
    expect(Object.keys(rows[0]!)).toEqual(
      expect.arrayContaining([
        'service_request_id',
        'requested_datetime',
        'closed_date',
        'status_description',
        'source',
        'service_name',
        'lat',
        'long',
        'ward',
        'neighborhood',
      ]),
    );
    expect(new Set(rows.map((r) => r.service_request_id))).toEqual(
      new Set(list.body.map((r: { service_request_id: string }) => r.service_request_id)),
    );
    expect(csv.text).not.toMatch(/@/);
  });

  it('when exported as GeoJSON, JSON and NDJSON with a filter, then all three agree', async () => {
    const q = 'status=closed';
    const geo = await request(t.app).get(`/open311/v2/bulk/requests.geojson?${q}`);
    expect(geo.body.type).toBe('FeatureCollection');
    const json = await request(t.app).get(`/open311/v2/bulk/requests.json?${q}`);
    const nd = await request(t.app)
      .get(`/open311/v2/bulk/requests.ndjson?${q}`)
      .buffer(true)
      .parse((res, cb) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => cb(null, text));
      });
    const ndRows = String(nd.body)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(geo.body.features.length).toBe(json.body.length);
    expect(ndRows.length).toBe(json.body.length);
    expect(json.body.every((r: { status_description: string }) => r.status_description === 'closed')).toBe(
      true,
    );
    const f = geo.body.features[0];
    expect(f.geometry.type).toBe('Point');
    expect(f.properties.service_request_id).toBe(f.id);
  });

  it('when the database writes the rows, then every value matches the GeoReport list, and CSV quoting round-trips', async () => {
    await t.db.knex.raw(
      `UPDATE service_requests SET description = 'He said "no", then' || chr(13) || chr(10) || 'left, quickly'
       WHERE id IN (SELECT id FROM service_requests ORDER BY id DESC LIMIT 3)`,
    );
    const list = await request(t.app).get('/open311/v2/requests.json?page_size=1000');
    const json = await request(t.app).get('/open311/v2/bulk/requests.json');
    const csv = await request(t.app).get('/open311/v2/bulk/requests.csv');
    const byId = new Map(json.body.map((r: Record<string, unknown>) => [r.service_request_id, r]));
    expect(byId.size).toBe(list.body.length);
    for (const l of list.body as Array<Record<string, unknown>>) {
      const r = byId.get(l.service_request_id) as Record<string, unknown>;
      expect([r.requested_datetime, r.updated_datetime, r.status_description, r.service_name]).toEqual([
        l.requested_datetime,
        l.updated_datetime,
        l.status,
        l.service_name,
      ]);
      expect([r.description, r.address, r.lat, r.long]).toEqual([
        l.description ?? null,
        l.address ?? null,
        l.lat ?? null,
        l.long ?? null,
      ]);
    }
    const rows = parse(csv.text, { columns: true, bom: true }) as Array<Record<string, string>>;
    const asText = (v: unknown) => (v === null || v === undefined ? '' : String(v));
    for (const row of rows) {
      const r = byId.get(row.service_request_id) as Record<string, unknown>;
      for (const [k, v] of Object.entries(row)) expect(v).toBe(asText(r[k]));
    }
    expect(rows.filter((r) => r.description?.includes('"no"')).length).toBe(3);
  });

  it('when the format is unknown or a date is bad, then 404 or 400', async () => {
    expect((await request(t.app).get('/open311/v2/bulk/requests.xlsx')).status).toBe(404);
    expect((await request(t.app).get('/open311/v2/bulk/requests.csv?start_date=soon')).status).toBe(400);
  });

  it('when several requests share a millisecond, then small keyset batches export each exactly once', async () => {
    // PostgreSQL keeps microseconds; a cursor rounded to milliseconds would read some rows twice.
    await t.db.knex.raw(
      `UPDATE service_requests SET requested_at = '2026-11-19T10:00:00.000100Z'::timestamptz + (id % 7) * interval '1 microsecond'
       WHERE id IN (SELECT id FROM service_requests ORDER BY id LIMIT 9)`,
    );
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    const filter = { jurisdictionId: 'boston', sort: 'requested' as const, page: 1, pageSize: 1000 };
    const n = await exportRequests(t.db.knex, filter, 'ndjson', 'America/New_York', [], out, {
      batchSize: 2,
    });
    const ids = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).service_request_id as string);
    const expected = await t.db
      .knex('service_requests as r')
      .join('services as s', 's.id', 'r.service_id')
      .where('s.is_private', false)
      .count({ c: '*' });
    expect(ids.length).toBe(n);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(Number(expected[0]?.c));
  });

  it('when the client goes away mid-stream, then the export stops', async () => {
    let chunks = 0;
    const out = new Writable({
      write(_chunk, _enc, cb) {
        chunks += 1;
        if (chunks === 2) this.destroy();
        cb();
      },
    });
    const n = await exportRequests(
      t.db.knex,
      { jurisdictionId: 'boston', sort: 'requested', page: 1, pageSize: 1000 },
      'ndjson',
      'America/New_York',
      [],
      out,
    ).catch(() => -1);
    expect(n).toBeLessThanOrEqual(1000);
  });
});
