import type { RequestHandler, Response } from 'express';
import { notSignedIn } from '../../domain/accounts.ts';
import type { SignedInUser } from '../../domain/sign-in.ts';
import { wantsJson } from '../negotiate.ts';

/**
 * Pages send a signed-out visitor to sign in and back: to the page itself for a GET, to the start after a form POST
 * (whose body is gone by then). The JSON API answers 401. Whether Google still accepts the user's tokens is the
 * domain's to find out on its first Google call.
 */
export function requireUser(): RequestHandler {
  return (req, res, next) => {
    const user = req.session?.user;
    if (user) {
      res.locals.user = user;
      return next();
    }
    if (wantsJson(req)) return next(notSignedIn());
    const returnTo = req.method === 'GET' ? req.originalUrl : '/';
    res.redirect(303, `/auth/google?return_to=${encodeURIComponent(returnTo)}`);
  };
}

/** The signed-in user of a request that passed requireUser. */
export function userOf(res: Response): SignedInUser {
  return res.locals.user as SignedInUser;
}
