import fs from 'node:fs';
import path from 'node:path';

/**
 * The project root (the folder with package.json), found from this file whether it runs from source
 * (src/) or from the build (dist/src/): static files (spec, seeds, dashboard page) live there.
 */
function findRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 6; i += 1) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export const PROJECT_ROOT = findRoot(__dirname);
export const fromRoot = (...parts: string[]): string => path.join(PROJECT_ROOT, ...parts);
