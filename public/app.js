// Photos Picker Gateway: progressive enhancement only. Every page works without this script.
//
// 1. "Pick photos" opens the picker window at once, inside the click (popup blockers allow that),
//    creates the session through the JSON API, then sends the window to pickerUri + "/autoclose".
// 2. A pending session page follows the session and turns into the results without a reload. It checks at once when
//    the picker window closes (Done with /autoclose closes it) or this page comes back into view, and says so.
// 3. A session being imported moves its bars from GET /sessions/{id}/import about once a second, says how far it
//    has got in the live region now and then (not at every byte), and turns into the imported items when it ends.
// 4. A host app's pick: Continue works as "Pick photos" (through the pick's own endpoint); a page that the server
//    answers with a redirect (the pick has ended) is left for real, and the server sends the user back to the app.
//    In a popup (embed.js) each page tells the app's window how the pick stands, at the return_to origin only; the
//    last page posts the outcome and closes; closing the popup before the import cancels the pick (a beacon).
//    An in-place popup (embed.js v2) hands the app's window the pick's ticket at Continue and becomes the picker.

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
let pickerWatch = 0;
/** Set by the pending page's follower: check the session now (the picker window has closed, or the page is back). */
let checkNow = null;

/** Keeps an eye on the picker window: the moment it closes, the pending page checks (and says it does). */
function watchPicker(win) {
  pickerWindow = win;
  clearInterval(pickerWatch);
  pickerWatch = setInterval(() => {
    if (pickerWindow && !pickerWindow.closed) return;
    clearInterval(pickerWatch);
    pickerWindow = null;
    checkNow?.({ pickerClosed: true });
  }, 250);
}
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

/**
 * Creates the Picker session a pick form asks for, through the JSON API: its body, or null when the sign-in has
 * ended (the page is then on its way to sign in again; leaving closes the picker window).
 */
async function postPickForm(form) {
  const max = form.querySelector('input[name="maxItemCount"]')?.value;
  const response = await fetch(form.dataset.pickEndpoint ?? '/sessions', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
    body: JSON.stringify(max ? { maxItemCount: Number(max) } : {}),
  });
  const body = await response.json();
  if (response.status === 401) {
    leave(`/auth/google?return_to=${encodeURIComponent(window.location.pathname)}`);
    return null;
  }
  if (response.status !== 201) throw Object.assign(new Error(body.title ?? 'error'), { problem: body });
  return body;
}

/**
 * An in-place popup (embed.js v2): the app's window gets the pick's ticket, to follow the pick from its own page,
 * and this window becomes Google's picker, which closes itself after Done. Two windows at most, never three.
 */
function handOver(pick, body) {
  if (!body.ticket) throw new Error('no ticket');
  const message = JSON.parse(pick.dataset.pickMessage);
  window.opener.postMessage({ source: message.source, type: 'picking', pick: message.pick, ticket: body.ticket }, pick.dataset.pickOrigin);
  leave(autocloseUrl(body.pickerUri), { replace: true });
}

