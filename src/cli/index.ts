/**
 * `npm run cli -- <command>`: see program.ts. A failure prints its sentence (an error with several, such
 * as a refused import's rejects, one a line) and exits 1 (2 for bad configuration); never a stack trace.
 */
import { ConfigError } from '../config';
import { AppError } from '../core';
import { withEnvFile } from '../env-file';
import { buildProgram } from './program';

buildProgram(withEnvFile(process.env))
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const [first, ...more] =
      err instanceof AppError ? err.errors.map((e) => e.description) : [(err as Error).message];
    console.error([`open311: ${first}`, ...more.map((line) => `  ${line}`)].join('\n'));
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
