// Photos Picker Gateway: progressive enhancement only. Every page works without this script.
//
// 1. "Pick photos" opens the picker window at once, inside the click (popup blockers allow that),
//    creates the session through the JSON API, then sends the window to pickerUri + "/autoclose".
// 2. A pending session page follows the session and turns into the results without a reload.
// 3. A session being imported moves its bars from GET /sessions/{id}/import about once a second, says how far it
//    has got in the live region now and then (not at every byte), and turns into the imported items when it ends.
// 4. A host app's pick: Continue works as "Pick photos" (through the pick's own endpoint); a page that the server
//    answers with a redirect (the pick has ended) is left for real, and the server sends the user back to the app.
//    In a popup (embed.js) each page tells the app's window how the pick stands, at the return_to origin only; the
//    last page posts the outcome and closes; closing the popup before the import cancels the pick (a beacon).

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const live = () => document.getElementById('live');
const main = () => document.getElementById('main');

function announce(text) {
  const region = live();
  if (region) region.textContent = text;
}

/** pickerUri + "/autoclose", inserted before any query string. */
function autocloseUrl(pickerUri) {
  const url = new URL(pickerUri);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/autoclose`;
  return url.href;
}

let pickerWindow = null;
/** Set when this page navigates on purpose: only a popup closed by the user cancels its pick. */
let leaving = false;

function leave(url, { replace = false } = {}) {
  leaving = true;
  if (pickerWindow && !pickerWindow.closed) pickerWindow.close();
  if (replace) window.location.replace(url);
  else window.location.assign(url);
}

async function swapInPage(url, { push = false } = {}) {
  // A redirect means the page is no longer there to swap in (a host app's pick has ended): go there for real.
  const response = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin', redirect: 'manual' });
  if (response.type === 'opaqueredirect') {
    leave(url);
    return;
  }
  if (!response.ok && response.status !== 200) throw new Error(String(response.status));
  const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
  const next = doc.getElementById('main');
  const meta = doc.querySelector('meta[name="csrf-token"]');
  if (!next) throw new Error('no main');
  main().replaceChildren(...next.childNodes);
  if (meta) document.querySelector('meta[name="csrf-token"]')?.setAttribute('content', meta.content);
  document.title = doc.title;
  if (push) history.pushState({}, '', url);
  tellOpener();
  follow();
}

async function startPicking(form, event) {
  const popup = window.open('about:blank', 'google-photos-picker', 'popup,width=960,height=720');
  if (!popup) return; // blocked: let the form post normally (303 to the picker)
  event.preventDefault();
  pickerWindow = popup;
  const status = form.querySelector('[data-pick-status]') ?? document.querySelector('[data-pick-status]');
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  const max = form.querySelector('input[name="maxItemCount"]')?.value;
  try {
    const response = await fetch(form.dataset.pickEndpoint ?? '/sessions', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
      body: JSON.stringify(max ? { maxItemCount: Number(max) } : {}),
    });
    const body = await response.json();
    if (response.status === 401) {
      popup.close();
      leave(`/auth/google?return_to=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    if (response.status !== 201) throw Object.assign(new Error(body.title ?? 'error'), { problem: body });
    popup.location.href = autocloseUrl(body.pickerUri);
    await swapInPage(`/sessions/${encodeURIComponent(body.id)}`, { push: true });
  } catch (error) {
    popup.close();
    pickerWindow = null;
    const text = error.problem?.title ?? error.message;
    if (status) status.textContent = text;
    else announce(text);
  } finally {
    if (button) button.disabled = false;
  }
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.matches('[data-pick-form]')) startPicking(form, event);
});

let followTimer = 0;
let announceTimer = 0;

const IMPORT_POLL_MS = 1000;
/** The live region tells of progress at most this often; the end is told at once. */
const ANNOUNCE_EVERY_MS = 5000;

/** Fills a message template's {placeholders} (the server translated it; numbers are formatted here). */
const fill = (template, values) => (template ?? '').replace(/\{(\w+)\}/g, (whole, name) => values[name] ?? whole);

/** How far one item is, from 0 to 1; null while copying something of unknown size. As src/http/import-view.ts. */
function fractionOf(item) {
  if (item.status === 'done' || item.status === 'failed') return 1;
  if (item.status === 'queued') return 0;
  return item.totalBytes ? Math.min(1, item.bytes / item.totalBytes) : null;
}

function setText(element, text) {
  if (element && element.textContent !== text) element.textContent = text;
}

