/**
 * Prometheus metrics (prom-client): request durations per route and status,
 * Google call durations and outcomes per method, Picker session lifecycle
 * counts, token refreshes, imports, webhook tries, and the process's own
 * metrics. One registry per app, so tests and several apps in one process
 * never collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueue } from '../domain/ports.ts';

export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests handled by the gateway',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly googleDuration = new Histogram({
    name: 'google_call_duration_seconds',
    help: 'Duration of calls to Google APIs by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly googleRetries = new Counter({
    name: 'google_call_retries_total',
    help: 'Retries of idempotent Google calls',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });

  readonly pickerSessions = new Counter({
    name: 'picker_sessions_total',
    help: 'Picker session lifecycle events',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly tokenRefreshes = new Counter({
    name: 'google_token_refreshes_total',
    help: 'Google access token refreshes by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly storeStalls = new Counter({
    name: 'store_connection_stalls_total',
    help: 'Store (Redis) connections dropped because the store stopped answering',
    registers: [this.registry],
  });

  readonly importedItems = new Counter({
    name: 'import_items_total',
    help: 'Imported items by outcome: done, or failed for good',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly importedBytes = new Counter({
    name: 'import_bytes_total',
    help: 'Bytes of imported items written to the destination',
    registers: [this.registry],
  });

  readonly importItemDuration = new Histogram({
    name: 'import_item_duration_seconds',
    help: 'How long one item copy took, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });

  readonly destinationWritable = new Gauge({
    name: 'import_destination_writable',
    help: '1 while the import destination takes writes, 0 when its last check failed',
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook tries by outcome: delivered, retrying (another try comes), gone (410, no more tries), failed (the last try failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Lifecycle counters start at zero so dashboards see the series before the first event.
    for (const event of ['created', 'completed', 'expired', 'deleted']) this.pickerSessions.inc({ event }, 0);
    for (const outcome of ['success', 'failure']) this.tokenRefreshes.inc({ outcome }, 0);
    for (const outcome of ['done', 'failed']) this.importedItems.inc({ outcome }, 0);
    for (const outcome of ['delivered', 'retrying', 'gone', 'failed']) this.webhookDeliveries.inc({ outcome }, 0);
  }

  /** Reports the queue's jobs by state at each scrape (the counts of the job names this process knows). */
  watchQueue(jobs: JobQueue): void {
    new Gauge({
      name: 'job_queue_jobs',
      help: 'Background jobs by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await jobs.counts().catch(() => undefined);
        if (!counts) return; // the queue's store is away: no figure rather than a false zero
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
  }

  observeGoogleCall(method: string, outcome: string, seconds: number): void {
    this.googleDuration.observe({ method, outcome }, seconds);
  }
}
