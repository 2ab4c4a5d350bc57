/*! Photos Picker Gateway embed.js v2
 *
 * PhotosPickerGateway.pick({ request, app?, onProgress? }): Promise<{ pick: string | null, status: Status, state: string | null }>
 *   Status: 'done' | 'partial' | 'failed' | 'cancelled' | 'expired'
 *
 *   request     the app's signed pick request (the JWT that GET /pick takes), or a promise of it: sign it on your
 *               server, for example `fetch('/photos/request').then((r) => r.text())`. One request, one pick.
 *   app         optional: the app id. By default the request's `iss` claim (read, not verified: the gateway verifies).
 *   onProgress  optional: called with { pick, status, items } whenever the pick moves on, status 'picking' or
 *               'importing', items { total, done, failed } once the import has counted them (else null).
 *
 * Call it inside the click (or key) handler itself, before any await: it opens the popup at once, so blockers
 * allow it. The popup is the gateway's page (sign-in if needed, then the app's request, Continue or Cancel); at
 * Continue it becomes Google Photos itself, which closes it after Done. There are never more than two windows:
 * this page and the popup. From then on this script follows the pick from here: the popup's page hands it the
 * pick's ticket (posted to the return_to origin only, held in memory here, never stored), with which it asks the
 * gateway how the pick goes (GET /picks/{pick}/progress, the ticket in a Pick-Ticket header, no cookies). The
 * promise resolves with { pick, status, state } when the pick ends, as the full-page flow would bring back to
 * return_to. A popup closed before Continue resolves 'cancelled' (the gateway cancels the pick); one closed at
 * Google (Done, or the person closed it) has the gateway ask Google once whether anything was picked: nothing,
 * and it resolves 'cancelled'; something, and it resolves when the import ends. (A popup that reads closed within
 * 5 s of leaving for Google was put out of this page's reach by Google's page, not closed: that pick is followed to
 * its end, never settled.) The webhook and GET /api/v1/picks/{pick} always have the final word.
 *
 * The app's CSP needs the gateway's origin in script-src and in connect-src. Without connect-src (a page that
 * cannot reach the gateway) this script runs the pick as v1 did: the popup opens Google Photos beside itself and
 * follows the pick to its end, then posts the outcome here.
 *
 * Rejects with an Error named 'PopupBlockedError' when the browser opens no popup (then send the user through
 * the full-page link instead), and with a TypeError for a missing request. While a pick runs, calling pick()
 * again focuses its popup and answers the same promise.
 *
 * Load it as a classic script from the gateway (its origin is the one messages are accepted from):
 *   <script src="https://gateway.example/embed/v2.js" integrity="sha384-…" crossorigin="anonymous"></script>
 * /embed/v2.js is cached for a year and its bytes never change within v2, so it can be pinned with Subresource
 * Integrity; compute the hash from the file you reviewed:
 *   curl -s https://gateway.example/embed/v2.js | openssl dgst -sha384 -binary | openssl base64 -A
 * /embed.js serves the current version with a one-day cache, for those who do not pin. /embed/v1.js stays as it
 * was, for pages that pinned it.
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

  var TICKET = /^[A-Za-z0-9_-]{43}$/;
  /** How often the pick is asked after, while the person picks and while the import runs. */
  var PICKING_POLL_MS = 2000;
  var IMPORT_POLL_MS = 1000;
  /** The longest wait between two questions when the gateway does not answer (a network blip, a deploy). */
  var MAX_BACKOFF_MS = 30000;
  /**
   * A popup that reads closed this soon after it left for Google has not been closed by anyone: a page that sends a
   * Cross-Origin-Opener-Policy of its own moves the window out of this page's reach, which then reads it as closed
   * while the person picks on. Nobody opens the picker, chooses and presses Done this fast; such a pick is not
   * settled (that would cancel it), only followed, and ends with its import or when its Picker session runs out.
   */
  var OUT_OF_REACH_WITHIN_MS = 5000;

  /** A message from the gateway's page about this pick, or null for anything else. */
  function pickMessage(data) {
    if (!data || typeof data !== 'object' || data.source !== SOURCE) return null;
    if (typeof data.pick !== 'string' || !PICK_ID.test(data.pick)) return null;
    if (data.type === 'picking') return typeof data.ticket === 'string' && TICKET.test(data.ticket) ? { pick: data.pick, ticket: data.ticket } : null;
    if (ENDED.indexOf(data.status) === -1 && UNDER_WAY.indexOf(data.status) === -1) return null;
    if (data.state !== null && (typeof data.state !== 'string' || data.state.length > 512)) return null;
    return { pick: data.pick, status: data.status, state: data.state };
  }

  function features() {
    var left = Math.max(0, Math.round(window.screenX + (window.outerWidth - WIDTH) / 2));
    var top = Math.max(0, Math.round(window.screenY + (window.outerHeight - HEIGHT) / 2));
    return 'popup,width=' + WIDTH + ',height=' + HEIGHT + ',left=' + left + ',top=' + top;
  }

  /** True when this page may call the gateway (its CSP's connect-src names it): then the popup can become the picker. */
  function canReachGateway() {
    return fetch(script.src, { method: 'HEAD', mode: 'cors', credentials: 'omit', cache: 'no-store' }).then(
      function (response) { return response.ok; },
      function () { return false; },
    );
  }

  /** Asks the gateway about the pick with its ticket: GET its progress, or POST to settle it once the popup closed. */
  function ask(pickId, ticket, method) {
    var path = '/picks/' + encodeURIComponent(pickId) + (method === 'POST' ? '/settle' : '/progress');
    return fetch(gateway + path, { method: method, mode: 'cors', credentials: 'omit', cache: 'no-store', headers: { 'Pick-Ticket': ticket } }).then(function (response) {
      if (!response.ok) throw new Error('The gateway answered ' + response.status + '.');
      return response.json();
    });
  }

  function pick(options) {
    var request = options && options.request;
    if (typeof request !== 'string' && !(request && typeof request.then === 'function')) {
      return Promise.reject(new TypeError('PhotosPickerGateway.pick: request must be the signed request or a promise of it.'));
    }
    var onProgress = options && typeof options.onProgress === 'function' ? options.onProgress : null;
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
    var reachable = canReachGateway();
    var flow = { popup: popup, promise: null };
    running = flow;
    flow.promise = new Promise(function (resolve, reject) {
      var known = { pick: null, state: null, ticket: null, handedAt: 0 };
      var timer = 0;
      var closedAt = 0;
      var following = { timer: 0, busy: false, settle: false, failures: 0, last: '', done: false };

      function finish(result, error) {
        if (following.done) return;
        following.done = true;
        window.removeEventListener('message', onMessage);
        clearInterval(timer);
        clearTimeout(following.timer);
        if (running === flow) running = null;
        if (!popup.closed) popup.close();
        if (error) reject(error);
        else resolve(result);
      }

      function progressed(answer) {
        var seen = answer.status + ':' + JSON.stringify(answer.items);
        if (!onProgress || seen === following.last || UNDER_WAY.indexOf(answer.status) === -1) return;
        following.last = seen;
        try {
          onProgress({ pick: answer.pick, status: answer.status, items: answer.items });
        } catch (error) {
          setTimeout(function () { throw error; }); // the app's callback failing is the app's to see, not the pick's end
        }
      }

      /** Follows the pick with its ticket until it ends; the first question after the popup closed settles it. */
      function follow() {
        if (following.done || following.busy) return;
        following.busy = true;
        clearTimeout(following.timer);
        var settling = following.settle;
        ask(known.pick, known.ticket, settling ? 'POST' : 'GET').then(function (answer) {
          following.busy = false;
          following.failures = 0;
          if (settling) following.settle = false;
          if (answer.ended) {
            finish({ pick: answer.ended.pick, status: answer.ended.status, state: answer.ended.state });
            return;
          }
          progressed(answer);
          // A settle asked for while this question was on its way goes at once.
          following.timer = setTimeout(follow, following.settle ? 0 : answer.status === 'importing' ? IMPORT_POLL_MS : PICKING_POLL_MS);
        }, function () {
          following.busy = false;
          following.failures += 1;
          following.timer = setTimeout(follow, Math.min(MAX_BACKOFF_MS, IMPORT_POLL_MS * Math.pow(2, following.failures)));
        });
      }

      function onMessage(event) {
        if (event.origin !== gateway || event.source !== popup) return;
        var message = pickMessage(event.data);
        if (!message) return;
        known.pick = message.pick;
        if (message.ticket) {
          if (known.ticket) return;
          known.ticket = message.ticket;
          known.handedAt = Date.now();
          follow();
        } else if (ENDED.indexOf(message.status) !== -1) finish(message);
      }

      window.addEventListener('message', onMessage);
      timer = setInterval(function () {
        if (!popup.closed) return;
        if (!closedAt) closedAt = Date.now();
        else if (Date.now() - closedAt < CLOSED_GRACE_MS) return;
        clearInterval(timer);
        if (!known.ticket) {
          finish({ pick: known.pick, status: 'cancelled', state: known.state });
          return;
        }
        if (closedAt - known.handedAt < OUT_OF_REACH_WITHIN_MS) return; // out of reach, not closed: keep following
        // Done at Google, or its window closed by the person: the gateway asks Google once which it was.
        following.settle = true;
        follow();
      }, CLOSED_POLL_MS);

      Promise.all([request, reachable]).then(function (both) {
        var jwt = both[0];
        if (typeof jwt !== 'string' || jwt.length === 0) throw new TypeError('PhotosPickerGateway.pick: the request is not a signed request.');
        var claims = claimsOf(jwt);
        known.state = typeof claims.state === 'string' ? claims.state : null;
        var app = (options && options.app) || claims.iss;
        if (typeof app !== 'string' || app.length === 0) throw new TypeError('PhotosPickerGateway.pick: no app id (give app, or sign the request with iss).');
        if (popup.closed) return;
        popup.location.href = gateway + '/pick?app=' + encodeURIComponent(app) + '&request=' + encodeURIComponent(jwt) + '&mode=popup' + (both[1] ? '&embed=2' : '');
      }).catch(function (error) {
        finish(null, error);
      });
    });
    return flow.promise;
  }

  window.PhotosPickerGateway = Object.freeze({ version: 2, origin: gateway, pick: pick });
})();
