/**
 * The baseline for every scenario: bare Express + pg, the same SQL as the server, none of its validation,
 * geocoding, SLA, rendering or middleware. What one could build by hand; ratios are measured against it.
 */
import express from 'express';
import pg from 'pg';

// The same session as the server's pool (src/db/connect.ts): without JIT, so that a ratio measures the
// code around the SQL and not a database setting (a startup option: no query of its own).
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, options: '-c jit=off' });
const app = express();
app.use(express.urlencoded({ extended: false }));

const SELECT = `SELECT r.id::text AS service_request_id, r.status, r.status_notes, s.service_name, s.service_code, r.description,
  a.name AS agency_responsible, r.service_notice, r.requested_at AS requested_datetime, r.updated_at AS updated_datetime,
  r.expected_at AS expected_datetime, r.address, r.address_id::text AS address_id, r.zipcode,
  ST_Y(r.location::geometry) AS lat, ST_X(r.location::geometry) AS long, r.media_urls[1] AS media_url
  FROM service_requests r JOIN services s ON s.id = r.service_id LEFT JOIN agencies a ON a.id = r.agency_id
  WHERE r.jurisdiction_id = 'boston' AND NOT s.is_private`;
const ORDER = 'ORDER BY r.requested_at DESC, r.id DESC LIMIT 1000';

let services: unknown[] = [];

const xml = (rows: Array<Record<string, unknown>>) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<service_requests>${rows
    .map(
      (r) =>
        `<request>${Object.entries(r)
          .map(
            ([k, v]) =>
              `<${k}>${
                v === null
                  ? ''
                  : String(v instanceof Date ? v.toISOString() : v)
                      .replace(/&/g, '&amp;')
                      .replace(/</g, '&lt;')
              }</${k}>`,
          )
          .join('')}</request>`,
    )
    .join('')}</service_requests>`;

app.get('/requests.:fmt', async (req, res) => {
  const q = req.query as Record<string, string>;
  // The server's default window (the last 90 days) applies to every list but the changed-since one.
  const params: unknown[] = [new Date(Date.now() - 90 * 86_400_000)];
  let where = ' AND r.requested_at >= $1';
  if (q.lat) {
    params.push(Number(q.long), Number(q.lat), Number(q.radius));
    where += ' AND ST_DWithin(r.location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $4)';
  } else if (q.bbox) {
    params.push(...q.bbox.split(',').map(Number));
    where += ' AND r.location && ST_MakeEnvelope($2, $3, $4, $5, 4326)::geography';
  } else if (q.updated_after) {
    params.splice(0, 1, q.updated_after);
    where = ' AND r.updated_at > $1';
  }
  const { rows } = await pool.query(`${SELECT}${where} ${ORDER}`, params);
  if (req.params.fmt === 'xml') res.type('text/xml').send(xml(rows));
  else res.json(rows);
});

app.get('/services.json', (_req, res) => {
  res.json(services);
});

// A POST as one would write it by hand with duplicate linking (the server's SQL shape): the nearest open
// report of the service within 50 m and a week, if any, becomes the parent; then the request and its history row.
app.post('/requests.json', async (req, res) => {
  const b = req.body as Record<string, string>;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const parent = await client.query(
      `SELECT r.id FROM service_requests r
       WHERE r.jurisdiction_id = 'boston' AND r.status = 'open' AND r.parent_request_id IS NULL
         AND r.service_id = (SELECT id FROM services WHERE jurisdiction_id = 'boston' AND service_code = $1)
         AND r.requested_at >= now() - interval '168 hours'
         AND ST_DWithin(r.location, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 50)
       ORDER BY r.location <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography LIMIT 1`,
      [b.service_code, Number(b.long), Number(b.lat)],
    );
    const { rows } = await client.query(
      `INSERT INTO service_requests (jurisdiction_id, service_id, requested_at, updated_at, location, channel, attributes, parent_request_id)
       SELECT 'boston', id, now(), now(), ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 'web', $4::jsonb, $5::bigint FROM services WHERE service_code = $1
       RETURNING id::text`,
      [
        b.service_code,
        Number(b.long),
        Number(b.lat),
        JSON.stringify({ LIGHTS_OUT: b['attribute[LIGHTS_OUT]'] }),
        (parent.rows[0] as { id: string } | undefined)?.id ?? null,
      ],
    );
    await client.query(
      `INSERT INTO request_history (request_id, jurisdiction_id, occurred_at, kind, actor_type) VALUES ($1, 'boston', now(), 'created', 'api_key')`,
      [rows[0].id],
    );
    await client.query('COMMIT');
    res.status(201).json([{ service_request_id: rows[0].id }]);
  } catch (err) {
    await client.query('ROLLBACK');
    res.status(500).json([{ code: 500, description: String(err) }]);
  } finally {
    client.release();
  }
});

void (async () => {
  services = (
    await pool.query(
      "SELECT service_code, service_name, description, type FROM services WHERE jurisdiction_id = 'boston'",
    )
  ).rows;
  app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
})();
