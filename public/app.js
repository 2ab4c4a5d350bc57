// Photos Picker Gateway: progressive enhancement only. Every page works without this script.
//
// 1. "Pick photos" opens the picker window at once, inside the click (popup blockers allow that),
//    creates the session through the JSON API, then sends the window to pickerUri + "/autoclose".
// 2. A pending session page follows the session and turns into the results without a reload.

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

async function swapInPage(url, { push = false } = {}) {
  const response = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
  if (!response.ok && response.status !== 200) throw new Error(String(response.status));
  const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
  const next = doc.getElementById('main');
  const meta = doc.querySelector('meta[name="csrf-token"]');
  if (!next) throw new Error('no main');
  main().replaceChildren(...next.childNodes);
  if (meta) document.querySelector('meta[name="csrf-token"]')?.setAttribute('content', meta.content);
  document.title = doc.title;
  if (push) history.pushState({}, '', url);
  follow();
}

async function startPicking(form, event) {
  const popup = window.open('about:blank', 'google-photos-picker', 'popup,width=960,height=720');
  if (!popup) return; // blocked: let the form post normally (303 to the picker)
  event.preventDefault();
  pickerWindow = popup;
  const status = form.querySelector('[data-pick-status]');
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  const max = form.querySelector('input[name="maxItemCount"]')?.value;
  try {
    const response = await fetch('/sessions', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
      body: JSON.stringify(max ? { maxItemCount: Number(max) } : {}),
    });
    const body = await response.json();
    if (response.status === 401) {
      popup.close();
      window.location.assign('/auth/google?return_to=/');
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

/** Follows a pending session: asks our server (which asks Google at most once per pollInterval). */
function follow() {
  clearTimeout(followTimer);
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

window.addEventListener('popstate', () => window.location.reload());
follow();
