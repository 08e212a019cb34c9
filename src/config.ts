/**
 * Environment → typed, frozen configuration. Only the entry points (server.ts, worker-main.ts, cli/index.ts)
 * read `process.env`, and pass it here through `bootstrap`; every variable is documented in README.md and
 * `.env.example`.
 * Names and defaults are a public interface (issue #3): add, never rename.
 */
import net from 'node:net';
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type WorkerMode = 'inline' | 'off';
/** Which proxies' X-Forwarded-For/-Proto to believe: none, the nearest N hops, or these addresses/subnets. */
export type TrustProxy = false | number | string[];

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  adminApiKey: string | null;
  logLevel: LogLevel;
  publicUrl: string | null;
  demo: boolean;
  migrateOnStart: boolean;
  worker: WorkerMode;
  /** Largest accepted request body (bytes), for 413. */
  bodyLimitBytes: number;
  /** POSTs per minute allowed for one API key, for 429. */
  postRateLimitPerMinute: number;
  staffRateLimitPerMinute: number;
  /** PostgreSQL pool size (embedded mode is always one connection). */
  databasePoolMax: number;
  /** Reverse geocoding: nearest address point within this distance (metres). */
  geoReverseMaxMetres: number;
  /** A submitted point and address further apart than this get a conflict note for staff (metres). */
  geoConflictMetres: number;
  /** Points this close outside the boundary are still accepted (metres). */
  geoBoundaryToleranceMetres: number;
  /** Largest geography file the admin API imports, once decompressed (bytes, 413 above it). */
  geoImportMaxBytes: number;
  /** Webhook deliveries are dead-lettered after this many failed attempts. */
  webhookMaxAttempts: number;
  /** Webhooks and the admin catalog import may reach private and loopback addresses (default: no). */
  outboundAllowPrivate: boolean;
  /** How often the background worker ticks (ms). */
  workerIntervalMs: number;
  /** A satisfaction survey link expires this many days after the request closed. */
  surveyTtlDays: number;
  /** Optional base-map tiles for the dashboard, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png */
  dashboardTileUrl: string | null;
  /** The jurisdiction of GeoReport calls without jurisdiction_id when the server hosts several. */
  defaultJurisdiction: string | null;
  /** TRUST_PROXY: off unless set, so a client cannot pick its own address (rate limits) or scheme. */
  trustProxy: TrustProxy;
  /** A streaming replica of DATABASE_URL for public reads (issue #20.2); null: read from the primary. */
  databaseReadUrl: string | null;
  /** Reads fall back to the primary while the replica is further behind than this (seconds). */
  readMaxLagSeconds: number;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** A separate worker process serves GET /metrics on this port; null: none. */
  metricsPort: number | null;
  /**
   * After SIGTERM, this long /readyz answers 503 while requests are still served (with `Connection:
   * close`), so a load balancer notices before the server stops accepting connections.
   */
  shutdownDrainSeconds: number;
  /** Uploaded photos and files (issue #18): local storage folder, also for uploads in progress. */
  mediaDir: string;
  /** Largest accepted file (bytes, 413 above it) and most files on one request or update. */
  mediaMaxBytes: number;
  mediaMaxFiles: number;
  /** Images declaring more pixels than this are refused (decompression bombs). */
  mediaMaxPixels: number;
  /** PDFs with more pages than this are refused (each page is copied into a new document). */
  mediaMaxPdfPages: number;
  /** S3-compatible storage instead of MEDIA_DIR when a bucket is named. */
  mediaS3: MediaS3Config | null;
}

