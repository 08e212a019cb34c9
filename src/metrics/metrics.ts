/**
 * Prometheus metrics (issue #20.3), on a registry of the context's own (never prom-client's global one),
 * so tests build many apps and each counts alone. The series are documented in the README; their names
 * and labels are an interface for dashboards and alert rules: add, never rename.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the scrape asks of the rest of the process, at scrape time. */
export interface MetricSources {
  /** Connections of each database pool ("primary", "replica"): in use, idle, and callers waiting. */
  pools(): Array<{ pool: string; used: number; free: number; waiting: number }>;
  /** The read replica, when one is configured: its lag in seconds (null: unknown) and whether it is read. */
  replica?: () => { lagSeconds: number | null; inUse: boolean };
  /** Outbox backlog by stage: events not yet fanned out, deliveries not yet made, and the oldest's age. */
  backlog(): Promise<Array<{ stage: string; depth: number; oldestAgeSeconds: number }>>;
}

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  workerTickDuration: Histogram<'outcome'>;
  escalationsFired: Counter;
  deliveries: Counter<'channel' | 'outcome'>;
  /** The exposition text, after reading what is read from the database (the outbox backlog). */
  scrape(): Promise<string>;
  /** Process metrics (CPU, memory, event loop, GC): a server or worker process turns them on once. */
  collectProcessMetrics(): void;
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const httpRequests = new Counter({
    name: 'open311_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'open311_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (to the last byte), by route template, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  new Gauge({
    name: 'open311_db_pool_connections',
    help: 'Database pool connections by pool (primary, replica) and state (used, free, waiting: callers queued for one).',
    labelNames: ['pool', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of sources.pools()) {
        this.set({ pool: p.pool, state: 'used' }, p.used);
        this.set({ pool: p.pool, state: 'free' }, p.free);
        this.set({ pool: p.pool, state: 'waiting' }, p.waiting);
      }
    },
  });
  const replica = sources.replica;
  if (replica) {
    new Gauge({
      name: 'open311_db_replica_lag_seconds',
      help: 'How far the read replica is behind the primary, in seconds (-1 when unknown: down or not checked yet).',
      registers,
      collect() {
        this.set(replica().lagSeconds ?? -1);
      },
    });
    new Gauge({
      name: 'open311_db_replica_in_use',
      help: '1 while public reads go to the read replica, 0 while they fall back to the primary (lagging or down).',
      registers,
      collect() {
        this.set(replica().inUse ? 1 : 0);
      },
    });
  }
  const workerTickDuration = new Histogram({
    name: 'open311_worker_tick_duration_seconds',
    help: 'Time of one worker tick (batch tokens, escalation sweep, outbox fan-out, deliveries), by outcome (ok, error).',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const escalationsFired = new Counter({
    name: 'open311_escalations_fired_total',
    help: 'Escalations fired by this process (each claimed once across all workers).',
    registers,
  });
  const deliveries = new Counter({
    name: 'open311_deliveries_total',
    help: 'Deliveries attempted by this process, by channel (webhook) and outcome (delivered, failed: retried later or dead-lettered).',
    labelNames: ['channel', 'outcome'] as const,
    registers,
  });
  // Series present from the start (at 0), so rate() and alert rules see them before the first delivery.
  for (const outcome of ['delivered', 'failed']) deliveries.inc({ channel: 'webhook', outcome }, 0);
  const backlogDepth = new Gauge({
    name: 'open311_outbox_depth',
    help: 'Outbox backlog by stage: "dispatch" (events not yet fanned out to subscriptions), "delivery" (webhook deliveries pending).',
    labelNames: ['stage'] as const,
    registers,
  });
  const backlogAge = new Gauge({
    name: 'open311_outbox_oldest_age_seconds',
    help: 'Age of the oldest event still waiting, by stage (0 when none waits).',
    labelNames: ['stage'] as const,
    registers,
  });
  let processMetrics = false;
  return {
    registry,
    httpRequests,
    httpDuration,
    workerTickDuration,
    escalationsFired,
    deliveries,
    async scrape() {
      // One query sets both backlog gauges; a database that does not answer leaves them as they were
      // (the scrape still answers: the pool and process series say why).
      const rows = await sources.backlog().catch(() => []);
      for (const r of rows) {
        backlogDepth.set({ stage: r.stage }, r.depth);
        backlogAge.set({ stage: r.stage }, r.oldestAgeSeconds);
      }
      return registry.metrics();
    },
    collectProcessMetrics() {
      if (processMetrics) return;
      processMetrics = true;
      collectDefaultMetrics({ register: registry, prefix: 'open311_' });
    },
  };
}
