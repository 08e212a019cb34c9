/**
 * `npm run lint` proves the import rules (.dependency-cruiser.cjs + scripts/depcruise-report.cjs). This shows
 * the check fails where it must: a tree with a cycle between two folders (but none between files) and an
 * import that skips a folder's index.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-deps-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true } }));
    const r = spawnSync(
      path.join(ROOT, 'node_modules/.bin/depcruise'),
      [
        'src',
        '--config',
        path.join(ROOT, '.dependency-cruiser.cjs'),
        '--output-type',
        `plugin:${path.join(ROOT, 'scripts/depcruise-report.cjs')}`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('import rules (npm run lint)', () => {
  it('when two folders depend on each other through different files, then the check fails naming both', () => {
    const r = cruise({
      'src/a/index.ts': "export { x } from './x';\nexport { z } from './z';\n",
      'src/a/x.ts': "import { y } from '../b';\nexport const x = () => y;\n",
      'src/a/z.ts': 'export const z = 1;\n',
      'src/b/index.ts': "export { y } from './y';\n",
      'src/b/y.ts': "import { z } from '../a';\nexport const y = z;\n",
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('folder-cycle: src/a/, src/b/');
  });

  it("when a file imports another folder's file instead of its index.ts, then the check fails", () => {
    const r = cruise({
      'src/a/index.ts': "export { x } from './x';\n",
      'src/a/x.ts': "import { y } from '../b/y';\nexport const x = y;\n",
      'src/b/index.ts': "export { y } from './y';\n",
      'src/b/y.ts': 'export const y = 1;\n',
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('through-index: src/a/x.ts -> src/b/y.ts');
  });

  it('when folders depend one way through their index.ts, then the check passes', () => {
    const r = cruise({
      'src/a/index.ts': "export { x } from './x';\n",
      'src/a/x.ts': "import { y } from '../b';\nexport const x = y;\n",
      'src/b/index.ts': "export { y } from './y';\n",
      'src/b/y.ts': 'export const y = 1;\n',
    });
    expect(r.output).toContain('no cycle between files or folders');
    expect(r.status).toBe(0);
  });
});
