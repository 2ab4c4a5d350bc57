/**
 * The HTML page of one Picker session: progress while the user picks (what
 * to do, time left, the pickerUri as a link and a QR code for picking on a
 * phone), then, with imports on, the import's progress and the imported
 * items; with imports off the results grid from Google. Or a clear word that
 * it has ended with a way to start again.
 *
 * The session of a host app's pick is a step of the app's flow: the page has
 * Cancel instead of the gateway's own controls, and once the pick has ended
 * (the import ended, the session expired, the user cancelled) the page is a
 * 303 to the pick, which sends the user back to the app. A redirect works
 * with and without script, and the page's no-script refresh during an import
 * thereby brings the user back by itself. The page only reads the pick: what
 * ends it is the jobs layer (src/jobs/) or the user's Cancel.
 */
import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import { importedItems, type ImportRecord, type Imports } from '../domain/imports.ts';
import { toView, type PickedMedia } from '../domain/media.ts';
import { durationMs, type SessionView } from '../domain/picker-sessions.ts';
import type { UserId } from '../domain/ports.ts';
import { ENDED, type Picks } from '../domain/picks.ts';
import type { Locale, Translate } from '../i18n/core.ts';
import { importView, type ImportView } from './import-view.ts';
import { pickPageHeaders, pickPath, pickView } from './pick-view.ts';
import type { Views } from './views.ts';

export interface SessionPage {
  render(req: Request, res: Response, userId: UserId, session: SessionView): Promise<void>;
}

/** How often a page without script reloads itself while an import runs. */
const NO_SCRIPT_REFRESH_SECONDS = 3;

/**
 * pickerUri + "/autoclose" (before any query string), as Google advises for a picker opened in a tab of its own: the
 * tab closes after Done and the person is back here. The QR code keeps the plain pickerUri (another device).
 */
export function autocloseUrl(pickerUri: string): string {
  const url = new URL(pickerUri);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/autoclose`;
  return url.href;
}

function minutesLeft(session: SessionView): number {
  const fromTimeout = durationMs(session.pollingConfig?.timeoutIn);
  const fromExpiry = Date.parse(session.expireTime) - Date.now();
  const left = Math.min(fromTimeout ?? Infinity, Number.isFinite(fromExpiry) ? fromExpiry : Infinity);
  return Number.isFinite(left) ? Math.max(0, Math.ceil(left / 60_000)) : 0;
}

export interface SessionPageDeps {
  views: Views;
  media: PickedMedia;
  imports?: Imports;
  picks: Picks;
  /** A host app's name as users see it. */
  appName: (appId: string) => string;
}

export function createSessionPage({ views, media, imports, picks, appName }: SessionPageDeps): SessionPage {
  /**
   * The import of a picked session, once there is one or one is about to start. It outlives the Picker session
   * (which the import deletes at Google when it ends), so it is asked before the session's own status.
   */
  function importOf(res: Response, session: SessionView, record: ImportRecord | undefined): ImportView | undefined {
    if (!imports || session.status === 'pending') return undefined;
    if (!record && session.status !== 'complete') return undefined;
    const imported = record?.completedAt ? importedItems(record) : undefined;
    return importView({ record, imported, t: res.locals.t as Translate, locale: res.locals.locale as Locale });
  }

  return {
    async render(req, res, userId, session) {
      const t = res.locals.t as Translate;
      const pick = await picks.ofSession(session.id);
      const record = session.status === 'pending' ? undefined : await imports?.state(userId, session.id);
      if (pick && ENDED.has(pick.status)) {
        res.redirect(303, pickPath(pick.id));
        return;
      }
      if (pick) pickPageHeaders(res, pick);
      const base = {
        title: t('session.title'),
        session,
        pollIntervalMs: durationMs(session.pollingConfig?.pollInterval) ?? 5_000,
        ...(pick ? { pick: pickView(picks, pick, appName(pick.app)) } : {}),
      };
      if (session.status === 'pending') {
        // No pickerUri only when another replica's poll of Google is late; the page then just waits and polls.
        const qr = session.pickerUri ? await QRCode.toString(session.pickerUri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) : '';
        views.render(req, res, 'session', {
          ...base,
          // Without script the page reloads itself as often as the script would check: "updates by itself" holds.
          refreshSeconds: Math.max(NO_SCRIPT_REFRESH_SECONDS, Math.ceil(base.pollIntervalMs / 1000)),
          pickerLink: session.pickerUri && autocloseUrl(session.pickerUri),
          minutesLeft: minutesLeft(session),
          qrDataUrl: qr && `data:image/svg+xml;base64,${Buffer.from(qr).toString('base64')}`,
          items: [],
        });
        return;
      }
      // A pick not ended yet is about to be (the import's finish, the following of the session, ends it in a job):
      // its import reads as still running and an expired session's page refreshes, so the page keeps asking, with or
      // without script, until the pick has ended and this page redirects.
      const shown = pick && record && record.status !== 'running' ? { ...record, status: 'running' as const, completedAt: null } : record;
      const importing = importOf(res, session, shown);
      if (importing) {
        const moving = importing.phase === 'starting' || importing.phase === 'running';
        views.render(req, res, 'session', { ...base, import: importing, items: [], ...(moving ? { refreshSeconds: NO_SCRIPT_REFRESH_SECONDS } : {}) });
        return;
      }
      if (session.status === 'complete') {
        const { items } = await media.all(userId, session.id);
        views.render(req, res, 'session', { ...base, items: items.map((item) => toView(session.id, item)) });
        return;
      }
      views.render(req, res, 'session', { ...base, items: [], ...(pick ? { refreshSeconds: NO_SCRIPT_REFRESH_SECONDS } : {}) });
    },
  };
}
