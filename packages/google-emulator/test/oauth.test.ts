import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { createEmulator, type Emulator } from '../src/index.ts';
import { PICKER_SCOPE } from '../src/state.ts';

const CLIENT = { clientId: 'emu-test-client', clientSecret: 'emu-test-secret', redirectUris: ['http://127.0.0.1:9/callback'] };
const REDIRECT = CLIENT.redirectUris[0]!;

interface AuthParams {
  scope?: string; state?: string; access_type?: string; prompt?: string; login_hint?: string; code_challenge?: string; code_challenge_method?: string;
  redirect_uri?: string; client_id?: string; include_granted_scopes?: string;
}

describe('the emulator: Google OAuth', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = createEmulator({ clients: [CLIENT] });
    await emulator.listen();
  });
  after(() => emulator.close());

  function authUrl(params: AuthParams = {}): string {
    const url = new URL(`${emulator.url}/o/oauth2/v2/auth`);
    url.search = new URLSearchParams({
      client_id: params.client_id ?? CLIENT.clientId, redirect_uri: params.redirect_uri ?? REDIRECT, response_type: 'code',
      scope: params.scope ?? `openid email ${PICKER_SCOPE}`, state: params.state ?? 'st4te', access_type: params.access_type ?? 'offline',
      ...(params.prompt ? { prompt: params.prompt } : {}),
      ...(params.login_hint ? { login_hint: params.login_hint } : {}),
      ...(params.include_granted_scopes ? { include_granted_scopes: params.include_granted_scopes } : {}),
      ...(params.code_challenge ? { code_challenge: params.code_challenge, code_challenge_method: params.code_challenge_method ?? 'S256' } : {}),
    }).toString();
    return url.href;
  }

  /** Opens the consent page and answers it; returns the redirect back to the app and the browser's Google cookie. */
  async function decide(url: string, options: { decision?: 'allow' | 'deny'; account?: string; scopes?: string[]; cookie?: string } = {}): Promise<{ back: URL; cookie: string }> {
    const page = await fetch(url, options.cookie ? { headers: { cookie: options.cookie } } : {});
    assert.equal(page.status, 200);
    const transaction = (await page.text()).match(/name="transaction" value="([^"]+)"/)![1]!;
    const form = new URLSearchParams({ transaction, account: options.account ?? 'alice@example.com', decision: options.decision ?? 'allow' });
    for (const scope of options.scopes ?? (new URL(url).searchParams.get('scope') ?? '').split(' ')) form.append('scope', scope);
    const answer = await fetch(`${emulator.url}/o/oauth2/v2/auth/decision`, { method: 'POST', body: form, redirect: 'manual' });
    assert.equal(answer.status, 302);
    return { back: new URL(answer.headers.get('location')!), cookie: answer.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ') };
  }
  const consent = async (url: string, options?: Parameters<typeof decide>[1]) => (await decide(url, options)).back;

  /** Where the authorization endpoint sends the browser straight back, with no page (prompt=none). */
  async function silently(url: string, cookie?: string): Promise<URL> {
    const answer = await fetch(url, { redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });
    assert.equal(answer.status, 302);
    return new URL(answer.headers.get('location')!);
  }

  async function token(fields: Record<string, string>, auth: 'body' | 'basic' = 'body') {
    const body = new URLSearchParams(fields);
    const headers: Record<string, string> = {};
    if (auth === 'body') {
      body.set('client_id', CLIENT.clientId);
      body.set('client_secret', CLIENT.clientSecret);
    } else {
      headers.authorization = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;
    }
    const response = await fetch(`${emulator.url}/token`, { method: 'POST', body, headers });
    return { status: response.status, body: (await response.json()) as Record<string, string | number> };
  }

  it('when the user allows, then the app gets a code, the state and the granted scopes back', async () => {
    const back = await consent(authUrl());
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
    assert.match(back.searchParams.get('code') ?? '', /^4\/0A/);
    assert.equal(back.searchParams.get('state'), 'st4te');
    assert.deepEqual(back.searchParams.get('scope')!.split(' ').sort(), [PICKER_SCOPE, 'https://www.googleapis.com/auth/userinfo.email', 'openid'].sort());
    assert.equal(back.searchParams.get('authuser'), '0');
  });

  it('when the user denies, then access_denied comes back with the state', async () => {
    const back = await consent(authUrl(), { decision: 'deny' });
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'st4te');
    assert.equal(back.searchParams.get('code'), null);
  });

  it('when the picker scope is unticked, then the grant and the token leave it out', async () => {
    const back = await consent(authUrl(), { scopes: ['openid', 'email'] });
    assert.ok(!back.searchParams.get('scope')!.includes(PICKER_SCOPE));
    const exchanged = await token({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT });
    assert.equal(exchanged.status, 200);
    assert.ok(!String(exchanged.body.scope).includes(PICKER_SCOPE));
  });

  it('when the client or the redirect URI is wrong, then an error page is shown and nothing is redirected', async () => {
    const unknown = await fetch(authUrl({ client_id: 'nobody' }), { redirect: 'manual' });
    assert.equal(unknown.status, 401);
    assert.match(await unknown.text(), /invalid_client/);
    const mismatch = await fetch(authUrl({ redirect_uri: `${REDIRECT}/` }), { redirect: 'manual' });
    assert.equal(mismatch.status, 400);
    assert.match(await mismatch.text(), /redirect_uri_mismatch/);
  });

  it('when prompt=none finds no Google account signed in, or another one than login_hint names, then interaction_required comes back', async () => {
    const alone = await silently(authUrl({ prompt: 'none' }));
    assert.equal(`${alone.origin}${alone.pathname}`, REDIRECT);
    assert.deepEqual([alone.searchParams.get('error'), alone.searchParams.get('state'), alone.searchParams.get('code')], ['interaction_required', 'st4te', null]);
    const { cookie } = await decide(authUrl(), { account: 'alice@example.com' });
    const other = await silently(authUrl({ prompt: 'none', login_hint: 'bob@example.com' }), cookie);
    assert.equal(other.searchParams.get('error'), 'interaction_required');
  });

  it('when prompt=none comes before consent or asks for more than was granted, then consent_required; once granted, a code with no page', async () => {
    const client = { clientId: 'emu-silent-client', clientSecret: 'silent-secret', redirectUris: [REDIRECT] };
    emulator.registerClient(client);
    const { cookie } = await decide(authUrl(), { account: 'carol@example.com' }); // signed in, but for another client
    const url = (params: AuthParams) => authUrl({ client_id: client.clientId, ...params });
    assert.equal((await silently(url({ prompt: 'none' }), cookie)).searchParams.get('error'), 'consent_required');

    await decide(url({}), { account: 'carol@example.com', scopes: ['openid', 'email'] });
    assert.equal((await silently(url({ prompt: 'none' }), cookie)).searchParams.get('error'), 'consent_required', 'the picker scope was not granted');
    const back = await silently(url({ prompt: 'none', scope: 'openid email', login_hint: 'carol@example.com' }), cookie);
    assert.equal(back.searchParams.get('error'), null);
    assert.match(back.searchParams.get('code') ?? '', /^4\/0A/);
    assert.equal(back.searchParams.get('prompt'), 'none');
    const exchanged = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: client.clientId, client_secret: client.clientSecret }),
    });
    const tokens = (await exchanged.json()) as Record<string, string>;
    assert.equal(exchanged.status, 200);
    assert.equal(tokens.refresh_token, undefined, 'no refresh token without a consent page');

    emulator.revokeGrants('carol@example.com');
    assert.equal((await silently(url({ prompt: 'none', scope: 'openid email' }), cookie)).searchParams.get('error'), 'consent_required', 'revocation takes the consent away');
  });

  /** A client of its own, so what earlier tests consented to does not count. */
  function freshClient(name: string) {
    const client = { clientId: `emu-${name}-client`, clientSecret: `${name}-secret`, redirectUris: [REDIRECT] };
    emulator.registerClient(client);
    return { url: (params: AuthParams = {}) => authUrl({ client_id: client.clientId, ...params }), exchange: async (code: string) => {
      const answer = await fetch(`${emulator.url}/token`, {
        method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: client.clientId, client_secret: client.clientSecret }),
      });
      return (await answer.json()) as Record<string, string>;
    } };
  }

  // "prompt … If you don't specify this parameter, the user will be prompted only the first time your project requests
  // access" (https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient).
  it('when a signed-in browser asks again for what its account already granted, then no consent page: a code comes straight back, and no refresh token with it', async () => {
    const app = freshClient('again');
    const { cookie } = await decide(app.url(), { account: 'bob@example.com' });
    const back = await silently(app.url(), cookie);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
    assert.equal(back.searchParams.get('state'), 'st4te');
    assert.equal(back.searchParams.get('prompt'), 'none');
    const tokens = await app.exchange(back.searchParams.get('code')!);
    assert.match(tokens.access_token ?? '', /^ya29\./);
    assert.equal(tokens.refresh_token, undefined, 'a refresh token only on a first or a forced consent');
    const fewer = await silently(app.url({ scope: 'openid email' }), cookie);
    assert.match(fewer.searchParams.get('code') ?? '', /^4\/0A/, 'asking for less changes nothing that needs asking');
  });

  it('when the grant would change, prompt=consent or select_account asks, or the alwaysShowConsent knob is on, then the consent page is shown again', async () => {
    const app = freshClient('changes');
    const { cookie } = await decide(app.url({ scope: 'openid email' }), { account: 'bob@example.com' });
    const pageFor = async (url: string) => (await fetch(url, { redirect: 'manual', headers: { cookie } })).status;
    assert.equal(await pageFor(app.url()), 200, 'the picker scope was never granted');
    assert.equal(await pageFor(app.url({ scope: 'openid email', prompt: 'consent' })), 200);
    assert.equal(await pageFor(app.url({ scope: 'openid email', prompt: 'select_account' })), 200);
    assert.equal(await pageFor(app.url({ scope: 'openid email', login_hint: 'alice@example.com' })), 200, 'another account than the signed-in one');
    assert.equal(await pageFor(app.url({ scope: 'openid email' })), 302);
    emulator.knobs.alwaysShowConsent = true;
    try {
      assert.equal(await pageFor(app.url({ scope: 'openid email' })), 200);
    } finally {
      emulator.knobs.alwaysShowConsent = false;
    }
    const page = await (await fetch(app.url({ prompt: 'consent' }), { headers: { cookie } })).text();
    assert.match(page, /name="account" value="bob@example\.com" checked/, 'the signed-in account comes chosen');
    const forced = await decide(app.url({ prompt: 'consent' }), { account: 'bob@example.com', cookie });
    assert.equal(forced.back.searchParams.get('prompt'), 'consent');
    assert.match((await app.exchange(forced.back.searchParams.get('code')!)).refresh_token ?? '', /^1\/\//, 'a forced consent gives a new refresh token');
  });

  // "include_granted_scopes … the new access token will also cover any scopes to which the user previously granted the
  // application access" (https://developers.google.com/identity/protocols/oauth2/web-server#incrementalAuth).
  it('when include_granted_scopes=true, then the code, its scope and its token cover the earlier grants too; without it, only what was asked', async () => {
    const app = freshClient('incremental');
    const { cookie } = await decide(app.url({ scope: 'openid email' }), { account: 'alice@example.com' });
    const union = (await decide(app.url({ scope: PICKER_SCOPE, include_granted_scopes: 'true' }), { account: 'alice@example.com', cookie })).back;
    const everything = [PICKER_SCOPE, 'https://www.googleapis.com/auth/userinfo.email', 'openid'].sort();
    assert.deepEqual(union.searchParams.get('scope')!.split(' ').sort(), everything);
    const tokens = await app.exchange(union.searchParams.get('code')!);
    assert.deepEqual(tokens.scope!.split(' ').sort(), everything);
    assert.ok(tokens.id_token, 'openid was granted before, so an id_token comes too');

    const silentUnion = await silently(app.url({ scope: PICKER_SCOPE, include_granted_scopes: 'true' }), cookie);
    assert.deepEqual(silentUnion.searchParams.get('scope')!.split(' ').sort(), everything);
    const only = await silently(app.url({ scope: PICKER_SCOPE }), cookie);
    assert.equal(only.searchParams.get('scope'), PICKER_SCOPE);
    assert.equal((await app.exchange(only.searchParams.get('code')!)).scope, PICKER_SCOPE);
  });

  // OpenID Connect Core §3.1.2.1: "If this parameter contains none with any other value, an error is returned"
  // (https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest); Google shows request errors such as
  // invalid_request on its own page (https://developers.google.com/identity/protocols/oauth2/web-server#authorization-errors).
  it('when prompt=none comes with another value, or prompt has a value Google does not know, then 400 invalid_request on Google\'s page, nothing redirected', async () => {
    for (const prompt of ['none consent', 'select_account none', 'login']) {
      const answer = await fetch(authUrl({ prompt }), { redirect: 'manual' });
      assert.equal(answer.status, 400, prompt);
      const page = await answer.text();
      assert.match(page, /invalid_request/, prompt);
      assert.match(page, prompt === 'login' ? /Invalid prompt: login/ : /None prompt type must be specified alone/, prompt);
    }
    assert.equal((await fetch(authUrl({ prompt: 'consent select_account' }), { redirect: 'manual' })).status, 200);
  });

  it('when login_hint names a demo account, then the consent page offers only that account and refuses another', async () => {
    const page = await (await fetch(authUrl({ login_hint: 'bob@example.com' }))).text();
    assert.deepEqual([...page.matchAll(/name="account" value="([^"]+)"( checked)?/g)].map((m) => `${m[1]}${m[2] ?? ''}`), ['bob@example.com checked']);
    const transaction = page.match(/name="transaction" value="([^"]+)"/)![1]!;
    const answer = await fetch(`${emulator.url}/o/oauth2/v2/auth/decision`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ transaction, account: 'alice@example.com', decision: 'allow', scope: 'openid' }),
    });
    assert.equal(answer.status, 400);
    const unknown = await (await fetch(authUrl({ login_hint: 'nobody@example.com' }))).text();
    assert.equal([...unknown.matchAll(/name="account"/g)].length, emulator.accounts.length, 'an unknown hint narrows nothing');
  });

  it('when a consent page is answered twice, then the second answer is refused', async () => {
    const page = await (await fetch(authUrl())).text();
    const transaction = page.match(/name="transaction" value="([^"]+)"/)![1]!;
    const form = () => new URLSearchParams({ transaction, account: 'alice@example.com', decision: 'allow' });
    assert.equal((await fetch(`${emulator.url}/o/oauth2/v2/auth/decision`, { method: 'POST', body: form(), redirect: 'manual' })).status, 302);
    assert.equal((await fetch(`${emulator.url}/o/oauth2/v2/auth/decision`, { method: 'POST', body: form(), redirect: 'manual' })).status, 400);
  });

  it('when PKCE S256 is used, then the right verifier works and a wrong or missing one is invalid_grant', async () => {
    const verifier = 'v'.repeat(64);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const code = async () => (await consent(authUrl({ code_challenge: challenge }))).searchParams.get('code')!;
    const missing = await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT });
    assert.deepEqual([missing.status, missing.body.error, missing.body.error_description], [400, 'invalid_grant', 'Missing code verifier.']);
    const wrong = await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT, code_verifier: 'w'.repeat(64) });
    assert.deepEqual([wrong.status, wrong.body.error], [400, 'invalid_grant']);
    const right = await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT, code_verifier: verifier }, 'basic');
    assert.equal(right.status, 200);
    assert.match(String(right.body.access_token), /^ya29\./);
    assert.equal(right.body.token_type, 'Bearer');
    assert.equal(right.body.expires_in, 3599);
    assert.equal(String(right.body.id_token).split('.').length, 3);
  });

  it('when a code is used twice, expired or garbage, then Google\'s errors come back', async () => {
    const code = (await consent(authUrl())).searchParams.get('code')!;
    assert.equal((await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).status, 200);
    const replay = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    assert.deepEqual([replay.status, replay.body.error, replay.body.error_description], [400, 'invalid_grant', 'Bad Request']);
    const garbage = await token({ grant_type: 'authorization_code', code: 'garbage', redirect_uri: REDIRECT });
    assert.deepEqual([garbage.body.error, garbage.body.error_description], ['invalid_grant', 'Malformed auth code.']);

    emulator.knobs.authCodeTtlSeconds = 0;
    try {
      const stale = (await consent(authUrl())).searchParams.get('code')!;
      assert.equal((await token({ grant_type: 'authorization_code', code: stale, redirect_uri: REDIRECT })).body.error, 'invalid_grant');
    } finally {
      emulator.knobs.authCodeTtlSeconds = 600;
    }
  });

  it('when the redirect_uri is another of the client\'s, then invalid_grant; one it never registered, redirect_uri_mismatch', async () => {
    const other = 'http://127.0.0.1:9/other-callback';
    emulator.registerClient({ ...CLIENT, redirectUris: [other] });
    const elsewhere = await token({ grant_type: 'authorization_code', code: (await consent(authUrl())).searchParams.get('code')!, redirect_uri: other });
    assert.deepEqual([elsewhere.status, elsewhere.body.error, elsewhere.body.error_description], [400, 'invalid_grant', 'Bad Request']);
    const unregistered = await token({ grant_type: 'authorization_code', code: (await consent(authUrl())).searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9/never' });
    assert.deepEqual([unregistered.status, unregistered.body.error], [400, 'redirect_uri_mismatch']);
  });

  it('when an exchange fails, then the code is used up and a second, right try is invalid_grant', async () => {
    const verifier = 'v'.repeat(64);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const failures: Array<Record<string, string>> = [{ redirect_uri: 'http://127.0.0.1:9/never', code_verifier: verifier }, { redirect_uri: REDIRECT, code_verifier: 'w'.repeat(64) }, { redirect_uri: REDIRECT }];
    for (const failure of failures) {
      const code = (await consent(authUrl({ code_challenge: challenge }))).searchParams.get('code')!;
      assert.equal((await token({ grant_type: 'authorization_code', code, ...failure })).status, 400);
      const retry = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
      assert.deepEqual([retry.status, retry.body.error, retry.body.error_description], [400, 'invalid_grant', 'Bad Request'], JSON.stringify(failure));
    }
  });

  it('when refresh tokens are issued, then only on first consent or prompt=consent, and a refresh answers without one', async () => {
    const exchange = async (prompt?: string) => {
      const code = (await consent(authUrl(prompt ? { prompt } : {}), { account: 'bob@example.com' })).searchParams.get('code')!;
      return (await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).body;
    };
    const first = await exchange();
    assert.match(String(first.refresh_token), /^1\/\//);
    assert.equal((await exchange()).refresh_token, undefined, 'no new refresh token without prompt=consent');
    assert.match(String((await exchange('consent')).refresh_token), /^1\/\//);

    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: String(first.refresh_token) });
    assert.equal(refreshed.status, 200);
    assert.match(String(refreshed.body.access_token), /^ya29\./);
    assert.equal(refreshed.body.refresh_token, undefined);
  });

  it('when grants are revoked, then refresh answers invalid_grant "Token has been expired or revoked."', async () => {
    const code = (await consent(authUrl({ prompt: 'consent' }), { account: 'alice@example.com' })).searchParams.get('code')!;
    const refreshToken = String((await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).body.refresh_token);
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: refreshToken })).status, 200);
    emulator.revokeGrants('alice@example.com');
    const dead = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    assert.deepEqual([dead.status, dead.body.error, dead.body.error_description], [400, 'invalid_grant', 'Token has been expired or revoked.']);
  });

  it('when a token is revoked, then its whole grant dies and revoking again is invalid_token', async () => {
    const code = (await consent(authUrl({ prompt: 'consent' }), { account: 'bob@example.com' })).searchParams.get('code')!;
    const tokens = (await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).body;
    const revoke = (value: string) => fetch(`${emulator.url}/revoke?token=${encodeURIComponent(value)}`, { method: 'POST' });
    assert.equal((await revoke(String(tokens.access_token))).status, 200);
    const userinfo = await fetch(`${emulator.url}/oauth2/v2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 401);
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) })).body.error, 'invalid_grant');
    const again = await revoke(String(tokens.access_token));
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_token');
  });

  it('when the client is unknown, the secret wrong or the grant type odd, then invalid_client, unsupported_grant_type, invalid_request', async () => {
    const post = (fields: Record<string, string>) => fetch(`${emulator.url}/token`, { method: 'POST', body: new URLSearchParams(fields) });
    const unknown = await post({ client_id: 'nobody', client_secret: 'x', grant_type: 'refresh_token', refresh_token: 'x' });
    assert.equal(unknown.status, 401);
    assert.equal(((await unknown.json()) as { error: string }).error, 'invalid_client');
    const wrongSecret = await post({ client_id: CLIENT.clientId, client_secret: 'wrong', grant_type: 'refresh_token', refresh_token: 'x' });
    assert.equal(wrongSecret.status, 401);
    assert.equal((await token({ grant_type: 'password' })).body.error, 'unsupported_grant_type');
    assert.equal((await token({ grant_type: 'authorization_code', redirect_uri: REDIRECT })).body.error, 'invalid_request');
  });

  it('when google-auth-library drives it, then PKCE sign-in, an API call, refresh and revoke all work unmodified', async () => {
    const client = new OAuth2Client({
      clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, redirectUri: REDIRECT,
      endpoints: { oauth2AuthBaseUrl: `${emulator.url}/o/oauth2/v2/auth`, oauth2TokenUrl: `${emulator.url}/token`, oauth2RevokeUrl: `${emulator.url}/revoke` },
    });
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    const url = client.generateAuthUrl({
      access_type: 'offline', prompt: 'consent', scope: [PICKER_SCOPE, 'openid', 'email'], state: 'gal',
      code_challenge: codeChallenge!, code_challenge_method: CodeChallengeMethod.S256,
    });
    const code = (await consent(url)).searchParams.get('code')!;
    const { tokens } = await client.getToken({ code, codeVerifier });
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.expiry_date);
    client.setCredentials(tokens);
    const session = await client.request<{ id: string; pickerUri: string }>({ url: `${emulator.url}/v1/sessions`, method: 'POST', data: {} });
    assert.equal(session.data.pickerUri, `${emulator.url}/picker/${session.data.id}`);
    const { credentials } = await client.refreshAccessToken();
    assert.notEqual(credentials.access_token, tokens.access_token);
    assert.equal(credentials.refresh_token, tokens.refresh_token, 'the library keeps the old refresh token');
    await client.revokeToken(credentials.refresh_token!);
    await assert.rejects(client.refreshAccessToken(), /invalid_grant/);
  });

  it('when userinfo is asked, then the id always, the email only with the email scope, the name and picture only with profile', async () => {
    const idTokenClaims: Array<Record<string, unknown>> = [];
    const userinfo = async (scope: string) => {
      const code = (await consent(authUrl({ scope }), { account: 'carol@example.com' })).searchParams.get('code')!;
      const { access_token, id_token } = (await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).body;
      if (id_token) idTokenClaims.push(JSON.parse(Buffer.from(String(id_token).split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>);
      return (await (await fetch(`${emulator.url}/oauth2/v2/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })).json()) as Record<string, unknown>;
    };
    const everything = await userinfo(`openid email profile ${PICKER_SCOPE}`);
    assert.deepEqual([everything.email, everything.verified_email, everything.name], ['carol@example.com', true, 'Carol Example']);
    assert.ok(everything.id && everything.picture);
    const email = await userinfo('openid https://www.googleapis.com/auth/userinfo.email');
    assert.deepEqual(Object.keys(email).sort(), ['email', 'id', 'verified_email']);
    const profile = await userinfo(`profile ${PICKER_SCOPE}`);
    assert.deepEqual([profile.name, profile.email], ['Carol Example', undefined]);
    assert.deepEqual(Object.keys(await userinfo(`openid ${PICKER_SCOPE}`)), ['id']);
    assert.deepEqual(idTokenClaims.map((claims) => claims.email), ['carol@example.com', 'carol@example.com', undefined], 'the id_token says the same');
    const missing = await fetch(`${emulator.url}/oauth2/v2/userinfo`);
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as { error: { status: string } }).error.status, 'UNAUTHENTICATED');
  });
});
