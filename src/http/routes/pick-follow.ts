/**
 * The app's page follows its pick here while the popup is Google's picker (embed.js v2): GET
 * /picks/{id}/progress says how the pick goes, and POST /picks/{id}/settle, sent when the popup has closed,
 * has the gateway ask Google once whether anything was picked (nothing: the pick ends cancelled).
 *
 * These come from the app's origin, not the gateway's, so the pick's cookie is not theirs to show (and is
 * never sent: the requests carry no credentials). What they carry instead is the pick's ticket, in a header:
 * the secret that the popup's page, once it had passed the pick's browser binding, posted to the app's window
 * and to nothing else. CORS lets the pick's own return_to origin read the answers, and no other; a request
 * without the ticket, with a wrong one or from another origin gets the same bare 404, whether or not the pick
 * exists. Mounted before the session and CSRF middleware: no cookie is read or set here, and the ticket,
 * which a cross-site form cannot send, is what a CSRF token would prove.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { HostApp } from '../../domain/host-apps.ts';
import type { Imports } from '../../domain/imports.ts';
import { pickProgress } from '../../domain/pick-reports.ts';
import type { Pick, Picks } from '../../domain/picks.ts';
import { notFound } from '../../errors.ts';
import { apiVersionHeader } from '../openapi.ts';

export const TICKET_HEADER = 'Pick-Ticket';

export interface PickFollowDeps {
  apps: readonly HostApp[];
  picks: Picks;
  imports?: Imports;
  limiter: RequestHandler;
}

export function pickFollowRoutes(deps: PickFollowDeps): Router {
  const { picks } = deps;
  const router = Router();
  const returnOrigins = new Set(deps.apps.flatMap((app) => app.returnOrigins.map((origin) => new URL(origin).origin)));
  const paths = ['/picks/:id/progress', '/picks/:id/settle'];

  // The preflight knows no ticket yet, so it reads no pick: any app's return origin may ask; the answer itself
  // is allowed to the pick's own origin only.
  router.options(paths, (req, res) => {
    const origin = req.get('origin');
    res.set({ Vary: 'Origin', 'Cache-Control': 'no-store' });
    if (origin && returnOrigins.has(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': TICKET_HEADER,
        'Access-Control-Max-Age': '600',
      });
    }
    res.status(204).end();
  });

  router.use(paths, apiVersionHeader, deps.limiter);

  /** The pick, for its ticket from its own origin; the request's answer may then be read there. */
  const ticketed = async (req: Request, res: Response): Promise<Pick> => {
    // Problem details whatever the client's Accept header says: this is for a script, never a page.
    req.headers.accept = 'application/json';
    res.set({ Vary: 'Origin', 'Cache-Control': 'no-store' });
    const pick = await picks.ofTicket(String(req.params.id), req.get(TICKET_HEADER));
    const origin = new URL(pick.returnTo).origin;
    if (req.get('origin') !== origin) throw notFound('Not found.'); // as a wrong ticket is answered
    res.set('Access-Control-Allow-Origin', origin);
    return pick;
  };

  router.get('/picks/:id/progress', async (req, res) => {
    const pick = await ticketed(req, res);
    res.json(await pickProgress(pick, deps.imports));
  });

  router.post('/picks/:id/settle', async (req, res) => {
    const pick = await picks.settle(await ticketed(req, res));
    res.json(await pickProgress(pick, deps.imports));
  });

  return router;
}
