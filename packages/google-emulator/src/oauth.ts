/**
 * Google OAuth 2.0 as Google documents it for web-server apps: the authorization
 * endpoint with a consent page, the token endpoint (authorization_code with
 * PKCE and single-use codes, refresh_token), revocation and userinfo.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { emulatorCookie, html, pageContext, raw, sendPage, translatedError } from './pages.ts';
import {
  ACCOUNTS, PICKER_SCOPE, SIGN_IN_SCOPES, expandScope, includesScope, token, withScopes,
  type Account, type AuthCode, type AuthTransaction, type ClientRecord, type EmulatorState,
} from './state.ts';
import type { EmulatorKnobs } from './index.ts';
import { bearer, unauthenticated } from './google-errors.ts';
import { idToken, profileClaims, type IdTokenSigner } from './openid.ts';

const TRANSACTION_TTL_MS = 30 * 60_000;
/** The `prompt` values Google knows (https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient). */
const PROMPTS = new Set(['none', 'consent', 'select_account']);
const AUTH_CODE_FORMAT = /^4\/0A[\w-]+$/;

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error, error_description: description });
}

function same(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function verifierMatches(challenge: string, method: string, verifier: string): boolean {
  const computed = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return same(computed, challenge);
}

/** Client credentials from HTTP Basic or the form body (client_secret_basic / client_secret_post). */
function clientCredentials(req: Request): { id?: string; secret?: string } {
  const header = req.get('authorization');
  if (header?.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    return { id: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') };
  }
  const body = (req.body ?? {}) as Record<string, string | undefined>;
  return { id: body.client_id, secret: body.client_secret };
}

const scopeLabel = (t: (k: string, v?: Record<string, string>) => string, scope: string) =>
  scope === PICKER_SCOPE ? t('consent.scope.picker') : t('consent.scope.other', { scope });

/** Why this client cannot exchange the code, as Google's error and description; undefined when it can. */
function exchangeRefusal(code: AuthCode, client: ClientRecord, body: Record<string, string | undefined>): [string, string] | undefined {
  if (code.used || code.expiresAt <= Date.now() || code.clientId !== client.clientId) return ['invalid_grant', 'Bad Request'];
  // A redirect URI the client never registered is a mismatch; a registered one that is not the code's, a bad grant.
  if (!body.redirect_uri || !client.redirectUris.has(body.redirect_uri)) return ['redirect_uri_mismatch', 'Bad Request'];
  if (body.redirect_uri !== code.redirectUri) return ['invalid_grant', 'Bad Request'];
  if (code.codeChallenge) {
    if (!body.code_verifier) return ['invalid_grant', 'Missing code verifier.'];
    if (!verifierMatches(code.codeChallenge, code.codeChallengeMethod, body.code_verifier)) return ['invalid_grant', 'Invalid code verifier.'];
  }
  return undefined;
}

/** The redirect back to the app: `state`, then the answer's parameters. */
function backTo(transaction: AuthTransaction, answer: Record<string, string>): string {
  const back = new URL(transaction.redirectUri);
  if (transaction.state !== undefined) back.searchParams.set('state', transaction.state);
  for (const [name, value] of Object.entries(answer)) back.searchParams.set(name, value);
  return back.href;
}

/**
 * Why Google refuses the `prompt` parameter, or undefined: a value it does not know, or `none` with another value
 * (OpenID Connect Core §3.1.2.1: "If this parameter contains none with any other value, an error is returned").
 */
function promptProblem(prompts: string[]): string | undefined {
  const unknown = prompts.find((prompt) => !PROMPTS.has(prompt));
  if (unknown !== undefined) return `Invalid parameter value for prompt: Invalid prompt: ${unknown}`;
  if (prompts.includes('none') && prompts.length > 1) return 'Invalid parameter value for prompt: None prompt type must be specified alone';
  return undefined;
}

export function oauthRoutes(state: EmulatorState, knobs: EmulatorKnobs, signer: IdTokenSigner, issuer: () => string): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false });

  /**
   * A single-use code for what the account granted now, and with include_granted_scopes=true for what it granted the
   * client before too (https://developers.google.com/identity/protocols/oauth2/web-server#incrementalAuth); the
   * answer's parameters that carry it.
   */
  function issueCode(transaction: AuthTransaction, account: Account, granted: string[], refreshable: boolean): Record<string, string> {
    const code = token('4/0AEmu', 30);
    const scopes = transaction.includeGrantedScopes ? withScopes(granted, state.consentedScopes(account, transaction.clientId) ?? []) : granted;
    state.codes.set(code, {
      code, clientId: transaction.clientId, redirectUri: transaction.redirectUri, account, scopes,
      codeChallenge: transaction.codeChallenge, codeChallengeMethod: transaction.codeChallengeMethod, nonce: transaction.nonce,
      refreshable, expiresAt: Date.now() + knobs.authCodeTtlSeconds * 1000, used: false,
    });
    return { code, scope: scopes.map(expandScope).join(' '), authuser: '0' };
  }

  /**
   * Whether Google can answer without a page: the browser is signed in to Google (as the hinted account, if any), and
   * that account has granted the client every requested scope before. Otherwise why not, in the words prompt=none
   * answers with.
   */
  function pagelessAnswer(transaction: AuthTransaction, signedIn: Account | undefined, loginHint: string | undefined): Record<string, string> {
    if (!signedIn || (loginHint !== undefined && transaction.hintedAccount !== signedIn)) return { error: 'interaction_required' };
    const consented = state.consentedScopes(signedIn, transaction.clientId);
    if (!consented || !transaction.scopes.every((scope) => consented.has(expandScope(scope)))) return { error: 'consent_required' };
    return { ...issueCode(transaction, signedIn, transaction.scopes, false), prompt: 'none' };
  }

  router.get('/o/oauth2/v2/auth', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const client = q.client_id ? state.clients.get(q.client_id) : undefined;
    if (!client) return translatedError(req, res, 401, 'error.invalidClient');
    if (!q.redirect_uri || !client.redirectUris.has(q.redirect_uri)) return translatedError(req, res, 400, 'error.redirectMismatch');
    if (q.response_type !== 'code') return translatedError(req, res, 400, 'error.invalidRequest', { detail: 'response_type must be code' });
    const scopes = (q.scope ?? '').split(/[\s+]+/).filter(Boolean);
    if (scopes.length === 0) return translatedError(req, res, 400, 'error.invalidRequest', { detail: 'Missing required parameter: scope' });
    const method = q.code_challenge_method ?? 'plain';
    if (q.code_challenge && !['S256', 'plain'].includes(method)) {
      return translatedError(req, res, 400, 'error.invalidRequest', { detail: 'Invalid code_challenge_method' });
    }
    const prompts = (q.prompt ?? '').split(' ').filter(Boolean);
    const badPrompt = promptProblem(prompts);
    if (badPrompt) return translatedError(req, res, 400, 'error.invalidRequest', { detail: badPrompt });
    const transaction: AuthTransaction = {
      id: token('tx', 18), clientId: client.clientId, redirectUri: q.redirect_uri, scopes, state: q.state,
      accessType: q.access_type ?? 'online', prompts, includeGrantedScopes: q.include_granted_scopes === 'true', nonce: q.nonce,
      hintedAccount: state.accountByHint(q.login_hint), codeChallenge: q.code_challenge, codeChallengeMethod: method, createdAt: Date.now(),
    };
    const signedIn = state.account(emulatorCookie(req, 'emu_account'));
    // prompt=none shows no page whatever happens: a code, or why not.
    if (prompts.includes('none')) return res.redirect(302, backTo(transaction, pagelessAnswer(transaction, signedIn, q.login_hint)));
    // Without prompt, Google asks only when it must: a signed-in account that already granted all of it goes straight
    // back (https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient, `prompt`).
    if (!knobs.alwaysShowConsent && !prompts.includes('consent') && !prompts.includes('select_account')) {
      const answer = pagelessAnswer(transaction, signedIn, q.login_hint);
      if (!answer.error) return res.redirect(302, backTo(transaction, answer));
    }
    state.transactions.set(transaction.id, transaction);

    const ctx = pageContext(req);
    const { t } = ctx;
    const optional = scopes.filter((scope) => !SIGN_IN_SCOPES.has(scope));
    const offered = transaction.hintedAccount ? [transaction.hintedAccount] : ACCOUNTS;
    const chosen = offered.find((account) => account === signedIn) ?? offered[0];
    const body = html`<section class="card">
<h1>${t('consent.heading', { client: client.clientId })}</h1>
<form method="post" action="/o/oauth2/v2/auth/decision">
<input type="hidden" name="transaction" value="${transaction.id}">
<fieldset><legend>${t('consent.accounts')}</legend>
${offered.map((account) => html`<label><input type="radio" name="account" value="${account.email}"${account === chosen ? raw(' checked') : raw('')}> ${account.name} — ${account.email}${account.hasPhotos ? '' : ` (${t('consent.noPhotos')})`}</label>`)}
</fieldset>
<fieldset><legend>${t('consent.wants', { client: client.clientId })}</legend>
${scopes.some((s) => SIGN_IN_SCOPES.has(s)) ? html`<p>${t('consent.signInScopes')}</p>` : ''}
${optional.map((scope) => html`<label><input type="checkbox" name="scope" value="${scope}" checked> ${scopeLabel(t, scope)}</label>`)}
${scopes.filter((s) => SIGN_IN_SCOPES.has(s)).map((scope) => html`<input type="hidden" name="scope" value="${scope}">`)}
</fieldset>
<p>${t('consent.trust')}</p>
<div class="buttons"><button class="secondary" type="submit" name="decision" value="deny">${t('consent.deny')}</button>
<button class="primary" type="submit" name="decision" value="allow">${t('consent.allow')}</button></div>
</form></section>`;
    sendPage(req, res, ctx, t('consent.title'), body);
  });

  router.post('/o/oauth2/v2/auth/decision', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | string[] | undefined>;
    const id = typeof body.transaction === 'string' ? body.transaction : '';
    const transaction = state.transactions.get(id);
    state.transactions.delete(id); // single use
    if (!transaction || Date.now() - transaction.createdAt > TRANSACTION_TTL_MS) return translatedError(req, res, 400, 'error.transaction');
    if (body.decision !== 'allow') return res.redirect(302, backTo(transaction, { error: 'access_denied' }));
    const account = state.account(typeof body.account === 'string' ? body.account : undefined);
    if (!account || (transaction.hintedAccount && account !== transaction.hintedAccount)) return translatedError(req, res, 400, 'error.account');
    const ticked = new Set([body.scope ?? []].flat());
    const granted = transaction.scopes.filter((scope) => SIGN_IN_SCOPES.has(scope) || ticked.has(scope));
    if (granted.length === 0) return res.redirect(302, backTo(transaction, { error: 'access_denied' }));
    // Google gives a refresh token for offline access on the first consent, and again only when consent is forced.
    const firstConsent = !state.consentedScopes(account, transaction.clientId);
    const refreshable = transaction.accessType === 'offline' && (firstConsent || transaction.prompts.includes('consent'));
    state.recordConsent(account, transaction.clientId, granted);
    // "This browser is signed in to Google as <email>", for the picker page and prompt=none.
    res.cookie('emu_account', account.email, { httpOnly: true, sameSite: 'lax', path: '/' });
    res.redirect(302, backTo(transaction, { ...issueCode(transaction, account, granted, refreshable), prompt: 'consent' }));
  });

  router.post('/token', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const credentials = clientCredentials(req);
    const client = credentials.id ? state.clients.get(credentials.id) : undefined;
    if (!client) return oauthError(res, 401, 'invalid_client', 'The OAuth client was not found.');
    if (!credentials.secret || !same(credentials.secret, client.clientSecret)) return oauthError(res, 401, 'invalid_client', 'Unauthorized');
    if (!body.grant_type) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: grant_type');

    if (body.grant_type === 'authorization_code') {
      if (!body.code) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: code');
      const code = state.codes.get(body.code);
      if (!code) return oauthError(res, 400, 'invalid_grant', AUTH_CODE_FORMAT.test(body.code) ? 'Bad Request' : 'Malformed auth code.');
      const refusal = exchangeRefusal(code, client, body);
      code.used = true; // one try: a failed exchange uses the code up too
      if (refusal) return oauthError(res, 400, ...refusal);
      const grant = { id: token('g', 9), account: code.account, clientId: client.clientId, scopes: code.scopes, refreshToken: undefined, alive: true, createdAt: Date.now() };
      state.grants.push(grant);
      const refreshToken = code.refreshable ? state.issueRefreshToken(grant) : undefined;
      const access = state.issueAccessToken(grant, knobs.accessTokenTtlSeconds);
      res.set('Cache-Control', 'no-store').json({
        access_token: access.token,
        expires_in: knobs.accessTokenTtlSeconds,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
        scope: code.scopes.map(expandScope).join(' '),
        token_type: 'Bearer',
        ...(code.scopes.includes('openid')
          ? { id_token: await idToken(signer, { issuer: issuer(), account: code.account, clientId: client.clientId, scopes: code.scopes, accessToken: access.token, nonce: code.nonce }) }
          : {}),
      });
      return;
    }

    if (body.grant_type === 'refresh_token') {
      if (!body.refresh_token) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: refresh_token');
      const grant = state.refreshTokens.get(body.refresh_token);
      if (!grant || !grant.alive) return oauthError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
      if (grant.clientId !== client.clientId) return oauthError(res, 400, 'unauthorized_client', 'Unauthorized');
      const access = state.issueAccessToken(grant, knobs.accessTokenTtlSeconds);
      res.set('Cache-Control', 'no-store').json({
        access_token: access.token,
        expires_in: knobs.accessTokenTtlSeconds,
        scope: grant.scopes.map(expandScope).join(' '),
        token_type: 'Bearer',
        ...(grant.scopes.includes('openid')
          ? { id_token: await idToken(signer, { issuer: issuer(), account: grant.account, clientId: client.clientId, scopes: grant.scopes, accessToken: access.token }) }
          : {}),
      });
      return;
    }
    oauthError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${body.grant_type}`);
  });

  router.post('/revoke', form, (req, res) => {
    const value = (req.body as Record<string, string | undefined> | undefined)?.token ?? (typeof req.query.token === 'string' ? req.query.token : undefined);
    const grant = value ? (state.refreshTokens.get(value) ?? state.accessTokens.get(value)?.grant) : undefined;
    if (!grant || !grant.alive) return oauthError(res, 400, 'invalid_token', 'Token expired or revoked');
    state.killGrant(grant);
    res.set('Cache-Control', 'no-store').json({});
  });

  router.get('/oauth2/v2/userinfo', (req, res) => {
    const access = state.validToken(bearer(req));
    if (!access) return unauthenticated(res, Boolean(bearer(req)), 'oauth2.userinfo.get');
    const { account, scopes } = access.grant;
    // Like Google: the id always, the email only with the email scope, the name and picture only with profile.
    res.json({
      id: account.sub,
      ...(includesScope(scopes, 'email') ? { email: account.email, verified_email: true } : {}),
      ...(includesScope(scopes, 'profile') ? profileClaims(account) : {}),
    });
  });

  return router;
}
