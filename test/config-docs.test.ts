/**
 * The configuration is documented in two places, the README's table and `.env.example`; both are checked
 * against the variables `src/config.ts` reads, found in its source at test time, so a variable added
 * there fails this test until it is documented. Also: no well-known default secret ships anywhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../src/config';
import { withEnvFile } from '../src/env-file';

const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** Every `read(env, 'NAME')`, `int('NAME', …)`, `bool('NAME', …)`, `oneOf('NAME', …)`, `url('NAME', …)`. */
function variablesOfConfig(): string[] {
  const source = read('src/config.ts');
  const names = new Set<string>();
  for (const m of source.matchAll(/\b[a-zA-Z]+(?:<[^>]*>)?\(\s*(?:env\s*,\s*)?'([A-Z][A-Z0-9_]*)'/g))
    names.add(m[1]!);
  return [...names].sort();
}

function readmeTable(): string[] {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Endpoints'));
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)`/gm)].map((m) => m[1]!);
}

describe('configuration documentation', () => {
  const vars = variablesOfConfig();

  it('when config.ts is scanned, then it finds the variables it reads (the scan itself works)', () => {
    expect(vars).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'WORKER', 'DASHBOARD_TILE_URL']));
    expect(vars.length).toBeGreaterThanOrEqual(20);
    // Names the scan finds are read for real: setting them changes the configuration.
    const defaults = loadConfig({});
    const samples = { PORT: '7', WEBHOOK_MAX_ATTEMPTS: '7', SURVEY_TTL_DAYS: '7', WORKER_INTERVAL_MS: '700' };
    for (const [name, value] of Object.entries(samples)) {
      expect(loadConfig({ [name]: value })).not.toEqual(defaults);
    }
  });

  it('when a variable is read by config.ts, then the README table has a row for it, and only for such', () => {
    const rows = readmeTable();
    expect(vars.filter((v) => !rows.includes(v))).toEqual([]);
    expect(rows.filter((r) => !vars.includes(r))).toEqual([]);
    expect(new Set(rows).size).toBe(rows.length);
  });

  it('when a variable is read by config.ts, then .env.example names it (set or commented out)', () => {
    const example = read('.env.example');
    const listed = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(vars.filter((v) => !listed.includes(v))).toEqual([]);
    expect(listed.filter((l) => !vars.includes(l))).toEqual([]);
    // And what it sets is valid as it stands.
    const set = Object.fromEntries(
      [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    expect(() => loadConfig(set)).not.toThrow();
  });

  it('when .env exists, then its values fill in what the environment leaves unset, and the environment wins', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-env-'));
    fs.writeFileSync(path.join(dir, '.env'), 'PORT=4100\nLOG_LEVEL=debug\n# a comment\nDEMO="false"\n');
    const env = withEnvFile({ PORT: '5000', HOME: '/home/x', EMPTY: undefined }, dir);
    expect(env).toMatchObject({ PORT: '5000', LOG_LEVEL: 'debug', DEMO: 'false', HOME: '/home/x' });
    const config = loadConfig(env, dir);
    expect([config.port, config.logLevel, config.demo]).toEqual([5000, 'debug', false]);
    expect(withEnvFile({ PORT: '1' }, path.join(dir, 'nowhere'))).toEqual({ PORT: '1' });
    fs.rmSync(dir, { recursive: true });
  });

  it('when docker-compose.yml is read, then the app and a worker share the settings, the app runs WORKER=off, and no secret has a default', () => {
    const text = read('docker-compose.yml');
    const compose = YAML.parse(text, { merge: true }) as {
      services: Record<string, { environment: Record<string, string>; command?: string[] }>;
    };
    const { app, worker } = compose.services;
    expect(app!.environment.WORKER).toBe('off');
    expect(worker!.command).toEqual(['npm', 'run', 'worker']);
    expect(worker!.environment.DATABASE_URL).toBe(app!.environment.DATABASE_URL);
    // ${VAR:?message}: compose refuses to start while it is unset; never ${VAR:-default}.
    expect(app!.environment.ADMIN_API_KEY).toMatch(/^\$\{ADMIN_API_KEY:\?/);
    expect(text).not.toMatch(/(ADMIN_API_KEY|POSTGRES_PASSWORD):-/);
    for (const file of ['docker-compose.yml', '.env.example', 'README.md', 'Dockerfile']) {
      expect(read(file)).not.toMatch(/change-me/i);
    }
  });

  it('when the image and npm start run the server, then with the same V8 memory flags', () => {
    const launcher = /^V8_MEMORY=(.*)$/m.exec(read('scripts/launch.sh'))?.[1];
    const cmd = /^CMD \[(.*)\]$/m.exec(read('Dockerfile'))?.[1];
    expect(launcher).toMatch(/^--max-semi-space-size=\d+$/);
    expect(JSON.parse(`[${cmd}]`)).toEqual(['node', ...launcher!.split(' '), 'dist/src/server.js']);
  });
});
