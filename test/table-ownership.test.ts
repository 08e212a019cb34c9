/**
 * Each table has one writing module (docs/architecture.md). This reads the map from the docs and scans src/
 * for statements that write each table (knex insert/update/delete chains on `x('table')` and SQL INSERT/
 * UPDATE/DELETE text), so a new writer outside the owner fails here, and so does a map that drifted.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

function tablesOfMigrations(): string[] {
  const dir = path.join(ROOT, 'migrations');
  return fs
    .readdirSync(dir)
    .flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/createTable\('([a-z_]+)'/g)])
    .map((m) => m[1] as string);
}

function ownersOfDocs(): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const owners = new Map<string, string>();
  for (const m of text.matchAll(/^\|\s*([a-z_]+)\s*\|\s*([a-z-]+)\s*\|/gm))
    owners.set(m[1] as string, m[2] as string);
  return owners;
}

/** The module (first folder under src/) of every file that writes `table`. */
function writersOf(table: string, files: Array<{ module: string; text: string }>): Set<string> {
  const chain = new RegExp(`\\(\\s*'${table}(?: as \\w+)?'\\s*\\)([\\s\\S]{0,400}?)(?:;|\\n\\s*\\n)`, 'g');
  const sql = new RegExp(`(INSERT INTO|UPDATE|DELETE FROM)\\s+${table}\\b`);
  const writers = new Set<string>();
  for (const f of files) {
    const byChain = [...f.text.matchAll(chain)].some((m) =>
      /\.(insert|update|del|delete|increment|decrement|merge)\(/.test(m[1] as string),
    );
    if (byChain || sql.test(f.text)) writers.add(f.module);
  }
  return writers;
}

describe('table ownership', () => {
  const files = sourceFiles(path.join(ROOT, 'src')).map((f) => ({
    module: path.relative(path.join(ROOT, 'src'), f).split(path.sep)[0] as string,
    text: fs.readFileSync(f, 'utf8'),
  }));
  const owners = ownersOfDocs();

  it('when a migration creates a table, then docs/architecture.md names its owner', () => {
    expect(tablesOfMigrations().filter((t) => !owners.has(t))).toEqual([]);
  });

  it.each([...ownersOfDocs()])('when %s is written, then only %s writes it', (table, owner) => {
    expect([...writersOf(table, files)].filter((m) => m !== owner)).toEqual([]);
  });

  it('when a history row or an event is written, then record.ts and outbox.ts are the only files that do it', () => {
    const byFile = sourceFiles(path.join(ROOT, 'src')).map((f) => ({
      module: path.relative(ROOT, f),
      text: fs.readFileSync(f, 'utf8'),
    }));
    expect(writersOf('request_history', byFile)).toEqual(new Set(['src/requests/record.ts']));
    expect([...writersOf('outbox', byFile)].filter((f) => f !== 'src/notify/webhooks.ts')).toEqual([
      'src/notify/outbox.ts',
    ]);
  });

  it('when the scan looks for writers, then it finds the owners (the scan itself works)', () => {
    expect(writersOf('request_history', files)).toEqual(new Set(['requests']));
    expect(writersOf('service_requests', files)).toEqual(new Set(['requests']));
    expect(writersOf('api_keys', files)).toEqual(new Set(['auth']));
  });
});
