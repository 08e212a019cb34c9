/**
 * What an operator command reads and writes besides the database, passed in so tests run commands
 * in-process with a fake terminal and a clock they move by hand.
 */
import readline from 'node:readline/promises';

export interface CliIO {
  /** A result line (stdout). */
  out: (line: string) => void;
  /** A warning line (stderr). */
  err: (line: string) => void;
  /** Where progress goes: a bar when it is a terminal, plain lines when not. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Someone can answer a question: stdin and stderr are terminals. */
  interactive: boolean;
  ask: (question: string) => Promise<string>;
  /** Milliseconds, for durations and rates. */
  now: () => number;
  /** Calls `fn` every `ms` until the returned function is called. */
  every: (fn: () => void, ms: number) => () => void;
}

export function processIO(): CliIO {
  return {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    stderr: process.stderr,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ask: async (question) => {
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    now: () => performance.now(),
    every: (fn, ms) => {
      const timer = setInterval(fn, ms);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
