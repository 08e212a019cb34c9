/**
 * The cached test template is named by a hash of every file under src/, migrations/ and seeds/: a change
 * anywhere there (it used to miss src/catalog/repository.ts) must build a new template.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashTree, TEMPLATE_INPUTS, templateName } from './helpers/template';

const ROOT = path.resolve(__dirname, '..');
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-hash-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
  fs.writeFileSync(path.join(tmp, rel), text);
}

test('when any file under src/, at any depth, changes, then the hash changes', () => {
  write('src/a.ts', 'a');
  write('src/deep/er/b.ts', 'b');
  write('migrations/001.ts', 'm');
  write('seeds/demo/x.json', '{}');
  const before = hashTree(tmp, TEMPLATE_INPUTS);
  expect(hashTree(tmp, TEMPLATE_INPUTS)).toBe(before);

  write('src/deep/er/b.ts', 'b2');
  const edited = hashTree(tmp, TEMPLATE_INPUTS);
  expect(edited).not.toBe(before);

  write('src/new.ts', '');
  const added = hashTree(tmp, TEMPLATE_INPUTS);
  expect(added).not.toBe(edited);

  fs.renameSync(path.join(tmp, 'src/new.ts'), path.join(tmp, 'src/renamed.ts'));
  expect(hashTree(tmp, TEMPLATE_INPUTS)).not.toBe(added);
});

test('when a seed or a migration changes, then the hash changes; files elsewhere do not count', () => {
  write('src/a.ts', 'a');
  write('migrations/001.ts', 'm');
  write('seeds/demo/x.json', '{}');
  const before = hashTree(tmp, TEMPLATE_INPUTS);
  write('README.md', 'docs');
  write('test/x.test.ts', 'test');
  expect(hashTree(tmp, TEMPLATE_INPUTS)).toBe(before);
  write('seeds/demo/x.json', '{"a":1}');
  const seeded = hashTree(tmp, TEMPLATE_INPUTS);
  expect(seeded).not.toBe(before);
  write('migrations/001.ts', 'm2');
  expect(hashTree(tmp, TEMPLATE_INPUTS)).not.toBe(seeded);
});

test('when src/catalog/repository.ts changes in a copy of this repository, then the template name changes', () => {
  for (const d of TEMPLATE_INPUTS) fs.cpSync(path.join(ROOT, d), path.join(tmp, d), { recursive: true });
  // Paths are relative, so the copy hashes like the checkout the tests run from.
  expect(`open311_tpl_${hashTree(tmp, TEMPLATE_INPUTS)}`).toBe(templateName());
  fs.appendFileSync(path.join(tmp, 'src/catalog/repository.ts'), '\n// changed\n');
  expect(`open311_tpl_${hashTree(tmp, TEMPLATE_INPUTS)}`).not.toBe(templateName());
});