async function startPicking(form, event) {
  const inPlace = document.querySelector('[data-pick-in-place]');
  const handsOver = Boolean(inPlace && form.dataset.pickEndpoint && window.opener && !window.opener.closed);
  const popup = handsOver ? null : window.open('about:blank', 'google-photos-picker', 'popup,width=960,height=720');
  if (!handsOver && !popup) return; // blocked: let the form post normally (303 to the picker)
  event.preventDefault();
  if (popup) watchPicker(popup);
  const status = form.querySelector('[data-pick-status]') ?? document.querySelector('[data-pick-status]');
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    const body = await postPickForm(form);
    if (!body) return;
    if (!popup) {
      handOver(inPlace, body);
      return;
    }
    popup.location.href = autocloseUrl(body.pickerUri);
    await swapInPage(`/sessions/${encodeURIComponent(body.id)}`, { push: true });
  } catch (error) {
    popup?.close();
    pickerWindow = null;
    showProblem(status, error.problem ?? { title: error.message });
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * What went wrong and what to do, as the page without script says it: the problem's title, its advice, its way on.
 * The status element is a polite live region, so all of it is read out.
 */
function showProblem(status, problem) {
  const parts = [];
  const title = document.createElement('strong');
  title.textContent = problem.title ?? '';
  parts.push(title);
  if (problem.advice) parts.push(document.createTextNode(` ${problem.advice}`));
  for (const action of (problem.actions ?? []).filter((action) => action.href !== window.location.pathname)) {
    const link = document.createElement('a');
    link.href = action.href;
    link.textContent = action.label;
    parts.push(document.createTextNode(' '), link);
  }
  if (status) {
    status.classList.add('problem');
    status.replaceChildren(...parts);
  } else announce(parts.map((part) => part.textContent).join(''));
}

// With script, Open Google Photos opens the picker as startPicking does, so this page can tell when it closes.
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-picker-link]') : null;
  if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const win = window.open(link.href, 'google-photos-picker', 'popup,width=960,height=720');
  if (!win) return; // blocked: the link opens a tab as it would without script
  event.preventDefault();
  watchPicker(win);
});

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

/** An item's bar: bytes copied of its size once known. As src/http/import-view.ts. */
function barOf(item) {
  if (item.totalBytes) return { value: item.status === 'copying' ? Math.min(item.bytes, item.totalBytes) : item.status === 'queued' ? 0 : item.totalBytes, max: item.totalBytes };
  return { value: fractionOf(item), max: 1 };
}

/** A copy this large, running this long, also says how fast it goes and how long it has left (as import-view.ts). */
const LARGE_ITEM_BYTES = 5_000_000;
const RATE_AFTER_MS = 2_000;

