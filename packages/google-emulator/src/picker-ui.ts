/**
 * The picker page a pickerUri opens: the owner's library as a grid, at most
 * maxItemCount selected, Done. `/autoclose` closes the window after Done.
 * After Done, expiry or deletion the URI no longer works. Without JavaScript
 * it is a plain form; the script only keeps the counter and the limit live.
 */
import express, { Router, type Request, type Response } from 'express';
import { emulatorCookie, html, pageContext, raw, sendPage, type PageContext } from './pages.ts';
import type { Account, EmulatorState, PickerSession } from './state.ts';
import type { MediaRenderer } from './media.ts';
import type { EmulatorKnobs } from './index.ts';

export function pickerUiRoutes(state: EmulatorState, media: MediaRenderer, knobs: Pick<EmulatorKnobs, 'pickerOpenerPolicy'>): Router {
  const router = Router();
  router.use('/picker', (_req, res, next) => {
    if (knobs.pickerOpenerPolicy) res.set('Cross-Origin-Opener-Policy', knobs.pickerOpenerPolicy);
    next();
  });

  /** The session if this browser may pick for it now; otherwise an explanation page is sent. */
  function usable(req: Request, res: Response, ctx: PageContext): { session: PickerSession; owner: Account } | undefined {
    const session = state.sessions.get(String(req.params.id));
    const gone = !session || session.deleted || session.picked !== null || session.expireAt <= Date.now() || session.timeoutAt <= Date.now();
    if (gone) {
      sendPage(req, res, ctx, ctx.t('picker.gone.heading'), html`<section class="card"><h1>${ctx.t('picker.gone.heading')}</h1><p>${ctx.t('picker.gone.body')}</p></section>`, session ? 410 : 404);
      return undefined;
    }
    if (emulatorCookie(req, 'emu_account') !== session.owner.email) {
      sendPage(req, res, ctx, ctx.t('picker.wrongAccount.heading'), html`<section class="card"><h1>${ctx.t('picker.wrongAccount.heading')}</h1><p>${ctx.t('picker.wrongAccount.body')}</p></section>`, 403);
      return undefined;
    }
    return { session, owner: session.owner };
  }

  function grid(req: Request, res: Response, autoclose: boolean, problem?: string, status = 200) {
    const ctx = pageContext(req);
    const found = usable(req, res, ctx);
    if (!found) return;
    const { session, owner } = found;
    const { t } = ctx;
    const items = state.library(owner);
    const max = Math.min(session.maxItemCount, items.length);
    const action = `/picker/${session.id}/done${ctx.locale === 'en' ? '' : `?hl=${ctx.locale}`}`;
    const countTemplate = t('picker.count', { count: '{count}', max });
    const body = html`<section class="card" aria-labelledby="picker-heading">
<h1 id="picker-heading">${t('picker.heading')}</h1>
<p id="instructions">${t('picker.instructions', { max })}</p>
${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
<form method="post" action="${action}" data-max="${max}">
${autoclose ? html`<input type="hidden" name="autoclose" value="1">` : ''}
<ul class="grid">
${items.map((item) => html`<li><label><input type="checkbox" name="item" value="${item.id}">
<img src="${`/picker/${session.id}/thumb/${encodeURIComponent(item.id)}`}" alt="" width="256" height="256" loading="lazy">
<span class="meta">${item.filename ?? item.id} · ${t(item.type === 'VIDEO' ? 'picker.video' : 'picker.photo')}${item.processingStatus === 'PROCESSING' ? ` (${t('picker.processing')})` : ''}</span></label></li>`)}
</ul>
<div class="sticky"><p id="count" role="status" aria-live="polite" data-template="${countTemplate}">${t('picker.count', { count: 0, max })}</p>
<button class="primary" type="submit">${t('picker.done')}</button></div>
</form></section>
<script nonce="${ctx.nonce}">${raw(`
const form = document.querySelector('form[data-max]');
const max = Number(form.dataset.max);
const count = document.getElementById('count');
const boxes = [...form.querySelectorAll('input[name="item"]')];
const update = () => {
  const n = boxes.filter((b) => b.checked).length;
  count.textContent = count.dataset.template.replace('{count}', new Intl.NumberFormat(document.documentElement.lang, { useGrouping: 'min2' }).format(n));
  for (const box of boxes) box.disabled = !box.checked && n >= max;
};
form.addEventListener('change', update);
update();
`)}</script>`;
    sendPage(req, res, ctx, t('picker.title'), body, status);
  }

  router.get('/picker/:id', (req, res) => grid(req, res, false));
  router.get('/picker/:id/autoclose', (req, res) => grid(req, res, true));

  router.get('/picker/:id/thumb/:itemId', async (req, res) => {
    const session = state.sessions.get(req.params.id);
    const owner = session?.owner;
    if (!session || !owner || emulatorCookie(req, 'emu_account') !== owner.email) return res.status(403).end();
    const item = state.item(owner, req.params.itemId);
    if (!item) return res.status(404).end();
    const png = media.picture(item, { width: 256, height: 256, crop: true }, item.type === 'VIDEO');
    res.set({ 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=3600', 'Content-Length': String(png.length) }).end(png);
  });

  router.post('/picker/:id/done', express.urlencoded({ extended: false, parameterLimit: 5000 }), (req, res) => {
    const ctx = pageContext(req);
    const found = usable(req, res, ctx);
    if (!found) return;
    const { session, owner } = found;
    const body = req.body as { item?: string | string[]; autoclose?: string };
    const chosen = [...new Set([body.item ?? []].flat())];
    const autoclose = body.autoclose === '1';
    if (chosen.length === 0) return grid(req, res, autoclose, ctx.t('picker.noneSelected'), 400);
    if (chosen.length > session.maxItemCount) return grid(req, res, autoclose, ctx.t('picker.tooMany', { max: session.maxItemCount }), 400);
    if (!chosen.every((id) => state.item(owner, id))) return grid(req, res, autoclose, ctx.t('picker.unknownItem'), 400);
    // Library order, as Google lists picked items.
    session.picked = state.library(owner).map((item) => item.id).filter((id) => chosen.includes(id));
    const { t } = ctx;
    if (autoclose) {
      sendPage(req, res, ctx, t('picker.doneHeading'), html`<section class="card"><h1>${t('picker.doneHeading')}</h1><p>${t('picker.closing')}</p></section>
<script nonce="${ctx.nonce}">window.close();</script>`);
      return;
    }
    sendPage(req, res, ctx, t('picker.doneHeading'), html`<section class="card"><h1>${t('picker.doneHeading')}</h1><p>${t('picker.doneBody')}</p></section>`);
  });

  return router;
}
