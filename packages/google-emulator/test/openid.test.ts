import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as openid from 'openid-client';
import { createEmulator, type Emulator } from '../src/index.ts';
import { PICKER_SCOPE } from '../src/state.ts';

const CLIENT = { clientId: 'oidc-test-client', clientSecret: 'oidc-test-secret', redirectUris: ['http://127.0.0.1:9/oidc-callback'] };
const REDIRECT = CLIENT.redirectUris[0]!;

describe('the emulator: OpenID Connect', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = createEmulator({ clients: [CLIENT] });
    await emulator.listen();
  });
  after(() => emulator.close());

  /** Answers the consent page at `url` as `account` with every requested scope ticked; returns the redirect back. */
  async function consent(url: string | URL, account = 'alice@example.com'): Promise<URL> {
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const transaction = (await page.text()).match(/name="transaction" value="([^"]+)"/)![1]!;
    const form = new URLSearchParams({ transaction, account, decision: 'allow' });
    for (const scope of (new URL(url).searchParams.get('scope') ?? '').split(' ')) form.append('scope', scope);
    const answer = await fetch(`${emulator.url}/o/oauth2/v2/auth/decision`, { method: 'POST', body: form, redirect: 'manual' });
    assert.equal(answer.status, 302);
    return new URL(answer.headers.get('location')!);
  }

  async function tokensFor(scope: string, account = 'alice@example.com', extra: Record<string, string> = {}) {
    const url = new URL(`${emulator.url}/o/oauth2/v2/auth`);
    url.search = new URLSearchParams({ client_id: CLIENT.clientId, redirect_uri: REDIRECT, response_type: 'code', scope, ...extra }).toString();
    const code = (await consent(url, account)).searchParams.get('code')!;
    const answer = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    });
    return (await answer.json()) as { access_token: string; id_token?: string };
  }

  // https://developers.google.com/identity/openid-connect/openid-connect#discovery
  it('when the discovery document is read, then it names the endpoints the emulator serves, RS256 and the JWKS', async () => {
    const response = await fetch(`${emulator.url}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    const doc = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(
      [doc.issuer, doc.authorization_endpoint, doc.token_endpoint, doc.userinfo_endpoint, doc.revocation_endpoint, doc.jwks_uri],
      [emulator.url, `${emulator.url}/o/oauth2/v2/auth`, `${emulator.url}/token`, `${emulator.url}/v1/userinfo`, `${emulator.url}/revoke`, `${emulator.url}/oauth2/v3/certs`],
    );
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
    assert.deepEqual(doc.code_challenge_methods_supported, ['plain', 'S256']);
    const jwks = (await (await fetch(String(doc.jwks_uri))).json()) as { keys: Array<Record<string, string>> };
    assert.equal(jwks.keys.length, 1);
    assert.deepEqual([jwks.keys[0]!.kty, jwks.keys[0]!.alg, jwks.keys[0]!.use], ['RSA', 'RS256', 'sig']);
    assert.ok(jwks.keys[0]!.kid);
    assert.equal(jwks.keys[0]!.d, undefined, 'only the public key is published');
  });

  // https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken
  it('when an id_token is issued, then it verifies offline against the JWKS, with Google\'s claims by scope, the nonce and at_hash', async () => {
    const jwks = createRemoteJWKSet(new URL(`${emulator.url}/oauth2/v3/certs`));
    const { access_token, id_token } = await tokensFor(`openid email ${PICKER_SCOPE}`, 'alice@example.com', { nonce: 'n-0S6_WzA2Mj' });
    const { payload, protectedHeader } = await jwtVerify(id_token!, jwks, { issuer: emulator.url, audience: CLIENT.clientId, algorithms: ['RS256'] });
    const published = ((await (await fetch(`${emulator.url}/oauth2/v3/certs`)).json()) as { keys: Array<{ kid: string }> }).keys[0]!.kid;
    assert.equal(protectedHeader.kid, published);
    assert.deepEqual(
      [payload.sub, payload.azp, payload.email, payload.email_verified, payload.nonce, payload.name],
      ['100000000000000000001', CLIENT.clientId, 'alice@example.com', true, 'n-0S6_WzA2Mj', undefined],
    );
    const digest = createHash('sha256').update(access_token).digest();
    assert.equal(payload.at_hash, digest.subarray(0, 16).toString('base64url'));
    assert.equal(payload.exp! - payload.iat!, 3600);

    const profile = await tokensFor('openid profile', 'bob@example.com');
    const { payload: bob } = await jwtVerify(profile.id_token!, jwks, { issuer: emulator.url, audience: CLIENT.clientId });
    assert.deepEqual([bob.name, bob.given_name, bob.email, bob.nonce], ['Bob Example', 'Bob', undefined, undefined]);

    const [header, body] = id_token!.split('.');
    await assert.rejects(jwtVerify(`${header}.${body}.${'A'.repeat(342)}`, jwks), /signature verification failed/);
    assert.equal(decodeProtectedHeader(id_token!).alg, 'RS256');
  });

  // https://developers.google.com/identity/openid-connect/openid-connect#obtaininguserprofileinformation
  it('when the OpenID Connect userinfo endpoint is asked, then sub always, email and email_verified with email, the name with profile', async () => {
    const userinfo = async (scope: string, path = '/v1/userinfo') => {
      const { access_token } = await tokensFor(scope, 'carol@example.com');
      const response = await fetch(`${emulator.url}${path}`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(response.status, 200);
      return (await response.json()) as Record<string, unknown>;
    };
    assert.deepEqual(await userinfo(`openid ${PICKER_SCOPE}`), { sub: '100000000000000000003' });
    assert.deepEqual(await userinfo('openid email'), { sub: '100000000000000000003', email: 'carol@example.com', email_verified: true });
    const everything = await userinfo('openid email profile', '/oauth2/v3/userinfo');
    assert.deepEqual([everything.sub, everything.email, everything.name, everything.family_name], ['100000000000000000003', 'carol@example.com', 'Carol Example', 'Example']);
    assert.ok(everything.picture);
    const forged = await fetch(`${emulator.url}/v1/userinfo`, { headers: { authorization: 'Bearer ya29.forged' } });
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
  });

  // An app signs in against the emulator as against https://accounts.google.com, with a certified OpenID Connect relying
  // party library (https://openid.net/certification/, openid-client): https://developers.google.com/identity/openid-connect/openid-connect
  it('when openid-client signs in as an app would at Google, then discovery, code with PKCE, the id_token verified against the JWKS and userinfo all work', async () => {
    const config = await openid.discovery(new URL(emulator.url), CLIENT.clientId, CLIENT.clientSecret, undefined, { execute: [openid.allowInsecureRequests] });
    assert.equal(config.serverMetadata().issuer, emulator.url);
    // Signatures of id_tokens straight from the token endpoint are checked only when asked: ask, against the JWKS.
    openid.enableNonRepudiationChecks(config);
    const verifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    const authorization = openid.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: `openid email ${PICKER_SCOPE}`, state, nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', access_type: 'offline', prompt: 'consent',
    });
    assert.equal(`${authorization.origin}${authorization.pathname}`, `${emulator.url}/o/oauth2/v2/auth`);
    const callback = await consent(authorization, 'bob@example.com');

    const tokens = await openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    const claims = tokens.claims()!;
    assert.deepEqual([claims.iss, claims.aud, claims.sub, claims.email], [emulator.url, CLIENT.clientId, '100000000000000000002', 'bob@example.com']);
    assert.ok(tokens.refresh_token, 'access_type=offline with prompt=consent');
    const userinfo = await openid.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.deepEqual(userinfo, { sub: '100000000000000000002', email: 'bob@example.com', email_verified: true });

    const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(refreshed.claims()?.sub, claims.sub, 'a refresh brings a verified id_token too');
    await openid.tokenRevocation(config, tokens.refresh_token!);
    await assert.rejects(openid.refreshTokenGrant(config, tokens.refresh_token!), { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });

    // The library refuses a tampered id_token: the emulator's are really signed.
    const again = openid.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state, code_challenge: await openid.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const second = await consent(again, 'bob@example.com');
    const tampering: openid.CustomFetch = async (url, options) => {
      const response = await fetch(url, options as RequestInit);
      if (!url.endsWith('/token')) return response;
      const body = (await response.json()) as { id_token: string };
      const [header, payload, signature] = body.id_token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: '100000000000000000001' })).toString('base64url');
      return Response.json({ ...body, id_token: `${header}.${forged}.${signature}` }, { status: response.status, headers: response.headers });
    };
    config[openid.customFetch] = tampering;
    await assert.rejects(openid.authorizationCodeGrant(config, second, { pkceCodeVerifier: verifier, expectedState: state }), (error: Error) => {
      assert.match(String((error.cause as Error | undefined)?.message), /JWT signature verification failed/);
      return true;
    });
  });
});
