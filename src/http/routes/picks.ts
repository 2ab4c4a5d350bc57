/**
 * A host app's user arrives here: GET /pick with the app's signed request,
 * then a page that names the app and what it asks for (Continue / Cancel),
 * then the picker and the import's progress page, then back to the app.
 */
import { Router } from 'express';
import { InvalidPickRequest, type PickRequests } from '../../domain/pick-requests.ts';
import type { Picks } from '../../domain/picks.ts';
import { requireUser, userOf } from '../middleware/require-user.ts';
import { wantsJson } from '../negotiate.ts';
import type { Views } from '../views.ts';
import type { Translate } from '../../i18n/core.ts';

export interface PickRouteDeps {
  pickRequests: PickRequests;
  picks: Picks;
  views: Views;
}

const pickPath = (id: string) => `/picks/${encodeURIComponent(id)}`;

export function pickRoutes(deps: PickRouteDeps): Router {
  const { picks, views } = deps;
  const router = Router();
  const signedIn = requireUser();

  router.get('/pick', async (req, res) => {
    let request;
    try {
      request = await deps.pickRequests.verify(req.query.app, req.query.request);
    } catch (error) {
      // The reason goes to the log; the token never does (the request logger leaves the query string out).
      if (error instanceof InvalidPickRequest) req.log.warn({ event: 'pick_request_refused', app: typeof req.query.app === 'string' ? req.query.app.slice(0, 40) : null, reason: error.reason }, 'pick request refused');
      throw error;
    }
    const id = await picks.create(request);
    req.log.info({ event: 'pick_requested', app: request.app.id, pick: id }, 'pick requested');
    res.set('Cache-Control', 'no-store').redirect(303, pickPath(id));
  });

  router.get('/picks/:id', signedIn, async (req, res) => {
    const pick = await picks.forUser(String(req.params.id), userOf(res).id);
    const app = deps.pickRequests.app(pick.app);
    const t = res.locals.t as Translate;
    res.set('Cache-Control', 'no-store');
    if (pick.status !== 'pending' && pick.pickerSessionId) {
      res.redirect(303, `/sessions/${encodeURIComponent(pick.pickerSessionId)}`);
      return;
    }
    views.render(req, res, 'pick', { title: t('pick.title', { app: app?.name ?? pick.app }), pick, appName: app?.name ?? pick.app });
  });

  router.post('/picks/:id/continue', signedIn, async (req, res) => {
    const session = await picks.begin(String(req.params.id), userOf(res).id);
    res.set('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      res.status(201).location(`/sessions/${encodeURIComponent(session.id)}`).json({ id: session.id, pickerUri: session.pickerUri });
      return;
    }
    res.redirect(303, session.pickerUri);
  });

  router.post('/picks/:id/cancel', signedIn, async (req, res) => {
    const pick = await picks.cancel(String(req.params.id), userOf(res).id);
    res.set('Cache-Control', 'no-store').redirect(303, picks.returnUrl(pick).href);
  });

  return router;
}
