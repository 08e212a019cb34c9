import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootstrap } from '../bootstrap';
import { PROJECT_ROOT } from '../paths';
import { PREBUILT_INPUTS, prebuiltKey, prebuiltProblem } from './prebuilt';

describe('the pre-built demo database', () => {
  test('when the migrations, demo seeds or importers change, then the committed artefact is rebuilt (npm run build:demo-db)', () => {
    expect(prebuiltProblem()).toBeNull();
  });

  test('when a migration is added, then the key changes, so a stale artefact is never loaded', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-prebuilt-'));
    try {
      for (const dir of [
        ...PREBUILT_INPUTS,
        'node_modules/@electric-sql/pglite',
        'node_modules/@electric-sql/pglite-postgis',
      ])
        fs.cpSync(path.join(PROJECT_ROOT, dir), path.join(root, dir), {
          recursive: true,
          // The packages' code is not hashed, only their package.json.
          filter: (src) => !/node_modules[\\/]@electric-sql[\\/][^\\/]+[\\/]dist/.test(src),
        });
      const before = prebuiltKey(root);
      expect(before).toBe(prebuiltKey());
      fs.writeFileSync(path.join(root, 'migrations', '29991231000000_new.ts'), 'export {};\n');
      expect(prebuiltKey(root)).not.toBe(before);
      fs.rmSync(path.join(root, 'src'), { recursive: true });
      expect(prebuiltKey(root)).toBeNull();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('when a server starts on a new data dir with the demo on, then it starts from the artefact and dates the demo requests from now', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-first-'));
    const now = Date.now();
    try {
      const booted = await bootstrap({
        env: { DATA_DIR: dir, LOG_LEVEL: 'silent' },
        role: 'server',
        loadDemo: true,
      });
      try {
        // Nothing left to migrate: the artefact holds every migration.
        expect(booted.applied).toEqual([]);
        const { n, newest, oldest } = (
          await booted.db.knex.raw(
            'SELECT count(*)::int n, max(requested_at) newest, min(requested_at) oldest FROM service_requests',
          )
        ).rows[0];
        expect(n).toBeGreaterThan(100);
        expect(new Date(newest).getTime()).toBeLessThanOrEqual(Date.now());
        expect(new Date(oldest).getTime()).toBeGreaterThan(now - 61 * 86_400_000);
        expect(Number((await booted.db.knex('address_points').count({ n: '*' }))[0]?.n)).toBeGreaterThan(
          1000,
        );
      } finally {
        await booted.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
