/**
 * `.env` support for the entry points (server.ts, worker-main.ts, cli/index.ts): the file in the working
 * directory, when there is one, fills in what the environment leaves unset. The environment always wins,
 * so `PORT=4000 npm start` overrides a `.env` that says 3000. loadConfig stays pure: it only sees the
 * merged result. Parsing is Node's own (util.parseEnv, the format of `node --env-file`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

type Env = Record<string, string | undefined>;

export function withEnvFile(env: Env, cwd: string = process.cwd(), file = '.env'): Env {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return env;
    throw err;
  }
  const fromFile = parseEnv(text) as Env;
  const merged: Env = { ...fromFile };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}
