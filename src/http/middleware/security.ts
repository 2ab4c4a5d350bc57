/**
 * Security headers: helmet with a per-request CSP nonce and no inline
 * scripts or styles without it. form-action also names the origins a browser
 * passes through after POST /sessions redirects it to the pickerUri, because
 * Chromium and Safari apply form-action to the redirects that end a form POST.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
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
    // The page keeps a handle on the picker window it opened, to close it when picking is done.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
    // HSTS only where the public URL is https; on http it would lock browsers out of local trials.
    strictTransportSecurity: config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form POSTs, which the CSRF
    // check needs; nothing is ever sent to another site (RFC 9700 §4.2.4).
    referrerPolicy: { policy: 'same-origin' },
  });
  return [assignNonce, headers];
}
