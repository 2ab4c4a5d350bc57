/**
 * Security headers: helmet with a per-request CSP nonce and no inline
 * scripts or styles without it. form-action also names the origins a browser
 * passes through after POST /sessions redirects it to the pickerUri, because
 * Chromium and Safari apply form-action to the redirects that end a form POST.
 *
 * A host app's popup (embed.js) must keep its opener from the first request to
 * the last page, or the end of the pick cannot be posted back: browsers sever
 * the opener on any response of the chain, redirects included, whose
 * Cross-Origin-Opener-Policy differs from the opener's. So COOP goes on the
 * pages alone (views.ts), never on redirects (they make no document of ours
 * for it to protect), and the pages of a popup pick relax it (keepOpener).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { Config } from '../../config.ts';

const nonceOf = (_req: IncomingMessage, res: ServerResponse) => `'nonce-${(res as { locals?: { cspNonce?: string } }).locals?.cspNonce}'`;

export function securityHeaders(config: Config): RequestHandler[] {
  const assignNonce: RequestHandler = (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64'); // 128 bits, fresh for every request
    next();
  };
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", nonceOf],
        styleSrc: ["'self'", nonceOf],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'", ...config.google.browserOrigins],
        ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Set per page instead (setPageOpenerPolicy): a redirect must carry none.
    crossOriginOpenerPolicy: false,
    // HSTS only where the public URL is https; on http it would lock browsers out of local trials.
    strictTransportSecurity: config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form POSTs, which the CSRF
    // check needs; nothing is ever sent to another site (RFC 9700 §4.2.4).
    referrerPolicy: { policy: 'same-origin' },
  });
  return [assignNonce, headers];
}

const COOP = 'Cross-Origin-Opener-Policy';

/** A page of ours: it keeps a handle on the picker window it opens, to close it when picking is done. */
export function setPageOpenerPolicy(res: Response): void {
  if (!res.hasHeader(COOP)) res.setHeader(COOP, 'same-origin-allow-popups');
}

/** This page may be a host app's popup: it keeps its opener, the app's page, to post the pick's end to it. */
export function keepOpener(res: Response): void {
  res.setHeader(COOP, 'unsafe-none');
}

/** This page has a form whose answer redirects to `origin` (a host app's return_to, after Cancel). */
export function allowFormRedirectTo(res: Response, origin: string): void {
  const csp = res.getHeader('Content-Security-Policy');
  if (typeof csp !== 'string') return;
  const directives = csp.split(';').map((directive) => (directive.trim().startsWith('form-action ') ? `${directive} ${origin}` : directive));
  res.setHeader('Content-Security-Policy', directives.join(';'));
}
