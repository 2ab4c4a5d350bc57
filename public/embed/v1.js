/*! Photos Picker Gateway embed.js v1
 *
 * PhotosPickerGateway.pick({ request, app? }): Promise<{ pick: string | null, status: Status, state: string | null }>
 *   Status: 'done' | 'partial' | 'failed' | 'cancelled' | 'expired'
 *
 *   request  the app's signed pick request (the JWT that GET /pick takes), or a promise of it: sign it on your
 *            server, for example `fetch('/photos/request').then((r) => r.text())`. One request, one pick.
 *   app      optional: the app id. By default the request's `iss` claim (read, not verified: the gateway verifies).
 *
 * Call it inside the click (or key) handler itself, before any await: it opens the popup at once, so blockers
 * allow it. The popup runs the same flow as the full-page link (sign-in, consent, Google Photos, the import),
 * with `&mode=popup`; at its end the gateway's page posts { pick, status, state } to this window, to the
 * return_to origin only, and closes. The promise resolves with it. A popup the user closes resolves with
 * status 'cancelled' (and the pick id, once the popup has told it); a pick the user had not confirmed yet is
 * cancelled at the gateway too. After Done in Google Photos the import carries on even then: the webhook and
 * GET /api/v1/picks/{pick} always have the final word.
 *
 * Rejects with an Error named 'PopupBlockedError' when the browser opens no popup (then send the user through
 * the full-page link instead), and with a TypeError for a missing request. While a pick runs, calling pick()
 * again focuses its popup and answers the same promise.
 *
 * Load it as a classic script from the gateway (its origin is the one messages are accepted from):
 *   <script src="https://gateway.example/embed/v1.js" integrity="sha384-…" crossorigin="anonymous"></script>
 * /embed/v1.js is cached for a year and its bytes never change within v1, so it can be pinned with Subresource
 * Integrity; compute the hash from the file you reviewed:
 *   curl -s https://gateway.example/embed/v1.js | openssl dgst -sha384 -binary | openssl base64 -A
 * /embed.js serves the current version with a one-day cache, for those who do not pin. The app's own CSP needs
 * the gateway's origin in script-src and nothing else (postMessage needs no CSP).
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || !script.src) throw new Error('Photos Picker Gateway: load embed.js with a classic <script src>.');
  var gateway = new URL(script.src).origin;

  var SOURCE = 'photos-picker-gateway';
  var ENDED = ['done', 'partial', 'failed', 'cancelled', 'expired'];
  var UNDER_WAY = ['pending', 'picking', 'importing'];
  var PICK_ID = /^[A-Za-z0-9_-]{22}$/;
  var WIDTH = 520;
  var HEIGHT = 720;
  /** How long a closed popup's last message may still be on its way before the pick counts as cancelled. */
  var CLOSED_GRACE_MS = 300;
  var CLOSED_POLL_MS = 250;

  var running = null;

  /** The claims of a JWT, unverified: only to learn the app id and the state to hand back. */
  function claimsOf(jwt) {
    try {
      var part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      var binary = atob(part + '==='.slice((part.length + 3) % 4));
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
      var claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === 'object' ? claims : {};
    } catch (error) {
      return {};
    }
  }

  /** A message from the gateway's page about this pick, or null for anything else. */
  function pickMessage(data) {
    if (!data || typeof data !== 'object' || data.source !== SOURCE) return null;
    if (typeof data.pick !== 'string' || !PICK_ID.test(data.pick)) return null;
    if (ENDED.indexOf(data.status) === -1 && UNDER_WAY.indexOf(data.status) === -1) return null;
    if (data.state !== null && (typeof data.state !== 'string' || data.state.length > 512)) return null;
    return { pick: data.pick, status: data.status, state: data.state };
  }

  function features() {
    var left = Math.max(0, Math.round(window.screenX + (window.outerWidth - WIDTH) / 2));
    var top = Math.max(0, Math.round(window.screenY + (window.outerHeight - HEIGHT) / 2));
    return 'popup,width=' + WIDTH + ',height=' + HEIGHT + ',left=' + left + ',top=' + top;
  }

  function pick(options) {
    var request = options && options.request;
    if (typeof request !== 'string' && !(request && typeof request.then === 'function')) {
      return Promise.reject(new TypeError('PhotosPickerGateway.pick: request must be the signed request or a promise of it.'));
    }
    if (running) {
      running.popup.focus();
      return running.promise;
    }
    // Opened here, in the click: a popup opened after an await is blocked.
    var popup = window.open('', SOURCE, features());
    if (!popup) {
      var blocked = new Error('The browser blocked the popup.');
      blocked.name = 'PopupBlockedError';
      return Promise.reject(blocked);
    }
    var flow = { popup: popup, promise: null };
    running = flow;
    flow.promise = new Promise(function (resolve, reject) {
      var known = { pick: null, state: null };
      var timer = 0;
      var closedAt = 0;

      function finish(result, error) {
        window.removeEventListener('message', onMessage);
        clearInterval(timer);
        if (running === flow) running = null;
        if (!popup.closed) popup.close();
        if (error) reject(error);
        else resolve(result);
      }

      function onMessage(event) {
        if (event.origin !== gateway || event.source !== popup) return;
        var message = pickMessage(event.data);
        if (!message) return;
        known.pick = message.pick;
        if (ENDED.indexOf(message.status) !== -1) finish(message);
      }

      window.addEventListener('message', onMessage);
      timer = setInterval(function () {
        if (!popup.closed) return;
        if (!closedAt) closedAt = Date.now();
        else if (Date.now() - closedAt >= CLOSED_GRACE_MS) finish({ pick: known.pick, status: 'cancelled', state: known.state });
      }, CLOSED_POLL_MS);

      Promise.resolve(request).then(function (jwt) {
        if (typeof jwt !== 'string' || jwt.length === 0) throw new TypeError('PhotosPickerGateway.pick: the request is not a signed request.');
        var claims = claimsOf(jwt);
        known.state = typeof claims.state === 'string' ? claims.state : null;
        var app = (options && options.app) || claims.iss;
        if (typeof app !== 'string' || app.length === 0) throw new TypeError('PhotosPickerGateway.pick: no app id (give app, or sign the request with iss).');
        if (popup.closed) return;
        popup.location.href = gateway + '/pick?app=' + encodeURIComponent(app) + '&request=' + encodeURIComponent(jwt) + '&mode=popup';
      }).catch(function (error) {
        finish(null, error);
      });
    });
    return flow.promise;
  }

  window.PhotosPickerGateway = Object.freeze({ version: 1, origin: gateway, pick: pick });
})();
