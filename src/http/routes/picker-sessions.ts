/**
 * /sessions: create a Picker session and send the browser to its pickerUri
 * (JSON clients get 201), follow it, delete it, list and stream its items.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type RequestHandler } from 'express';
import { itemFileName } from '../../domain/file-names.ts';
import type { ImportRecord, Imports } from '../../domain/imports.ts';
import { pageOf, type PickedMedia } from '../../domain/media.ts';
import type { PickerSessions } from '../../domain/picker-sessions.ts';
import { AppError } from '../../errors.ts';
import { serveStored, setContentHead } from '../content-response.ts';
import { contentQuery, createSessionInput, invalidInput, mediaItemIdParam, mediaItemsQuery, pickerSessionIdParam } from '../inputs.ts';
import type { SessionPage } from '../session-page.ts';
import { requireUser, userOf } from '../middleware/require-user.ts';
import { wantsJson } from '../negotiate.ts';
import type { Views } from '../views.ts';
import { renderHome, type HomeDeps } from './home.ts';

export interface PickerSessionRouteDeps {
  pickerSessions: PickerSessions;
  media: PickedMedia;
  /** Once a session is imported, its items are served from the destination. */
  imports?: Imports;
  sessionPage: SessionPage;
  views: Views;
  /** The home page, shown again when the Pick form's input is wrong. */
  home: HomeDeps;
  createLimiter: RequestHandler;
}

/** What deleting a session does to its import: nothing to stop, a running one stopped, or a finished one's copies kept. */
export type DeletionOutcome = 'deleted' | 'importStopped' | 'importKept';

function deletionOutcome(record: ImportRecord | undefined): DeletionOutcome {
  if (!record) return 'deleted';
  return record.completedAt ? 'importKept' : 'importStopped';
}

/** Answer headers passed on from Google's media answer (its type goes through setContentHead). */
const PASSED_HEADERS = ['content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag'] as const;

export function pickerSessionRoutes(deps: PickerSessionRouteDeps): Router {
  const { pickerSessions, views } = deps;
  const router = Router();
  const signedIn = requireUser();

  router.post('/sessions', signedIn, deps.createLimiter, async (req, res) => {
    const user = userOf(res);
    const input = createSessionInput.safeParse(req.body ?? {});
    if (!input.success) {
      const detail = input.error.issues.map((issue) => issue.message).join('; ');
      if (wantsJson(req)) throw new AppError({ status: 400, code: 'INVALID_ARGUMENT', detail });
      // Show the form again with the problem next to it and the user's input kept.
      await renderHome(deps.home, req, res, user, { formError: detail, values: { maxItemCount: String((req.body as Record<string, unknown> | undefined)?.maxItemCount ?? '') } }, 400);
      return;
    }
    const session = await pickerSessions.create(user.id, {
      ...(input.data.requestId ? { requestId: input.data.requestId } : {}),
      ...(input.data.maxItemCount ? { maxItemCount: input.data.maxItemCount } : {}),
    });
    res.set('Cache-Control', 'no-store');
    if (!wantsJson(req)) {
      // Our own form goes to the session page, which opens the picker in a tab of its own and follows it, with or
      // without script; any other form goes straight to the picker, as Google's pickerUri.
      res.redirect(303, input.data.next === 'session' ? `/sessions/${encodeURIComponent(session.id)}` : session.pickerUri);
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

  router.get('/sessions/:id', signedIn, async (req, res) => {
    const user = userOf(res);
    const view = await pickerSessions.status(user.id, pickerSessionIdParam.parse(req.params.id));
    res.set('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      // An import outlives the Picker session it deletes at Google on purpose: while its record lives, the session
      // reads as what it was, complete, with the import's state, never expired.
      const record = view.status === 'pending' ? undefined : await deps.imports?.state(user.id, view.id);
      res.json({
        id: view.id,
        status: record ? 'complete' : view.status,
        mediaItemsSet: record ? true : view.mediaItemsSet,
        pollingConfig: view.pollingConfig ?? null,
        expireTime: view.expireTime,
        ...(record ? { import: { status: record.status, url: `/sessions/${encodeURIComponent(view.id)}/import` } } : {}),
      });
      return;
    }
    await deps.sessionPage.render(req, res, user.id, view);
  });

  router.delete('/sessions/:id', signedIn, async (req, res) => {
    await pickerSessions.delete(userOf(res).id, pickerSessionIdParam.parse(req.params.id));
    res.set('Cache-Control', 'no-store').status(204).end();
  });

  // The page's Delete: a session whose import has started is deleted only once the person confirms it, on a page
  // that says what will go; the next page says what went.
  router.post('/sessions/:id/delete', signedIn, async (req, res) => {
    const userId = userOf(res).id;
    const id = pickerSessionIdParam.parse(req.params.id);
    const record = await deps.imports?.state(userId, id);
    const outcome = deletionOutcome(record);
    res.set('Cache-Control', 'no-store');
    if (outcome !== 'deleted' && (req.body as Record<string, unknown> | undefined)?.confirm !== '1') {
      const t = res.locals.t as (key: string) => string;
      views.render(req, res, 'confirm-delete', { title: t('confirmDelete.title'), sessionId: id, outcome });
      return;
    }
    await pickerSessions.delete(userId, id);
    res.redirect(303, `/?notice=${outcome}`);
  });

  router.get('/sessions/:id/media-items', signedIn, async (req, res) => {
    const query = mediaItemsQuery.safeParse(req.query);
    if (!query.success) throw invalidInput(query.error);
    const userId = userOf(res).id;
    const id = pickerSessionIdParam.parse(req.params.id);
    const pageQuery = {
      ...(query.data.pageSize ? { pageSize: query.data.pageSize } : {}),
      ...(query.data.pageToken ? { pageToken: query.data.pageToken } : {}),
    };
    const imported = await deps.imports?.listing(userId, id);
    const page = imported ? pageOf(imported, pageQuery) : await deps.media.page(userId, id, pageQuery);
    res.set('Cache-Control', 'private, no-store').json({ mediaItems: page.mediaItems, nextPageToken: page.nextPageToken ?? null });
  });

  // GET and HEAD: a HEAD asks Google for the headers only, never the bytes.
  router.get('/sessions/:id/media-items/:itemId/content', signedIn, async (req, res) => {
    const query = contentQuery.safeParse(req.query);
    if (!query.success) throw invalidInput(query.error);
    // A client that goes away before the answer is complete stops the download from Google.
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const range = req.get('range');
    const userId = userOf(res).id;
    const sessionId = pickerSessionIdParam.parse(req.params.id);
    const itemId = mediaItemIdParam.parse(req.params.itemId);
    const stored = await deps.imports?.stored(userId, sessionId, itemId);
    if (stored && deps.imports) {
      await serveStored(req, res, deps.imports, stored, query.data);
      return;
    }
    const content = await deps.media.open(userId, sessionId, itemId, {
      ...(query.data.w ? { w: query.data.w } : {}),
      ...(query.data.h ? { h: query.data.h } : {}),
      crop: query.data.crop === '1',
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      ...(range ? { range } : {}),
      signal: abort.signal,
    });
    res.status(content.status);
    for (const name of PASSED_HEADERS) {
      const value = content.headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
    setContentHead(res, { contentType: content.headers['content-type'], filename: itemFileName(content.item), download: query.data.download === '1' });
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.vary('Range');
    try {
      // pipeline destroys both sides when either ends early: a client that goes away aborts the Google download.
      await pipeline(content.body, res);
    } catch (error) {
      if (!abort.signal.aborted) req.log.warn({ err: error }, 'media stream ended early');
    }
  });

  return router;
}
