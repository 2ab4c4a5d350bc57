/**
 * A host app's user arrives here: GET /pick with the app's signed request,
 * then a page that names the app and what it asks for (Continue / Cancel),
 * then the picker and the import's progress page, then back to the app.
 *
 * `mode=popup` (embed.js) marks the pick as a popup's: its pages keep the
 * app's window as opener, and its end is a page that posts the outcome to the
 * app's origin and closes, instead of a redirect. The mode is not signed: it
 * only chooses how the outcome travels, and either way it reaches the
 * return_to origin and nothing else.
 *
 * `embed=2` beside it (embed.js v2 on) says the app's page follows the pick itself: Continue hands the popup's
 * page the pick's ticket, which it posts to the app's window, and the popup then becomes Google's picker (with
 * /autoclose) instead of opening it in a window of its own. Without it (an embed.js v1 in a browser's cache, or
 * pinned) the popup opens the picker beside itself and follows the pick to its end, as it always has.
 *
 * A pick is its browser's: GET /pick gives the browser that presented the
 * request the pick's key (a cookie, pick-binding.ts), and every /picks/{id}
 * route asks for it before anything else, before sign-in even. Any other
 * browser, whoever is signed in there, gets 403 PICK_NOT_THIS_BROWSER and
 * nothing of the pick: no state, no return URL, no step taken.
 */
import { Router } from 'express';
import { ENDED, type Picks } from '../../domain/picks.ts';
import { InvalidPickRequest, type PickRequests } from '../../domain/pick-requests.ts';
import { keepOpener } from '../middleware/security.ts';
import type { PickBinding } from '../pick-binding.ts';
import { requireUser, userOf } from '../middleware/require-user.ts';
import { wantsJson } from '../negotiate.ts';
import { pickPageHeaders, pickPath, pickView } from '../pick-view.ts';
import type { Views } from '../views.ts';
import type { Translate } from '../../i18n/core.ts';

export interface PickRouteDeps {
  pickRequests: PickRequests;
  picks: Picks;
  views: Views;
  binding: PickBinding;
}

export function pickRoutes(deps: PickRouteDeps): Router {
  const { picks, views, binding } = deps;
  const router = Router();
  const signedIn = requireUser();
  const appName = (id: string) => deps.pickRequests.app(id)?.name ?? id;

  router.get('/pick', async (req, res) => {
    const popup = req.query.mode === 'popup';
    const inPlace = popup && req.query.embed === '2';
    let request;
    try {
      request = await deps.pickRequests.verify(req.query.app, req.query.request);
    } catch (error) {
      // Even a refused request's page keeps the opener: the app hears "cancelled" when the user closes it, not before.
      if (popup) keepOpener(res);
      // The reason goes to the log; the token never does (the request logger leaves the query string out).
      if (error instanceof InvalidPickRequest) req.log.warn({ event: 'pick_request_refused', app: typeof req.query.app === 'string' ? req.query.app.slice(0, 40) : null, reason: error.reason }, 'pick request refused');
      throw error;
    }
    const { id, browserKey } = await picks.create(request, { popup, inPlace });
    binding.give(res, id, browserKey);
    req.log.info({ event: 'pick_requested', app: request.app.id, pick: id, popup, inPlace }, 'pick requested');
    res.set('Cache-Control', 'no-store').redirect(303, pickPath(id));
  });

  // Every method and path under a pick: another browser is refused before it is asked to sign in, or shown anything.
  router.use('/picks/:id', async (req, _res, next) => {
    const id = String(req.params.id);
    await picks.ofBrowser(id, binding.keyOf(req, id));
    next();
  });

  router.get('/picks/:id', signedIn, async (req, res) => {
    const pick = await picks.forUser(String(req.params.id), userOf(res).id);
    const t = res.locals.t as Translate;
    res.set('Cache-Control', 'no-store');
    if (ENDED.has(pick.status)) {
      if (!pick.popup) {
        res.redirect(303, picks.returnUrl(pick).href);
        return;
      }
      // A popup's end: the page posts the outcome to the app's window and closes (public/app.js).
      const view = pickView(picks, pick, appName(pick.app));
      keepOpener(res);
      views.render(req, res, 'pick-end', { title: t('pick.end.title', { app: view.appName }), pick: view, status: pick.status });
      return;
    }
    if (pick.status !== 'pending' && pick.pickerSessionId) {
      res.redirect(303, `/sessions/${encodeURIComponent(pick.pickerSessionId)}`);
      return;
    }
    const view = pickView(picks, pick, appName(pick.app));
    pickPageHeaders(res, pick);
    views.render(req, res, 'pick', { title: t('pick.title', { app: view.appName }), pick: view, maxItems: pick.maxItems });
  });

  router.post('/picks/:id/continue', signedIn, async (req, res) => {
    const id = String(req.params.id);
    const session = await picks.begin(id, userOf(res).id);
    res.set('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      // An in-place popup's script posts the ticket to the app's window, then turns into the picker. Only this
      // answer (same-origin, CSRF-checked, past the binding) ever holds it: never a page, a URL or a log.
      const ticket = await picks.issueTicket(id);
      res.status(201).location(`/sessions/${encodeURIComponent(session.id)}`).json({ id: session.id, pickerUri: session.pickerUri, ...(ticket ? { ticket } : {}) });
      return;
    }
    // The session page opens the picker in a tab of its own and follows it: the way back without script.
    res.redirect(303, `/sessions/${encodeURIComponent(session.id)}`);
  });

  // Also what a popup's page sends (a beacon) when the user closes the popup before the import.
  router.post('/picks/:id/cancel', signedIn, async (req, res) => {
    const pick = await picks.cancel(String(req.params.id), userOf(res).id);
    res.set('Cache-Control', 'no-store');
    if (pick.popup || !ENDED.has(pick.status)) res.redirect(303, pickPath(pick.id));
    else res.redirect(303, picks.returnUrl(pick).href);
  });

  return router;
}
