import { Writable } from 'node:stream';
import pino from 'pino';
import { checkDefaultJurisdiction } from '../src/bootstrap';
import type { Database } from '../src/db';
import { openTestDatabase } from './helpers/db';

/** DEFAULT_JURISDICTION naming no jurisdiction is said at start-up (bootstrap), not found later. */
let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db.close());

async function warnings(id: string): Promise<Array<{ level: number; msg: string }>> {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  await checkDefaultJurisdiction(db, id, pino({ level: 'info' }, sink));
  return lines;
}

it('when DEFAULT_JURISDICTION names no jurisdiction, then a warning names it and the known ones; a known one says nothing', async () => {
  expect(await warnings('nope')).toEqual([
    expect.objectContaining({
      level: 40,
      msg: 'DEFAULT_JURISDICTION "nope" is not a jurisdiction of this database (known: boston)',
    }),
  ]);
  expect(await warnings('boston')).toEqual([]);
});