export interface MediaS3Config {
  bucket: string;
  endpoint: string | null;
  region: string;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; without them the SDK's own chain (roles) is used. */
  accessKeyId: string | null;
  secretAccessKey: string | null;
  /** Answer GET /media with a redirect to a short-lived presigned URL instead of streaming the file. */
  redirect: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads one variable; an empty string counts as unset, like an empty Open311 parameter. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(text: string): boolean {
  if (PROXY_PRESETS.includes(text)) return true;
  const [address = '', prefix, ...rest] = text.split('/');
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export function loadConfig(env: Env, cwd: string = process.cwd()): Readonly<Config> {
  const problems: string[] = [];

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(env, name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(env, name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(env, name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  };
  const url = (name: string, protocols: string[]): string | null => {
    const raw = read(env, name);
    if (raw === undefined) return null;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      return null;
    }
  };

  const trustProxy = (): TrustProxy => {
    const raw = read(env, 'TRUST_PROXY');
    if (raw === undefined || ['false', 'off', 'no', '0'].includes(raw.toLowerCase())) return false;
    if (/^\d+$/.test(raw)) {
      const hops = Number(raw);
      if (hops <= 20) return hops;
    }
    const list = raw.split(',').map((a) => a.trim());
    const bad = list.filter((a) => !isProxyAddress(a));
    if (bad.length === 0) return list;
    problems.push(
      `TRUST_PROXY must be off, a hop count from 1 to 20, or a comma-separated list of addresses, subnets (10.0.0.0/8) or loopback, linklocal, uniquelocal (got "${raw}")`,
    );
    return false;
  };

  const adminApiKey = read(env, 'ADMIN_API_KEY') ?? null;
  if (adminApiKey !== null && adminApiKey.length < 16) {
    problems.push('ADMIN_API_KEY must be at least 16 characters long');
  }
  const publicUrl = url('PUBLIC_URL', ['http:', 'https:']);
  const defaultJurisdiction = read(env, 'DEFAULT_JURISDICTION') ?? null;
  if (defaultJurisdiction !== null && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(defaultJurisdiction))
    problems.push(`DEFAULT_JURISDICTION must be a jurisdiction id (got "${defaultJurisdiction}")`);

  const metricsToken = read(env, 'METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < 16)
    problems.push('METRICS_TOKEN must be at least 16 characters long');
  const databaseReadUrl = url('DATABASE_READ_URL', ['postgres:', 'postgresql:']);
  if (databaseReadUrl !== null && read(env, 'DATABASE_URL') === undefined)
    problems.push('DATABASE_READ_URL needs DATABASE_URL: a replica is of a PostgreSQL primary');
  const dataDir = path.resolve(cwd, read(env, 'DATA_DIR') ?? './data');
  const mediaBucket = read(env, 'MEDIA_S3_BUCKET') ?? null;
  const accessKeyId = read(env, 'AWS_ACCESS_KEY_ID') ?? null;
  const secretAccessKey = read(env, 'AWS_SECRET_ACCESS_KEY') ?? null;
  if ((accessKeyId === null) !== (secretAccessKey === null))
    problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
  const mediaS3: MediaS3Config | null = mediaBucket
    ? {
        bucket: mediaBucket,
        endpoint: url('MEDIA_S3_ENDPOINT', ['http:', 'https:']),
        region: read(env, 'MEDIA_S3_REGION') ?? 'us-east-1',
        accessKeyId,
        secretAccessKey,
        redirect: bool('MEDIA_S3_REDIRECT', false),
      }
    : null;

  const config: Config = {
    port: int('PORT', 3000, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir,
    adminApiKey,
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    publicUrl: publicUrl?.replace(/\/+$/, '') ?? null,
    demo: bool('DEMO', true),
    migrateOnStart: bool('MIGRATE_ON_START', true),
    worker: oneOf<WorkerMode>('WORKER', ['inline', 'off'], 'inline'),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1_048_576, 1024, 50 * 1_048_576),
    postRateLimitPerMinute: int('POST_RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
    staffRateLimitPerMinute: int('STAFF_RATE_LIMIT_PER_MINUTE', 1200, 1, 1_000_000),
    databasePoolMax: int('DATABASE_POOL_MAX', 10, 1, 200),
    geoReverseMaxMetres: int('GEO_REVERSE_MAX_METRES', 75, 0, 10_000),
    geoConflictMetres: int('GEO_CONFLICT_METRES', 250, 1, 100_000),
    geoBoundaryToleranceMetres: int('GEO_BOUNDARY_TOLERANCE_METRES', 50, 0, 10_000),
    geoImportMaxBytes: int('GEO_IMPORT_MAX_MB', 512, 1, 16_384) * 1_048_576,
    webhookMaxAttempts: int('WEBHOOK_MAX_ATTEMPTS', 8, 1, 100),
    outboundAllowPrivate: bool('OUTBOUND_ALLOW_PRIVATE', false),
    workerIntervalMs: int('WORKER_INTERVAL_MS', 5000, 100, 3_600_000),
    surveyTtlDays: int('SURVEY_TTL_DAYS', 30, 1, 365),
    dashboardTileUrl: url('DASHBOARD_TILE_URL', ['http:', 'https:']),
    defaultJurisdiction,
    trustProxy: trustProxy(),
    databaseReadUrl,
    readMaxLagSeconds: int('READ_MAX_LAG_SECONDS', 5, 0, 86_400),
    metricsToken,
    metricsPort: read(env, 'METRICS_PORT') === undefined ? null : int('METRICS_PORT', 0, 1, 65535),
    shutdownDrainSeconds: int('SHUTDOWN_DRAIN_SECONDS', 0, 0, 300),
    mediaDir: path.resolve(cwd, read(env, 'MEDIA_DIR') ?? path.join(dataDir, 'media')),
    mediaMaxBytes: int('MEDIA_MAX_BYTES', 10 * 1_048_576, 1024, 200 * 1_048_576),
    mediaMaxFiles: int('MEDIA_MAX_FILES', 5, 0, 20),
    mediaMaxPixels: int('MEDIA_MAX_PIXELS', 50_000_000, 10_000, 300_000_000),
    mediaMaxPdfPages: int('MEDIA_MAX_PDF_PAGES', 50, 1, 1000),
    mediaS3,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
