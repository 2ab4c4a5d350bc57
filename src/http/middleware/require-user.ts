import type { RequestHandler } from 'express';
import type { GoogleAccounts } from '../../auth/google-account.ts';
import { notSignedIn } from '../../auth/google-account.ts';
import { wantsJson } from '../negotiate.ts';

/** Pages send a signed-out visitor to sign in (and back); the JSON API answers 401. */
export function requireUser(accounts: GoogleAccounts, returnTo = '/'): RequestHandler {
  return (req, res, next) => {
    if (accounts.isSignedIn(req.session)) return next();
    if (wantsJson(req)) return next(notSignedIn());
    res.redirect(303, `/auth/google?return_to=${encodeURIComponent(returnTo)}`);
  };
}
