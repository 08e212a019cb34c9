/** `npm run cli -- <command>`: see program.ts. A failure prints one line and exits 1 (2 for bad configuration). */
import { ConfigError } from '../config';
import { AppError } from '../core';
import { withEnvFile } from '../env-file';
import { buildProgram } from './program';

buildProgram(withEnvFile(process.env))
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const message =
      err instanceof AppError ? err.errors.map((e) => e.description).join(' ') : (err as Error).message;
    console.error(`open311: ${message}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
