/**
 * Progress of a long import (issue #19): on a terminal a bar (cli-progress) over the file's bytes with the
 * rows read and rows per second; without one (a cron job, a CI log) one plain line every few seconds,
 * since a bar redrawn with escape codes is noise in a log file; a line comes even while no row is read (a
 * --replace deleting the old layer, the database building its indexes). The clock and the timer are
 * injected, so tests move time by hand; the rate is the rows read since the start over the time since.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Rows read so far; cheap enough to call on every row. */
  update(rows: number): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  /** Where the bar or the lines go: stderr, so stdout keeps only the result. */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  now: () => number;
  /** Calls `fn` every `ms` until the returned function is called (setInterval, in tests a fake). */
  every: (fn: () => void, ms: number) => () => void;
  /** Bytes of the file read so far, and its size, for the bar's percentage; absent: no percentage. */
  bytes?: { read: () => number; total: number };
  /** Without a terminal, the time between two lines. Default 5 s. */
  everyMs?: number;
  /** The bar is redrawn at most this often. Default 100 ms. */
  redrawMs?: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rate = (n: number) => (n > 0 && n < 10 ? n.toFixed(1) : fmt(n));

/** Rows per second between `start` and `now` (0 before any time passed). */
export function rowsPerSecond(rows: number, start: number, now: number): number {
  const seconds = (now - start) / 1000;
  return seconds > 0 ? rows / seconds : 0;
}

export function createProgress(o: ProgressOptions): Progress {
  const start = o.now();
  const percent = () => (o.bytes && o.bytes.total > 0 ? (100 * o.bytes.read()) / o.bytes.total : null);
  if (!o.stream.isTTY) {
    let rows = 0;
    const cancel = o.every(() => {
      const p = percent();
      o.stream.write(
        `${o.label}: ${fmt(rows)} rows read${p === null ? '' : ` (${Math.min(100, Math.floor(p))}%)`}, ${rate(rowsPerSecond(rows, start, o.now()))} rows/s\n`,
      );
    }, o.everyMs ?? 5000);
    return {
      update(n) {
        rows = n;
      },
      stop: cancel,
    };
  }
  const total = o.bytes?.total ?? 0;
  const bar = new cliProgress.SingleBar(
    {
      stream: o.stream as NodeJS.WritableStream as never,
      format: `${o.label} |{bar}| ${total > 0 ? '{percentage}% | ' : ''}{rows} rows | {rate} rows/s`,
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rows: '0', rate: '0' });
  let lastDraw = start;
  let stopped = false;
  let rows = 0;
  const draw = (now: number) => {
    bar.update(o.bytes ? Math.min(o.bytes.read(), total) : 0, {
      rows: fmt(rows),
      rate: rate(rowsPerSecond(rows, start, now)),
    });
  };
  return {
    update(n) {
      rows = n;
      const now = o.now();
      if (now - lastDraw >= (o.redrawMs ?? 100)) {
        lastDraw = now;
        draw(now);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      draw(o.now());
      bar.stop();
    },
  };
}
