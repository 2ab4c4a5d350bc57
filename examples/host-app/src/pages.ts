/** The print shop's pages: plain server-rendered HTML, no inline script or style. */
import { html, type Html } from './html.ts';
import { ENDED_STATUSES as ENDED, type GatewayPick, type PickStatus } from '@photos-picker-gateway/host-app-client';
import type { CustomerPick } from './shop.ts';

const STATUS: Record<PickStatus, string> = {
  pending: 'waiting for you at the gateway',
  picking: 'you are choosing photos',
  importing: 'the gateway is copying your photos',
  done: 'imported',
  partial: 'imported, but some photos could not be copied',
  failed: 'the import failed',
  cancelled: 'cancelled',
  expired: 'ran out of time before you pressed Done',
};

function layout(title: string, main: Html, scripts: string[] = []): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Print Shop</title>
<link rel="stylesheet" href="/shop.css">
${scripts.map((src) => html`<script src="${src}" defer></script>\n`)}</head>
<body>
<header><p class="brand"><a href="/">Print Shop</a> <span>an example host app of the Photos Picker Gateway</span></p></header>
<main>
${main}
</main>
</body>
</html>
`.text;
}

export function homePage(view: { customer: string; gatewayUrl: string; appId: string; popupRequest: string; picks: CustomerPick[] }): string {
  const picks = view.picks.length === 0
    ? html`<p>None yet.</p>`
    : html`<ul class="picks">${view.picks.map((pick) => html`
<li><a href="/picks/${encodeURIComponent(pick.id)}">Import of ${new Date(pick.updatedAt).toLocaleString('en')}</a>: ${STATUS[pick.status]}${ENDED.has(pick.status) ? html`, ${pick.items} ${pick.items === 1 ? 'photo' : 'photos'}` : ''}</li>`)}
</ul>`;
  return layout('Print your photos', html`
<h1>Print your photos</h1>
<p>You are signed in to the shop as customer <strong data-customer>${view.customer}</strong>.</p>
<p>Bring photos from your Google Photos: the gateway at <code>${view.gatewayUrl}</code> lets you choose them, copies them for the shop and sends you back here.</p>
<div class="actions">
<a class="button" href="/import" data-full-page-pick>Import from Google Photos</a>
<button type="button" class="button secondary" data-popup-pick data-app="${view.appId}" data-request="${view.popupRequest}" hidden>Import in a popup</button>
</div>
<p class="status" role="status" aria-live="polite" data-popup-status></p>
<h2>Your imports</h2>
${picks}`, [`${view.gatewayUrl}/embed.js`, '/shop.js']);
}

const contentPath = (pick: string, item: string) => `/picks/${encodeURIComponent(pick)}/items/${encodeURIComponent(item)}/content`;

export function pickPage(pick: GatewayPick): string {
  const ended = ENDED.has(pick.status);
  const done = pick.items.filter((item) => item.status === 'done');
  const failed = pick.items.filter((item) => item.status === 'failed');
  const photos = done.map((item) => html`
<li><figure>${item.type === 'VIDEO'
    ? html`<video controls preload="metadata" src="${contentPath(pick.id, item.id)}"></video>`
    // The caption names the photo; an alt saying the same again would be read twice.
    : html`<img src="${contentPath(pick.id, item.id)}" alt="" loading="lazy"${item.width && item.height ? html` width="${item.width}" height="${item.height}"` : ''}>`}
<figcaption>${item.filename}</figcaption></figure></li>`);
  return layout('Your photos', html`
<h1>Your photos</h1>
<p class="status" role="status" aria-live="polite" data-pick-status="${pick.status}" data-pick="${pick.id}">Status: ${STATUS[pick.status]}.${ended ? '' : html` <a href="">Check again</a>`}</p>
${done.length > 0 ? html`<ul class="photos">${photos}\n</ul>` : ended ? html`<p>No photos came back from this import.</p>` : ''}
${failed.length > 0 ? html`<h2>Not imported</h2>
<ul class="failed">${failed.map((item) => html`<li><strong>${item.filename}</strong>: ${item.error ?? 'the gateway gave no reason'}</li>`)}</ul>
<p>Import again to try these once more.</p>` : ''}
<p><a href="/">Back to the shop</a></p>`, ended ? [] : ['/shop.js']);
}

export function problemPage(title: string, message: string): string {
  return layout(title, html`
<h1>${title}</h1>
<p>${message}</p>
<p><a href="/">Back to the shop</a></p>`);
}
