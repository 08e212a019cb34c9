import fs from 'node:fs';
import path from 'node:path';
import type { MediaStorage } from './types';

const KEY = /^[a-z0-9]{2}\/[a-z0-9]+(?:\.thumb)?\.[a-z0-9]{2,5}$/;

/** Files under `dir`, written to a temporary name and renamed, so a reader never sees half a file. */
export function localStorage(dir: string): MediaStorage {
  const file = (key: string) => {
    if (!KEY.test(key)) throw new Error(`Not a media storage key: ${key}`);
    return path.join(dir, key);
  };
  return {
    kind: 'local',
    async put(key, source) {
      const target = file(key);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      const part = `${target}.part`;
      await fs.promises.copyFile(source, part);
      await fs.promises.rename(part, target);
    },
    async get(key) {
      const target = file(key);
      try {
        const handle = await fs.promises.open(target, 'r');
        return handle.createReadStream();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async delete(key) {
      await fs.promises.rm(file(key), { force: true });
    },
  };
}
