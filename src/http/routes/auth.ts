/**
 * Google sign-in: GET /auth/google starts it (PKCE S256 + one-time state kept
 * in the session), GET /auth/google/callback finishes it (state checked and
 * spent, code exchanged with the verifier, picker scope checked, session id
 * regenerated), POST /auth/logout ends it.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { GoogleAccounts } from '../../auth/google-account.ts';
import type { PendingSignIn } from '../../auth/session-data.ts';
import { PICKER_SCOPE } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { grantedScopes, type GoogleOAuth } from '../../google/oauth.ts';
import type { PickerSessions } from '../../picker/picker-sessions.ts';
import { sameSecret } from '../../security/constant-time.ts';
import { callbackQuery } from '../inputs.ts';
import { safeReturnTo } from '../return-to.ts';

const SIGN_IN_TTL_MS = 15 * 60_000;

const invalidState = (detail: string) =>
  new AppError({ status: 400, code: 'INVALID_STATE', detail, messageKey: 'error.invalidState' });

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}

export interface AuthRouteDeps {
  oauth: GoogleOAuth;
  accounts: GoogleAccounts;
  pickerSessions: PickerSessions;
  signInLimiter: RequestHandler;
  cookieName: string;
}

export function authRoutes({ oauth, accounts, pickerSessions, signInLimiter, cookieName }: AuthRouteDeps): Router {
  const router = Router();

  router.get('/auth/google', signInLimiter, async (req, res) => {
    const held = accounts.tokens(req.session);
    const request = await oauth.authorizationRequest({ askConsent: !held?.refresh_token });
    req.session.signIn = {
      state: request.state,
      codeVerifier: request.codeVerifier,
      returnTo: safeReturnTo(req.query.return_to),
      startedAt: Date.now(),
    } satisfies PendingSignIn;
    await save(req);
    res.set('Cache-Control', 'no-store').redirect(302, request.url);
  });

  router.get('/auth/google/callback', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const query = callbackQuery.safeParse(req.query);
    // Spend the pending sign-in first, whatever happens next: a state works once.
    const pending = req.session.signIn;
    delete req.session.signIn;
    if (!query.success) throw invalidState('Malformed callback parameters.');
    const { state, code, error } = query.data;
    if (!pending || !state) throw invalidState('No sign-in is in progress in this browser.');
    if (!sameSecret(state, pending.state)) throw invalidState('The state parameter does not match.');
    if (Date.now() - pending.startedAt > SIGN_IN_TTL_MS) throw invalidState('The sign-in took too long.');

    if (error === 'access_denied') {
      throw new AppError({ status: 403, code: 'ACCESS_DENIED', detail: 'Access was not allowed at Google.', messageKey: 'error.accessDenied' });
    }
    if (error || !code) throw new AppError({ status: 400, code: 'INVALID_ARGUMENT', detail: `Google answered the sign-in with ${error ?? 'no code'}.` });

    const tokens = await oauth.exchangeCode(code, pending.codeVerifier);
    if (!grantedScopes(tokens.scope).includes(PICKER_SCOPE)) {
      throw new AppError({
        status: 403,
        code: 'SCOPE_NOT_GRANTED',
        detail: 'The Google Photos picker permission was not granted.',
        messageKey: 'error.scopeNotGranted',
      });
    }
    const profile = await oauth.profile(tokens.access_token);

    // Google sends a refresh token only on first consent: keep the one we hold for the same person.
    const previous = accounts.tokens(req.session);
    const sameUser = req.session.user?.sub === profile.sub;
    const refreshToken = tokens.refresh_token ?? (sameUser ? previous?.refresh_token : undefined);
    const carriedSessions = sameUser ? req.session.pickerSessions : undefined;

    await regenerate(req); // a new session id at sign-in: no fixation
    req.session.user = { ...profile, authenticatedAt: Date.now() };
    accounts.store(req.session, { ...tokens, ...(refreshToken ? { refresh_token: refreshToken } : {}) });
    if (carriedSessions) req.session.pickerSessions = carriedSessions;
    await save(req);
    req.log.info({ event: 'signed_in' }, 'user signed in');
    res.redirect(303, pending.returnTo);
  });

  router.post('/auth/logout', async (req, res) => {
    const tokens = accounts.tokens(req.session);
    if (tokens && req.session.user) {
      // Best effort, both: a Google hiccup must not keep anyone signed in here.
      await pickerSessions.deleteAll(req).catch((error: unknown) => req.log.warn({ err: error }, 'could not delete picker sessions at logout'));
      await oauth.revoke(tokens).catch((error: unknown) => req.log.warn({ err: error }, 'could not revoke the Google token at logout'));
    }
    await new Promise<void>((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
    res.clearCookie(cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookieName.startsWith('__Host-') });
    res.redirect(303, '/');
  });

  return router;
}
