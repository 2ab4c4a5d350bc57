/**
 * CSRF for POST, PUT, PATCH and DELETE, two layers as the contract asks:
 * the request must come from our own origin (Origin, or Sec-Fetch-Site:
 * same-origin), and it must carry the session's synchronizer token (form
 * field _csrf or header X-CSRF-Token).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const csrfRefused = (detail: string) =>
  new AppError({ status: 403, code: 'CSRF_REJECTED', detail, messageKey: 'error.csrf' });

function tokenFromRequest(req: Request): string | undefined {
  const header = req.get('x-csrf-token');
  if (header) return header;
  const field = (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof field === 'string' ? field : undefined;
}

export function createCsrf(config: Config) {
  const { generateToken, getTokenFromState } = csrfSync({ getTokenFromRequest: tokenFromRequest, size: 32 });

  const tokenMatches = (req: Request): boolean => {
    const sent = tokenFromRequest(req);
    const expected = req.session ? getTokenFromState(req) : undefined;
    if (typeof sent !== 'string' || typeof expected !== 'string') return false;
    const [a, b] = [Buffer.from(sent), Buffer.from(expected)];
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const isSameOrigin = (req: Request): boolean => {
    const origin = req.get('origin');
    // Browsers send "Origin: null" in privacy-sensitive cases; Sec-Fetch-Site (which pages cannot forge) still tells.
    if (origin && origin !== 'null') return origin === config.publicOrigin;
    return req.get('sec-fetch-site') === 'same-origin';
  };

  const protect: RequestHandler = (req, _res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    if (!isSameOrigin(req)) return next(csrfRefused('Cross-site request refused: Origin is not this site.'));
    if (!tokenMatches(req)) return next(csrfRefused('Missing or invalid CSRF token.'));
    next();
  };

  /** The page's token, made on first use so anonymous API calls create no session. */
  const tokenFor = (req: Request): string => generateToken(req);

  return { protect, tokenFor };
}
