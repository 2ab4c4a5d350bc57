import { Router } from 'express';

export interface Readiness {
  /** True while the process should receive traffic: the session store answers and no shutdown has begun. */
  isReady(): Promise<boolean>;
}

/** Liveness and readiness, mounted before sessions so probes touch no store and create no session. */
export function healthRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ready = await readiness.isReady().catch(() => false);
    res.set('Cache-Control', 'no-store').status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  return router;
}
