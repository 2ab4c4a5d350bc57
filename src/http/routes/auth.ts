/**
 * Google sign-in: GET /auth/google starts it, GET /auth/google/callback
 * finishes it with a new session id (no fixation), POST /auth/logout ends it.
 * The flow itself (PKCE, one-time state bound to this browser, the picker
 * scope) is the domain's: src/domain/sign-in.ts.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { GoogleAccounts } from '../../domain/accounts.ts';
import type { PickerSessions } from '../../domain/picker-sessions.ts';
import { newBinding, type SignIns } from '../../domain/sign-in.ts';
import { callbackQuery } from '../inputs.ts';
import { safeReturnTo } from '../return-to.ts';

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}

export interface AuthRouteDeps {
  signIns: SignIns;
  accounts: GoogleAccounts;
  pickerSessions: PickerSessions;
  signInLimiter: RequestHandler;
  cookieName: string;
}

export function authRoutes({ signIns, accounts, pickerSessions, signInLimiter, cookieName }: AuthRouteDeps): Router {
  const router = Router();

  router.get('/auth/google', signInLimiter, async (req, res) => {
    if (!req.session.signInBinding) {
      req.session.signInBinding = newBinding();
      await save(req);
    }
    const url = await signIns.start({
      binding: req.session.signInBinding,
      returnTo: safeReturnTo(req.query.return_to),
      ...(req.session.user ? { knownUser: req.session.user.id } : {}),
    });
    res.set('Cache-Control', 'no-store').redirect(302, url);
  });

  router.get('/auth/google/callback', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const query = callbackQuery.safeParse(req.query);
    const { state, code, error } = query.success ? query.data : {};
    const { user, returnTo } = await signIns.finish({
      binding: req.session.signInBinding,
      ...(state ? { state } : {}),
      ...(code ? { code } : {}),
      ...(error ? { error } : {}),
    });
    const binding = req.session.signInBinding!;
    await regenerate(req); // a new session id at sign-in: no fixation
    req.session.user = user;
    req.session.signInBinding = binding; // other tabs' sign-ins in flight still finish in this browser
    await save(req);
    req.log.info({ event: 'signed_in' }, 'user signed in');
    res.redirect(303, returnTo);
  });

  router.post('/auth/logout', async (req, res) => {
    const user = req.session.user;
    if (user) {
      // Best effort, both: a Google hiccup must not keep anyone signed in here.
      await pickerSessions.deleteAll(user.id).catch((error: unknown) => req.log.warn({ err: error }, 'could not delete picker sessions at logout'));
      await accounts.disconnect(user.id);
    }
    await new Promise<void>((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
    res.clearCookie(cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookieName.startsWith('__Host-') });
    // The home page says it happened: a query flag, since the session that could have carried a notice is gone.
    res.redirect(303, '/?notice=signedOut');
  });

  return router;
}
