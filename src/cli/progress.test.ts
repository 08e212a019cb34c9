import { PassThrough } from 'node:stream';
import { createProgress, rowsPerSecond } from './progress';

/** A clock and a timer the test moves by hand. */
function fakeTime() {
  let now = 0;
  const timers: Array<{ fn: () => void; ms: number; next: number; live: boolean }> = [];
  return {
    now: () => now,
    every: (fn: () => void, ms: number) => {
      const t = { fn, ms, next: now + ms, live: true };
      timers.push(t);
      return () => {
        t.live = false;
      };
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.live && t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.ms;
        due.fn();
      }
      now = end;
    },
  };
}

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('rowsPerSecond', () => {
  it('when 10,000 rows took 4 s, then 2,500 rows/s, and 0 before any time passed', () => {
    expect(rowsPerSecond(10_000, 1_000, 5_000)).toBe(2_500);
    expect(rowsPerSecond(10, 1_000, 1_000)).toBe(0);
  });
});

describe('progress without a terminal', () => {
  it('when rows come in over 12 s, then one plain line every 5 s with the rows, the share of the file and the rate', async () => {
    const time = fakeTime();
    const out = capture(false);
    let bytes = 0;
    const p = createProgress({
      label: 'addresses',
      stream: out.stream,
      now: time.now,
      every: time.every,
      bytes: { read: () => bytes, total: 1000 },
    });
    time.advance(4_000);
    p.update(8_000);
    bytes = 250;
    expect(out.text()).toBe('');
    time.advance(1_000); // 5 s: 8,000 rows
    p.update(20_000);
    bytes = 600;
    time.advance(5_000); // 10 s: 20,000 rows
    time.advance(2_000);
    p.stop();
    time.advance(60_000);
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toBe(
      'addresses: 8,000 rows read (25%), 1,600 rows/s\naddresses: 20,000 rows read (60%), 2,000 rows/s\n',
    );
  });

  it('when no row was read yet, then the line still comes, with a rate of 0', async () => {
    const time = fakeTime();
    const out = capture(false);
    const p = createProgress({ label: 'boundary', stream: out.stream, now: time.now, every: time.every });
    time.advance(5_000);
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toBe('boundary: 0 rows read, 0 rows/s\n');
  });
});

describe('progress on a terminal', () => {
  it('when 30,000 rows are read in 10 s, then the bar shows them at 3,000 rows/s', async () => {
    const time = fakeTime();
    const out = capture(true);
    let bytes = 0;
    const p = createProgress({
      label: 'addresses',
      stream: out.stream,
      now: time.now,
      every: time.every,
      bytes: { read: () => bytes, total: 2000 },
    });
    time.advance(10_000);
    bytes = 1000;
    p.update(30_000);
    p.stop();
    await new Promise((r) => setImmediate(r));
    const text = out.text();
    expect(text).toContain('50% | 30,000 rows | 3,000 rows/s');
    expect(text).not.toMatch(/\n.*\n.*rows read/); // a bar, not log lines
  });
});
