/**
 * The HTML page of one Picker session: progress while the user picks (what
 * to do, time left, the pickerUri as a link and a QR code for picking on a
 * phone), the results grid once they press Done, or a clear word that it has
 * ended with a way to start again.
 */
import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import { durationMs } from '../adapters/google/picker-api.ts';
import type { MediaItems } from '../picker/media-items.ts';
import { toView } from '../picker/media-items.ts';
import type { SessionView } from '../picker/picker-sessions.ts';
import type { Translate } from '../i18n/core.ts';
import type { Views } from './views.ts';

export interface SessionPage {
  render(req: Request, res: Response, session: SessionView): Promise<void>;
}

function minutesLeft(session: SessionView): number {
  const fromTimeout = durationMs(session.pollingConfig?.timeoutIn);
  const fromExpiry = Date.parse(session.expireTime) - Date.now();
  const left = Math.min(fromTimeout ?? Infinity, Number.isFinite(fromExpiry) ? fromExpiry : Infinity);
  return Number.isFinite(left) ? Math.max(0, Math.ceil(left / 60_000)) : 0;
}

export function createSessionPage(views: Views, mediaItems: MediaItems): SessionPage {
  return {
    async render(req, res, session) {
      const t = res.locals.t as Translate;
      const base = { title: t('session.title'), session, pollIntervalMs: durationMs(session.pollingConfig?.pollInterval) ?? 5_000 };
      if (session.status === 'pending') {
        // No pickerUri only when another replica's poll of Google is late; the page then just waits and polls.
        const qr = session.pickerUri ? await QRCode.toString(session.pickerUri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) : '';
        views.render(req, res, 'session', {
          ...base,
          minutesLeft: minutesLeft(session),
          qrDataUrl: qr && `data:image/svg+xml;base64,${Buffer.from(qr).toString('base64')}`,
          items: [],
        });
        return;
      }
      if (session.status === 'complete') {
        const { items } = await mediaItems.all(req, session.id);
        views.render(req, res, 'session', { ...base, items: items.map((item) => toView(session.id, item)) });
        return;
      }
      views.render(req, res, 'session', { ...base, items: [] });
    },
  };
}
