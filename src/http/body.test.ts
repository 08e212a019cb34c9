import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { spool } from './body';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-test-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const cutOff = new Error('Request aborted');

/** The ways a part can be cut off, relative to spool's mkdir, open and first write. */
const cuts: Array<[string, (s: PassThrough) => void | Promise<void>]> = [
  ['at once', (s) => void s.destroy(cutOff)],
  ['on the next tick', (s) => void process.nextTick(() => s.destroy(cutOff))],
  ['after the I/O of this turn', (s) => void setImmediate(() => s.destroy(cutOff))],
  [
    'after bytes reached the file',
    async (s) => {
      s.write(Buffer.alloc(40_000, 1));
      while (!fs.readdirSync(dir).length || !fs.statSync(path.join(dir, fs.readdirSync(dir)[0]!)).size)
        await new Promise((r) => setImmediate(r));
      s.destroy(cutOff);
    },
  ],
];

describe('spool (a file part written to a temporary file)', () => {
  it.each(cuts)(
    'when the part is cut off %s, then it rejects and no file is left once it has',
    async (_, cut) => {
      for (let round = 0; round < 20; round++) {
        const part = new PassThrough();
        part.on('error', () => undefined);
        part.write(Buffer.alloc(1000, 2));
        const target = path.join(dir, `${round}.upload`);
        const spooled = spool(part, dir, target);
        await cut(part);
        await expect(spooled).rejects.toThrow();
        expect(fs.readdirSync(dir)).toEqual([]);
      }
    },
  );

  it('when the part ends, then the file holds every byte and spool says how many', async () => {
    const part = new PassThrough();
    const target = path.join(dir, 'whole.upload');
    const spooled = spool(part, dir, target);
    part.end(Buffer.alloc(70_000, 3));
    expect(await spooled).toBe(70_000);
    expect(fs.readFileSync(target)).toEqual(Buffer.alloc(70_000, 3));
  });

  it('when the file already exists, then it is neither overwritten nor removed', async () => {
    const target = path.join(dir, 'taken.upload');
    fs.writeFileSync(target, 'kept');
    const part = new PassThrough();
    part.on('error', () => undefined);
    await expect(spool(part, dir, target)).rejects.toThrow(/EEXIST/);
    expect(fs.readFileSync(target, 'utf8')).toBe('kept');
  });
});
