/** Prometheus over HTTP: every request timed, and the registry served at /metrics. */
import type { RequestHandler } from 'express';
import type { Metrics } from '../../observability/metrics.ts';

/** Times every request; the route label is the matched route pattern, never the raw URL (bounded cardinality). */
export function timeRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : res.statusCode === 404 ? 'not_found' : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

export function serveMetrics(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(await metrics.registry.metrics());
  };
}
