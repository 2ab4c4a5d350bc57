// The print shop's only script, progressive enhancement on top of plain links:
// the popup button (when the gateway's embed.js has loaded), with the import's
// progress under it, and, on a pick's page, a watch that reloads it once the
// gateway's status changes.

const popupButton = document.querySelector('[data-popup-pick]');
const popupStatus = document.querySelector('[data-popup-status]');

/** A fresh signed request for the next click: each is single-use and lives 5 minutes. */
async function rearm() {
  const response = await fetch('/import/request', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET /import/request answered ${response.status}`);
  popupButton.dataset.request = (await response.json()).request;
}

if (popupButton && typeof window.PhotosPickerGateway?.pick === 'function') {
  popupButton.hidden = false;
  setInterval(() => rearm().catch(() => undefined), 4 * 60_000);
  popupButton.addEventListener('click', async () => {
    // pick() opens the popup right away, inside this click, so popup blockers let it through. Once the customer is
    // at Google, the popup is Google Photos itself and closes after Done; this page follows the import (onProgress).
    const picked = window.PhotosPickerGateway.pick({ request: popupButton.dataset.request, app: popupButton.dataset.app, onProgress: showProgress });
    popupButton.disabled = true;
    popupStatus.textContent = 'Continue in the popup window.';
    try {
      const result = await picked;
      if (result?.pick && result.status !== 'cancelled') {
        // The same return as the full-page flow, so the server checks the state either way.
        location.assign(`/return?${new URLSearchParams({ pick: result.pick, status: result.status ?? '', state: result.state ?? '' })}`);
        return;
      }
      popupStatus.textContent = 'The import was cancelled.';
    } catch {
      popupStatus.textContent = 'The popup could not be opened. Use “Import from Google Photos” instead.';
    }
    await rearm().catch(() => undefined);
    popupButton.disabled = false;
  });
}

const photos = (count) => `${count} photo${count === 1 ? '' : 's'}`;

/** What embed.js says of the pick once the customer is at Google: the line under the buttons follows the import. */
function showProgress({ status, items }) {
  if (status === 'picking') popupStatus.textContent = 'Choose your photos in the Google Photos window, then press Done there.';
  else if (status === 'importing' && items) {
    popupStatus.textContent = `Importing ${photos(items.total)}… ${items.done + items.failed} of ${items.total} done.`;
  } else if (status === 'importing') popupStatus.textContent = 'Importing your photos…';
}

// The gateway's consent page in the popup tells this window how the pick stands (embed.js listens to the same
// messages). An embed.js v1 still in the browser's cache keeps the popup open to the end and says nothing through
// onProgress: then these lines are all there is.
const UNDER_WAY = {
  pending: 'Sign in and confirm in the popup window.',
  picking: 'Choose your photos in the Google Photos window, then press Done there.',
  importing: 'Your photos are being copied: the popup shows how far it has got. This page goes on by itself when it is done.',
};
if (popupStatus && window.PhotosPickerGateway) {
  window.addEventListener('message', (event) => {
    if (event.origin !== window.PhotosPickerGateway.origin || event.data?.source !== 'photos-picker-gateway') return;
    const text = UNDER_WAY[event.data.status]; // v2's hand-over message (type "picking") has no status: onProgress says it
    if (text && popupButton?.disabled) popupStatus.textContent = text;
  });
}

const pickStatus = document.querySelector('[data-pick-status]');
if (pickStatus) {
  const watch = async () => {
    try {
      const response = await fetch(`/picks/${encodeURIComponent(pickStatus.dataset.pick)}/status`, { headers: { accept: 'application/json' } });
      const { status } = await response.json();
      if (status && status !== pickStatus.dataset.pickStatus) return location.reload();
    } catch {
      // the shop or the gateway is away for a moment: try again
    }
    setTimeout(watch, 2000);
  };
  setTimeout(watch, 2000);
}
