/**
 * /sessions: create a Picker session and send the browser to its pickerUri
 * (JSON clients get 201), follow it, delete it.
 */
import { Router, type RequestHandler } from 'express';
import type { GoogleAccounts } from '../../auth/google-account.ts';
import { AppError } from '../../errors.ts';
import { contentQuery, createSessionInput, invalidInput, mediaItemIdParam, mediaItemsQuery, pickerSessionIdParam } from '../inputs.ts';
import type { PickerSessions } from '../../picker/picker-sessions.ts';
import type { MediaItems } from '../../picker/media-items.ts';
import type { MediaProxy } from '../../picker/media-proxy.ts';
import type { SessionPage } from '../session-page.ts';
import { requireUser } from '../middleware/require-user.ts';
import { wantsJson } from '../negotiate.ts';
import type { Views } from '../views.ts';

export interface PickerSessionRouteDeps {
  accounts: GoogleAccounts;
  pickerSessions: PickerSessions;
  mediaItems: MediaItems;
  mediaProxy: MediaProxy;
  sessionPage: SessionPage;
  views: Views;
  createLimiter: RequestHandler;
}

export function pickerSessionRoutes(deps: PickerSessionRouteDeps): Router {
  const { accounts, pickerSessions, views } = deps;
  const router = Router();

  router.post('/sessions', requireUser(accounts), deps.createLimiter, async (req, res) => {
    const input = createSessionInput.safeParse(req.body ?? {});
    if (!input.success) {
      const detail = input.error.issues.map((issue) => issue.message).join('; ');
      if (wantsJson(req)) throw new AppError({ status: 400, code: 'INVALID_ARGUMENT', detail });
      // Show the form again with the problem next to it and the user's input kept.
      const t = res.locals.t as (key: string) => string;
      views.render(req, res, 'home', {
        title: t('home.title'),
        user: req.session.user,
        pickerSessions: pickerSessions.owned(req),
        formError: detail,
        values: { maxItemCount: String((req.body as Record<string, unknown> | undefined)?.maxItemCount ?? '') },
      }, 400);
      return;
    }
    const session = await pickerSessions.create(req, {
      ...(input.data.requestId ? { requestId: input.data.requestId } : {}),
      ...(input.data.maxItemCount ? { maxItemCount: input.data.maxItemCount } : {}),
    });
    res.set('Cache-Control', 'no-store');
    if (!wantsJson(req)) {
      res.redirect(303, session.pickerUri);
      return;
    }
    res.status(201).location(`/sessions/${encodeURIComponent(session.id)}`).json({
      id: session.id,
      pickerUri: session.pickerUri,
      pollingConfig: session.pollingConfig ?? null,
      expireTime: session.expireTime,
      mediaItemsSet: session.mediaItemsSet,
      pickingConfig: session.pickingConfig ?? null,
    });
  });

  const signedIn = requireUser(accounts);

  router.get('/sessions/:id', signedIn, async (req, res) => {
    const id = pickerSessionIdParam.parse(req.params.id);
    const view = await pickerSessions.status(req, id);
    res.set('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      res.json({
        id: view.id,
        status: view.status,
        mediaItemsSet: view.mediaItemsSet,
        pollingConfig: view.pollingConfig ?? null,
        expireTime: view.expireTime,
      });
      return;
    }
    await deps.sessionPage.render(req, res, view);
  });

  const deleteSession: RequestHandler = async (req, res) => {
    await pickerSessions.delete(req, pickerSessionIdParam.parse(req.params.id));
    res.set('Cache-Control', 'no-store');
    if (req.method === 'DELETE') res.status(204).end();
    else res.redirect(303, '/');
  };
  router.delete('/sessions/:id', signedIn, deleteSession);
  router.post('/sessions/:id/delete', signedIn, deleteSession);

  router.get('/sessions/:id/media-items', signedIn, async (req, res) => {
    const id = pickerSessionIdParam.parse(req.params.id);
    const query = mediaItemsQuery.safeParse(req.query);
    if (!query.success) throw invalidInput(query.error);
    const page = await deps.mediaItems.page(req, id, {
      ...(query.data.pageSize ? { pageSize: query.data.pageSize } : {}),
      ...(query.data.pageToken ? { pageToken: query.data.pageToken } : {}),
    });
    res.set('Cache-Control', 'private, no-store').json({ mediaItems: page.mediaItems, nextPageToken: page.nextPageToken ?? null });
  });

  router.get('/sessions/:id/media-items/:itemId/content', signedIn, async (req, res) => {
    const id = pickerSessionIdParam.parse(req.params.id);
    const itemId = mediaItemIdParam.parse(req.params.itemId);
    const query = contentQuery.safeParse(req.query);
    if (!query.success) throw invalidInput(query.error);
    await deps.mediaProxy.stream(req, res, id, itemId, {
      ...(query.data.w ? { w: query.data.w } : {}),
      ...(query.data.h ? { h: query.data.h } : {}),
      crop: query.data.crop === '1',
      download: query.data.download === '1',
    });
  });

  return router;
}
