import type { RequestHandler } from 'express';
import type { GoogleAccounts } from '../../auth/google-account.ts';
import { notSignedIn } from '../../auth/google-account.ts';
import { wantsJson } from '../negotiate.ts';

/**
 * Pages send a signed-out visitor to sign in and back: to the page itself for a GET, to the start
 * after a form POST (whose body is gone by then). The JSON API answers 401.
 */
export function requireUser(accounts: GoogleAccounts): RequestHandler {
  return (req, res, next) => {
    if (accounts.isSignedIn(req.session)) return next();
    if (wantsJson(req)) return next(notSignedIn());
    const returnTo = req.method === 'GET' ? req.originalUrl : '/';
    res.redirect(303, `/auth/google?return_to=${encodeURIComponent(returnTo)}`);
  };
}