/** Sizes, rates and durations in the page's language and digits. As quantities() in src/http/import-view.ts. */
function quantities(lang) {
  const unit = (name, digits) => new Intl.NumberFormat(lang, { style: 'unit', unit: name, maximumFractionDigits: digits });
  const scale = (bytes) => (bytes >= 1e9 ? ['gigabyte', 1e9] : bytes >= 1e6 ? ['megabyte', 1e6] : bytes >= 1e3 ? ['kilobyte', 1e3] : ['byte', 1]);
  return {
    bytes(bytes) {
      const [name, size] = scale(bytes);
      // "0 bytes", not "0 byte": under a kilobyte the unit is spelled out.
      if (size === 1) return new Intl.NumberFormat(lang, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(bytes);
      return unit(name, 1).format(bytes / size);
    },
    rate(bytesPerSecond) {
      const [name, size] = scale(bytesPerSecond);
      return unit(`${name}-per-second`, 1).format(bytesPerSecond / size);
    },
    duration(ms) {
      const seconds = Math.max(1, Math.ceil(ms / 1000));
      return seconds < 60
        ? new Intl.NumberFormat(lang, { style: 'unit', unit: 'second', unitDisplay: 'long' }).format(seconds)
        : new Intl.NumberFormat(lang, { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(Math.ceil(seconds / 60));
    },
  };
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

/** The text beside an item's bar; the rate is measured between this page's own polls (since the copy began here). */
function itemText(texts, item, format, seen) {
  if (item.status !== 'copying') return item.status === 'queued' ? texts.textQueued : texts.textDone;
  if (!item.totalBytes) return texts.textCopying;
  const values = { copied: format.amount.bytes(item.bytes), total: format.amount.bytes(item.totalBytes) };
  const first = seen.get(item.id) ?? seen.set(item.id, { at: Date.now(), bytes: item.bytes }).get(item.id);
  const elapsed = Date.now() - first.at;
  const perSecond = elapsed > 0 ? ((item.bytes - first.bytes) * 1000) / elapsed : 0;
  if (item.totalBytes >= LARGE_ITEM_BYTES && elapsed >= RATE_AFTER_MS && perSecond > 0) {
    return fill(texts.textCopyingRate, { ...values, rate: format.amount.rate(perSecond), left: format.amount.duration(((item.totalBytes - item.bytes) / perSecond) * 1000) });
  }
  return fill(texts.textCopyingBytes, values);
}

/** Moves the bars; answers the overall share copied, from 0 to 1. */
function showImport(card, body, format, seen) {
  const texts = card.querySelector('.import')?.dataset ?? {};
  const rows = new Map([...card.querySelectorAll('[data-item-id]')].map((row) => [row.getAttribute('data-item-id'), row]));
  let overall = 0;
  for (const item of body.items) {
    overall += fractionOf(item) ?? 0;
    const row = rows.get(item.id);
    const bar = row?.querySelector('progress');
    if (!bar) continue;
    row.setAttribute('data-item-status', item.status);
    const { value, max } = barOf(item);
    bar.max = max;
    if (value === null) bar.removeAttribute('value');
    else bar.value = value;
    setText(row.querySelector('[data-status-text]'), itemText(texts, item, format, seen));
  }
  const bar = card.querySelector('[data-overall]');
  if (bar && body.items.length > 0) {
    bar.max = body.items.length;
    bar.value = overall;
  }
  return body.items.length > 0 ? overall / body.items.length : 0;
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
  const format = { number: new Intl.NumberFormat(lang), percent: new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }), amount: quantities(lang) };
  const seen = new Map();
  const texts = card.querySelector('.import')?.dataset ?? {};
  let doneAnnounced = card.querySelectorAll('[data-item-status="done"]').length;
  /** Quarters of the whole import: each one reached is said once, politely. */
  let milestone = -1;
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
        const share = showImport(card, body, format, seen);
        const count = countText(card, body, format);
        setText(card.querySelector('[data-count]'), count.text);
        const quarter = Math.floor(share * 4);
        if (milestone < 0) milestone = quarter;
        if (count.done !== doneAnnounced) {
          doneAnnounced = count.done;
          milestone = Math.max(milestone, quarter);
          tell(count.text);
        } else if (quarter > milestone && quarter < 4) {
          milestone = quarter;
          tell(fill(texts.textMilestone, { percent: format.percent.format(quarter / 4) }));
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
  checkNow = null;
  const importing = document.querySelector('[data-session][data-import="starting"], [data-session][data-import="running"]');
  if (importing) {
    followImport(importing);
    return;
  }
  const card = document.querySelector('[data-session][data-status="pending"]');
  if (!card) return;
  const id = card.getAttribute('data-session');
  const interval = Math.max(1000, Number(card.getAttribute('data-poll-interval')) || 5000);
  const state = card.querySelector('[data-picker-state]');
  const renderedAt = Date.now();
  let running = false;
  /** Checks left after the picker closed before the page says what to do if it was closed without Done. */
  let afterClose = 0;
  const tick = async () => {
    if (running) return;
    running = true;
    clearTimeout(followTimer);
    try {
      const response = await fetch(`/sessions/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      const body = response.ok ? await response.json() : { status: 'error' };
      // Once a minute a pending page is rendered afresh, for its time left.
      if (body.status === 'complete' || body.status === 'expired' || Date.now() - renderedAt >= 60000) {
        running = false;
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
      // Our server asks Google at most once per pollInterval: the check right after the close may predate the Done.
      if (afterClose > 0 && --afterClose === 0 && state) {
        setText(state, state.dataset.textNotYet);
        announce(state.dataset.textNotYet);
      }
    } catch {
      // A network blip: keep following.
    }
    running = false;
    followTimer = setTimeout(tick, interval);
  };
  let lastNudge = 0;
  checkNow = ({ pickerClosed = false } = {}) => {
    if (pickerClosed && state) {
      // Said at once: the person pressed Done (or closed the window) and sees it was noticed.
      afterClose = 2;
      setText(state, state.dataset.textChecking);
      announce(state.dataset.textChecking);
    } else if (Date.now() - lastNudge < 1000) return;
    lastNudge = Date.now();
    void tick();
  };
  followTimer = setTimeout(tick, interval);
}

// Back on this page (from the picker's tab or window): check at once rather than at the next interval.
window.addEventListener('focus', () => checkNow?.());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') checkNow?.();
});

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
