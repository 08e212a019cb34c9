import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootstrap, poolMaxFor, StartupError } from './bootstrap';
import { ConfigError } from './config';
import { DatabaseBusyError } from './db/connect';

describe('bootstrap', () => {
  test('when the configuration is bad, then it fails with a ConfigError before touching a database', async () => {
    await expect(bootstrap({ env: { PORT: 'x', DEMO: 'y' }, role: 'server' })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  test('when PostgreSQL does not answer, then a StartupError names it without credentials', async () => {
    const failure = bootstrap({
      env: { DATABASE_URL: 'postgres://user:secret@127.0.0.1:1/open311', LOG_LEVEL: 'silent' },
      role: 'cli',
    });
    await expect(failure).rejects.toBeInstanceOf(StartupError);
    await expect(failure).rejects.toThrow(
      /^cannot reach the database at postgres:\/\/127\.0\.0\.1:1\/open311: /,
    );
    await expect(failure).rejects.not.toThrow(/secret/);
  });

  test('when another live process holds the embedded data dir, then a DatabaseBusyError says so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-boot-'));
    try {
      fs.writeFileSync(path.join(dir, 'server.lock'), String(process.ppid));
      const failure = bootstrap({ env: { DATA_DIR: dir, LOG_LEVEL: 'silent' }, role: 'cli' });
      await expect(failure).rejects.toBeInstanceOf(DatabaseBusyError);
      await expect(failure).rejects.toThrow(`is in use by another process (pid ${process.ppid})`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('poolMaxFor', () => {
  test('when the API runs, then it takes DATABASE_POOL_MAX; a worker at most 4 and a command at most 2', () => {
    expect(poolMaxFor('server', { databasePoolMax: 20 })).toBe(20);
    expect(poolMaxFor('worker', { databasePoolMax: 20 })).toBe(4);
    expect(poolMaxFor('cli', { databasePoolMax: 20 })).toBe(2);
    expect(poolMaxFor('worker', { databasePoolMax: 1 })).toBe(1);
  });
});
