/**
 * CSRF for POST, PUT, PATCH and DELETE, two layers as the contract asks: the
 * request must come from our own origin (Origin, or Sec-Fetch-Site:
 * same-origin), and, once the session holds something worth protecting (a
 * signed-in user or a started sign-in), it must carry the session's
 * synchronizer token (form field _csrf or header X-CSRF-Token). A session
 * with nothing in it has no authority to abuse, and anonymous visitors get no
 * token (pages for them store nothing), so there the same-origin check is the
 * whole guard and the route answers as for anyone signed out.
 *
 * csrf-sync makes and keeps the token; its own middleware is not used because
 * it compares tokens with `===`, which is not constant-time.
 */
import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { sameSecret } from '../../security/constant-time.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const csrfRefused = (detail: string) =>
  new AppError({ status: 403, code: 'CSRF_REJECTED', detail, messageKey: 'error.csrf' });

function tokenFromRequest(req: Request): string | undefined {
  const header = req.get('x-csrf-token');
  if (header) return header;
  const field = (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof field === 'string' ? field : undefined;
}

/** Whether the session holds a signed-in user or a started sign-in: the state a CSRF token protects. */
export function sessionHasState(req: Request): boolean {
  return Boolean(req.session?.user || req.session?.signInBinding);
}

export function createCsrf(config: Config) {
  const { generateToken, getTokenFromState } = csrfSync({ getTokenFromRequest: tokenFromRequest, size: 32 });

  const tokenMatches = (req: Request): boolean => {
    const sent = tokenFromRequest(req);
    const expected = getTokenFromState(req);
    return typeof sent === 'string' && typeof expected === 'string' && sameSecret(sent, expected);
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
    if (sessionHasState(req) && !tokenMatches(req)) return next(csrfRefused('Missing or invalid CSRF token.'));
    next();
  };

  /** The page's token, or '' for a session with no state: a token would have to be stored, and so would the session. */
  const tokenFor = (req: Request): string => (sessionHasState(req) ? generateToken(req) : '');

  return { protect, tokenFor };
}