/** Loads the page afresh in place; focus, lost with the old content, goes to the new heading. */
async function reloadInPlace({ announceHeading }) {
  const hadFocus = main().contains(document.activeElement) && document.activeElement !== main();
  await swapInPage(window.location.pathname);
  const heading = main().querySelector('h1');
  if (!heading) return;
  if (announceHeading) announce(heading.textContent ?? '');
  if (announceHeading || hadFocus) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

function showImport(card, body, format) {
  const texts = card.querySelector('.import')?.dataset ?? {};
  const rows = new Map([...card.querySelectorAll('[data-item-id]')].map((row) => [row.getAttribute('data-item-id'), row]));
  let overall = 0;
  for (const item of body.items) {
    const fraction = fractionOf(item);
    overall += fraction ?? 0;
    const row = rows.get(item.id);
    const bar = row?.querySelector('progress');
    if (!bar) continue;
    row.setAttribute('data-item-status', item.status);
    if (fraction === null) bar.removeAttribute('value');
    else bar.value = Math.round(fraction * 100);
    const text = item.status === 'copying'
      ? (fraction === null ? texts.textCopying : fill(texts.textCopyingPercent, { percent: format.percent.format(fraction) }))
      : (item.status === 'queued' ? texts.textQueued : texts.textDone);
    setText(row.querySelector('[data-status-text]'), text);
  }
  const bar = card.querySelector('[data-overall]');
  if (bar && body.items.length > 0) {
    bar.max = body.items.length;
    bar.value = overall;
  }
}

function countText(card, body, format) {
  const texts = card.querySelector('.import')?.dataset ?? {};
  const done = body.items.filter((item) => item.status === 'done').length;
  const failed = body.items.filter((item) => item.status === 'failed').length;
  const values = { done: format.number.format(done), total: format.number.format(body.items.length), failed: format.number.format(failed) };
  return { done, text: fill(failed > 0 ? texts.textCountWithFailures : texts.textCount, values) };
}

/** Follows an import that is starting or running, until it ends. */
function followImport(card) {
  const id = card.getAttribute('data-session');
  const starting = card.getAttribute('data-import') === 'starting';
  const failedShown = card.querySelectorAll('[data-item-status="failed"]').length;
  const lang = document.documentElement.lang || undefined;
  const format = { number: new Intl.NumberFormat(lang), percent: new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }) };
  let doneAnnounced = card.querySelectorAll('[data-item-status="done"]').length;
  let announcedAt = 0;
  const tell = (text) => {
    clearTimeout(announceTimer);
    const wait = announcedAt + ANNOUNCE_EVERY_MS - Date.now();
    const now = () => {
      announcedAt = Date.now();
      announce(text);
    };
    if (wait <= 0) now();
    else announceTimer = setTimeout(now, wait);
  };
  const tick = async () => {
    try {
      const response = await fetch(`/sessions/${encodeURIComponent(id)}/import`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      // Deleted elsewhere, or signed out: nothing left to follow here.
      if (response.status === 404 || response.status === 401) return;
      if (response.ok) {
        const body = await response.json();
        const ended = ['done', 'partial', 'failed'].includes(body.status);
        const failed = body.items.filter((item) => item.status === 'failed').length;
        // What the bars cannot show (the list, a failure's reason and its Retry, the result) comes from the server.
        if (ended || (starting && body.items.length > 0) || failed !== failedShown) {
          await reloadInPlace({ announceHeading: ended });
          return;
        }
        showImport(card, body, format);
        const count = countText(card, body, format);
        setText(card.querySelector('[data-count]'), count.text);
        if (count.done !== doneAnnounced) {
          doneAnnounced = count.done;
          tell(count.text);
        }
      }
    } catch {
      // A network blip: keep following.
    }
    followTimer = setTimeout(tick, IMPORT_POLL_MS);
  };
  followTimer = setTimeout(tick, IMPORT_POLL_MS);
}

/**
 * Follows what the page shows that can still change: an import, or a pending session (our server asks Google at most
 * once per pollInterval).
 */
function follow() {
  clearTimeout(followTimer);
  clearTimeout(announceTimer);
  const importing = document.querySelector('[data-session][data-import="starting"], [data-session][data-import="running"]');
  if (importing) {
    followImport(importing);
    return;
  }
  const card = document.querySelector('[data-session][data-status="pending"]');
  if (!card) return;
  const id = card.getAttribute('data-session');
  const interval = Math.max(1000, Number(card.getAttribute('data-poll-interval')) || 5000);
  let polls = 0;
  const tick = async () => {
    polls += 1;
    try {
      const response = await fetch(`/sessions/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      const body = response.ok ? await response.json() : { status: 'error' };
      if (body.status === 'complete' || body.status === 'expired' || polls % Math.ceil(60000 / interval) === 0) {
        await swapInPage(window.location.pathname);
        const heading = main().querySelector('h1');
        if (body.status !== 'pending' && heading) {
          announce(heading.textContent ?? '');
          heading.setAttribute('tabindex', '-1');
          heading.focus();
        }
        if (body.status !== 'pending' && pickerWindow && !pickerWindow.closed) pickerWindow.close();
        return;
      }
    } catch {
      // A network blip: keep following.
    }
    followTimer = setTimeout(tick, interval);
  };
  followTimer = setTimeout(tick, interval);
}

/** In a host app's popup: tells the app's window (at the return_to origin only) which pick this is and how it stands. */
function tellOpener() {
  const pick = document.querySelector('[data-pick-popup]');
  if (!pick || !window.opener || window.opener.closed) return false;
  window.opener.postMessage(JSON.parse(pick.dataset.pickMessage), pick.dataset.pickOrigin);
  return true;
}

/** The end of a host app's pick: a popup posts the outcome and closes; anywhere else the user goes back to the app. */
function endPick() {
  const end = document.querySelector('[data-pick-end]');
  if (!end) return;
  if (tellOpener()) window.close();
  else leave(end.dataset.pickReturn, { replace: true });
}

window.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (link && !event.defaultPrevented && !link.target && !link.getAttribute('href').startsWith('#')) leaving = true;
});
// On window, so it runs after the pick form's handler, which keeps the page when it opens the picker itself.
window.addEventListener('submit', (event) => {
  if (!event.defaultPrevented) leaving = true;
});
window.addEventListener('pageshow', () => {
  leaving = false;
});
window.addEventListener('pagehide', () => {
  const pick = document.querySelector('[data-pick-cancel-on-close]');
  if (pick && !leaving) navigator.sendBeacon(pick.dataset.pickCancelOnClose, new URLSearchParams({ _csrf: csrfToken() }));
});

window.addEventListener('popstate', () => {
  leaving = true;
  window.location.reload();
});
tellOpener();
endPick();
follow();
