/**
 * Prometheus metrics (prom-client): request durations per route and status,
 * Google call durations and outcomes per method, Picker session lifecycle
 * counts, token refreshes, and the process's own metrics. One registry per
 * app, so tests and several apps in one process never collide.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Lifecycle counters start at zero so dashboards see the series before the first event.
    for (const event of ['created', 'completed', 'expired', 'deleted']) this.pickerSessions.inc({ event }, 0);
    for (const outcome of ['success', 'failure']) this.tokenRefreshes.inc({ outcome }, 0);
  }

  observeGoogleCall(method: string, outcome: string, seconds: number): void {
    this.googleDuration.observe({ method, outcome }, seconds);
  }
}
