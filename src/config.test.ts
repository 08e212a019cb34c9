import path from 'node:path';
import { ConfigError, loadConfig } from './config';

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/open311');
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe('loadConfig', () => {
  test('when nothing is set, then the documented defaults apply: embedded database in ./data, demo on, worker inline', () => {
    expect(loadConfig({}, '/srv/open311')).toEqual({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: null,
      dataDir: path.resolve('/srv/open311', 'data'),
      adminApiKey: null,
      logLevel: 'info',
      publicUrl: null,
      demo: true,
      migrateOnStart: true,
      worker: 'inline',
      bodyLimitBytes: 1_048_576,
      postRateLimitPerMinute: 120,
      staffRateLimitPerMinute: 1200,
      databasePoolMax: 10,
      geoReverseMaxMetres: 75,
      geoConflictMetres: 250,
      geoBoundaryToleranceMetres: 50,
      geoImportMaxBytes: 512 * 1_048_576,
      webhookMaxAttempts: 8,
      outboundAllowPrivate: false,
      workerIntervalMs: 5000,
      surveyTtlDays: 30,
      dashboardTileUrl: null,
      trustProxy: false,
      mediaDir: '/srv/open311/data/media',
      mediaMaxBytes: 10_485_760,
      mediaMaxFiles: 5,
      mediaMaxPixels: 50_000_000,
      mediaMaxPdfPages: 50,
      mediaS3: null,
      defaultJurisdiction: null,
      databaseReadUrl: null,
      readMaxLagSeconds: 5,
      metricsToken: null,
      metricsPort: null,
      shutdownDrainSeconds: 0,
    });
  });

  test('when SHUTDOWN_DRAIN_SECONDS is set, then it is read; outside 0–300 it is named', () => {
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '15' }).shutdownDrainSeconds).toBe(15);
    expect(problems({ SHUTDOWN_DRAIN_SECONDS: '301' })).toEqual([
      'SHUTDOWN_DRAIN_SECONDS must be a whole number from 0 to 300 (got "301")',
    ]);
    expect(problems({ SHUTDOWN_DRAIN_SECONDS: '2.5' })).toEqual([
      expect.stringMatching(/^SHUTDOWN_DRAIN_SECONDS must be a whole number/),
    ]);
  });

  test('when TRUST_PROXY is a hop count or a list of addresses, then express gets exactly that; anything else is named', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1',
    ]);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example', '21', '1.2.3.4/8/2'])
      expect(problems({ TRUST_PROXY: bad })).toEqual([expect.stringMatching(/^TRUST_PROXY must be/)]);
  });

  test('when the result is returned, then it is frozen', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  test('when variables are set, then they are parsed, trimmed and normalised', () => {
    const c = loadConfig(
      {
        PORT: ' 8080 ',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgresql://u:p@db:5432/open311',
        DATA_DIR: '/var/lib/open311',
        ADMIN_API_KEY: 'a-long-enough-admin-key',
        LOG_LEVEL: 'WARN',
        PUBLIC_URL: 'https://311.example.org//',
        DEMO: 'off',
        MIGRATE_ON_START: 'No',
        WORKER: 'off',
        DATABASE_POOL_MAX: '25',
      },
      '/srv/open311',
    );
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgresql://u:p@db:5432/open311',
      dataDir: '/var/lib/open311',
      adminApiKey: 'a-long-enough-admin-key',
      logLevel: 'warn',
      publicUrl: 'https://311.example.org',
      demo: false,
      migrateOnStart: false,
      worker: 'off',
      databasePoolMax: 25,
    });
  });

  test('when a variable is empty or blank, then it counts as unset', () => {
    expect(loadConfig({ PORT: '', DEMO: '  ', DATABASE_URL: '' }, '/srv/open311')).toMatchObject({
      port: 3000,
      demo: true,
      databaseUrl: null,
    });
  });

  test('when several variables are bad, then every one is named at once', () => {
    const found = problems({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://db/open311',
      ADMIN_API_KEY: 'short',
      LOG_LEVEL: 'loud',
      PUBLIC_URL: 'ftp://x',
      DEMO: 'maybe',
      WORKER: 'elsewhere',
      BODY_LIMIT_BYTES: '10',
      DATABASE_POOL_MAX: '0',
      WORKER_INTERVAL_MS: '1.5',
      DASHBOARD_TILE_URL: 'not a url',
    });
    const named = [
      'PORT',
      'DATABASE_URL',
      'ADMIN_API_KEY',
      'LOG_LEVEL',
      'PUBLIC_URL',
      'DEMO',
      'WORKER',
      'BODY_LIMIT_BYTES',
      'DATABASE_POOL_MAX',
      'WORKER_INTERVAL_MS',
      'DASHBOARD_TILE_URL',
    ];
    expect(found).toHaveLength(named.length);
    for (const name of named) expect(found.some((p) => p.startsWith(`${name} `))).toBe(true);
  });

  test('when a variable is bad, then the message says what is allowed and what was given', () => {
    expect(problems({ PORT: '70000' })).toEqual([
      'PORT must be a whole number from 0 to 65535 (got "70000")',
    ]);
    expect(problems({ MIGRATE_ON_START: 'sometimes' })).toEqual([
      'MIGRATE_ON_START must be true or false (got "sometimes")',
    ]);
    expect(problems({ ADMIN_API_KEY: 'x' })).toEqual(['ADMIN_API_KEY must be at least 16 characters long']);
  });

  test('when configuration is invalid, then the error message is one line listing every problem', () => {
    try {
      loadConfig({ PORT: 'x', DEMO: 'y' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).toBe(
        'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "x"); DEMO must be true or false (got "y")',
      );
      expect((err as Error).message).not.toContain('\n');
    }
  });

  test('when the scaling variables are set, then they are read and checked (issue #20)', () => {
    const defaults = loadConfig({});
    expect([defaults.databaseReadUrl, defaults.readMaxLagSeconds, defaults.metricsToken]).toEqual([
      null,
      5,
      null,
    ]);
    expect(defaults.metricsPort).toBeNull();
    const c = loadConfig({
      DATABASE_URL: 'postgres://a@primary/db',
      DATABASE_READ_URL: 'postgres://a@replica/db',
      READ_MAX_LAG_SECONDS: '0',
      METRICS_TOKEN: 'a-metrics-token-of-32-characters',
      METRICS_PORT: '9464',
    });
    expect(c).toMatchObject({
      databaseReadUrl: 'postgres://a@replica/db',
      readMaxLagSeconds: 0,
      metricsToken: 'a-metrics-token-of-32-characters',
      metricsPort: 9464,
    });
    expect(problems({ DATABASE_READ_URL: 'postgres://a@replica/db' })).toEqual([
      'DATABASE_READ_URL needs DATABASE_URL: a replica is of a PostgreSQL primary',
    ]);
    expect(problems({ DATABASE_URL: 'postgres://a@p/db', DATABASE_READ_URL: 'http://replica' })).toEqual([
      'DATABASE_READ_URL must be a postgres: or postgresql: URL',
    ]);
    expect(problems({ METRICS_TOKEN: 'short' })).toEqual([
      'METRICS_TOKEN must be at least 16 characters long',
    ]);
    expect(problems({ READ_MAX_LAG_SECONDS: '-1', METRICS_PORT: '0' })).toEqual([
      'READ_MAX_LAG_SECONDS must be a whole number from 0 to 86400 (got "-1")',
      'METRICS_PORT must be a whole number from 1 to 65535 (got "0")',
    ]);
  });
});
