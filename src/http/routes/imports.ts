/**
 * /sessions/{id}/import: how the copy of a session's items into the
 * destination is going (JSON, polled by the session page), and Retry for the
 * items that failed.
 */
import { Router } from 'express';
import type { BackgroundWork } from '../../jobs/background-work.ts';
import { importsOff, type Imports } from '../../domain/imports.ts';
import { pickerSessionIdParam } from '../inputs.ts';
import { requireUser, userOf } from '../middleware/require-user.ts';
import { wantsJson } from '../negotiate.ts';

export interface ImportRouteDeps {
  imports?: Imports;
  background: BackgroundWork;
}

export function importRoutes(deps: ImportRouteDeps): Router {
  const router = Router();
  const signedIn = requireUser();

  router.get('/sessions/:id/import', signedIn, async (req, res) => {
    if (!deps.imports) throw importsOff();
    const record = await deps.imports.state(userOf(res).id, pickerSessionIdParam.parse(req.params.id));
    res.set('Cache-Control', 'no-store').json({
      status: record?.status ?? 'waiting',
      items: (record?.items ?? []).map((item) => ({
        id: item.id,
        filename: item.filename,
        status: item.status,
        bytes: item.bytes,
        totalBytes: item.totalBytes,
        key: item.key,
        sha256: item.sha256,
        error: item.error,
      })),
      manifestKey: record?.manifestKey ?? null,
    });
  });

  router.post('/sessions/:id/import', signedIn, async (req, res) => {
    if (!deps.imports) throw importsOff();
    const id = pickerSessionIdParam.parse(req.params.id);
    const retried = await deps.background.retry(userOf(res).id, id);
    res.set('Cache-Control', 'no-store');
    if (wantsJson(req)) res.status(202).location(`/sessions/${encodeURIComponent(id)}/import`).json({ retried });
    else res.redirect(303, `/sessions/${encodeURIComponent(id)}`);
  });

  return router;
}
