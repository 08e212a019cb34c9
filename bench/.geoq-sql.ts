import knexLib from 'knex';
import { listRequests } from '../src/requests/query';
const knex = knexLib({ client: 'pg', connection: 'postgres://open311:open311@127.0.0.1:54383/open311_bench' });
const [lat, long] = (process.argv[2] ?? '42.35,-71.06').split(',').map(Number) as [number, number];
const start = new Date(Date.now() - 90 * 86400000);
const base = { jurisdictionId: 'boston', page: 1, start, includePrivate: false };
knex.on('query', (q: { sql: string; bindings: unknown[] }) => console.log(q.sql.replace(/\$(\d+)/g, (_m: string, n: string) => { const v = q.bindings[Number(n) - 1]; return v instanceof Date ? `'${v.toISOString()}'::timestamptz` : typeof v === 'string' ? `'${v}'` : String(v); }) + ';'));
void (async () => {
  await listRequests(knex, { ...base, sort: 'distance', pageSize: 20, statuses: ['open'], near: { lat, long, radius: 150 } });
  await listRequests(knex, { ...base, sort: 'requested', pageSize: 1000, bbox: { minLong: long - 0.004, minLat: lat - 0.003, maxLong: long + 0.004, maxLat: lat + 0.003 } });
  await knex.destroy();
})();
