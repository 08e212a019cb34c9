import fs from 'node:fs';
import path from 'node:path';

/**
 * ARCHITECTURE.md: all process state lives in the context, on one cache library timed by the injected
 * clock. These checks read the source (not tests) line by line; an allow-list names each exception.
 */
const SRC = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

const files = sourceFiles(SRC).map((file) => ({
  name: path.relative(SRC, file).split(path.sep).join('/'),
  lines: fs.readFileSync(file, 'utf8').split('\n'),
}));

function offending(pattern: RegExp, allowed: string[]): string[] {
  return files
    .filter((f) => !allowed.includes(f.name))
    .flatMap((f) =>
      f.lines.flatMap((line, i) => (pattern.test(line) ? [`${f.name}:${i + 1}: ${line.trim()}`] : [])),
    );
}

describe('architecture', () => {
  it('when a module keeps a collection at top level, then it is a read-only constant table or a memo of fixed facts', () => {
    // `const X = new Map(` at the start of a line; `const X: ReadonlyMap<…> = new Map(` is a constant table.
    const topLevelCollection =
      /^(export )?(const|let|var) \w+(: (?!Readonly)[^=]+)? = new (Map|Set|WeakMap|WeakSet)\b/;
    const memos = ['core/time.ts', 'db/prepared.ts', 'sla/business-calendar.ts'];
    expect(offending(topLevelCollection, memos)).toEqual([]);
  });

  it('when code reads the time, then it asks the injected clock, not Date.now', () => {
    const startUpAndProgressTiming = ['server.ts', 'cli/geo-import.ts'];
    expect(offending(/\bDate\.now\(/, startUpAndProgressTiming)).toEqual([]);
  });

  it('when a cache is made, then it is made by src/cache.ts, in createContext', () => {
    expect(offending(/new LRUCache\b/, ['cache.ts'])).toEqual([]);
    expect(offending(/\bcreate(Loading)?Cache\(/, ['cache.ts', 'context.ts'])).toEqual([]);
  });
});
