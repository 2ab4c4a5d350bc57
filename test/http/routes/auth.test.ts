import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PICKER_SCOPE } from '../../../src/config.ts';
import { consentToSignIn, signIn, startHarness, type Harness } from '../../helpers/harness.ts';

// The stores of one process: what several requests change at once must hold on disk as in memory.
for (const store of ['memory', 'embedded'] as const)
describe(`Google sign-in (the ${store} store)`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { SESSION_STORE: store } });
  });
  after(() => h.close());

  it('when sign-in starts, then the browser goes to Google with PKCE S256, a state and every contract parameter', async () => {
    const response = await h.client().get('/auth/google');
    assert.equal(response.status, 302);
    const url = new URL(response.headers.get('location')!);
    assert.equal(`${url.origin}${url.pathname}`, h.config.google.authUrl);
    const p = url.searchParams;
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('client_id'), h.config.google.clientId);
    assert.equal(p.get('redirect_uri'), `${h.url}/auth/google/callback`);
    assert.deepEqual(p.get('scope')!.split(' ').sort(), [PICKER_SCOPE, 'email', 'openid'].sort());
    assert.ok((p.get('state') ?? '').length >= 32);
    assert.match(p.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(p.get('code_challenge_method'), 'S256');
    assert.equal(p.get('access_type'), 'offline');
    assert.equal(p.get('include_granted_scopes'), 'true');
    assert.equal(p.get('prompt'), 'consent');
  });

  it('when two sign-ins start, then each gets its own state and challenge', async () => {
    const a = new URL((await h.client().get('/auth/google')).headers.get('location')!).searchParams;
    const b = new URL((await h.client().get('/auth/google')).headers.get('location')!).searchParams;
    assert.notEqual(a.get('state'), b.get('state'));
    assert.notEqual(a.get('code_challenge'), b.get('code_challenge'));
  });

  it('when the user allows access, then the session id changes and they land on return_to signed in', async () => {
    const client = h.client();
    await client.get('/auth/google'); // a started sign-in stores a session: see it replaced
    const before = client.cookies.get('sid');
    assert.ok(before);
    const response = await signIn(client, { returnTo: '/sessions?x=1' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/sessions?x=1');
    assert.notEqual(client.cookies.get('sid'), before);
    const home = await (await client.get('/')).text();
    assert.match(home, /alice@example\.com/);
    assert.match(home, /action="\/sessions"/);
  });

  it('when return_to is not a relative path, then it is ignored', async () => {
    for (const target of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const response = await signIn(h.client(), { returnTo: target });
      assert.equal(response.headers.get('location'), '/', target);
    }
  });

  it('when the callback has no state or a wrong one, or is replayed, then it answers 400 INVALID_STATE', async () => {
    const client = h.client();
    await client.get('/auth/google');
    for (const query of ['?code=4/0Afake', '?code=4/0Afake&state=not-the-state', '?code=4/0Afake&state=a&state=b']) {
      const refused = await client.get(`/auth/google/callback${query}`, { accept: 'json' });
      assert.equal(refused.status, 400, query);
      assert.equal((await refused.json()).code, 'INVALID_STATE', query);
    }

    const signedIn = h.client();
    const callback = await consentToSignIn(signedIn);
    assert.equal((await signedIn.get(callback)).status, 303);
    const replay = await signedIn.get(callback, { accept: 'json' });
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).code, 'INVALID_STATE');
  });

  it('when two tabs start signing in and finish in either order, then both succeed', async () => {
    const client = h.client();
    const first = await consentToSignIn(client);
    const second = await consentToSignIn(client);
    assert.equal((await client.get(second)).status, 303);
    assert.equal((await client.get(first)).status, 303, 'the first tab still finishes after the session id changed');
    assert.match(await (await client.get('/')).text(), /alice@example\.com/);
  });

  it('when the state comes from another browser, then it is refused', async () => {
    const victim = h.client();
    const attacker = h.client();
    const start = await attacker.get('/auth/google');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    await victim.get('/auth/google');
    assert.equal((await victim.get(`/auth/google/callback?code=4/0Afake&state=${state}`)).status, 400);
  });

  it('when the user denies access, then a 403 page offers to try again', async () => {
    const response = await signIn(h.client(), { decision: 'deny' });
    assert.equal(response.status, 403);
    const html = await response.text();
    assert.match(html, /<html lang="en">/);
    assert.match(html, /did not allow access/i);
    assert.match(html, /href="\/auth\/google"/);
  });

  it('when the picker permission is left unticked, then a 403 page says so and nobody is signed in', async () => {
    const client = h.client();
    // Someone who never granted it: the gateway asks with include_granted_scopes, so an earlier grant would still count.
    const response = await signIn(client, { grant: 'without-picker', account: 'carol@example.com' });
    assert.equal(response.status, 403);
    const html = await response.text();
    assert.match(html, /Permission to pick photos was not granted/);
    assert.match(html, /href="\/auth\/google"/);
    const home = await (await client.get('/')).text();
    assert.match(home, /href="\/auth\/google"/);
    assert.doesNotMatch(home, /action="\/sessions"/);
  });

  it('when a signed-in user with a refresh token signs in again, then consent is not forced', async () => {
    const client = await h.signedInClient();
    const again = await client.get('/auth/google');
    assert.equal(new URL(again.headers.get('location')!).searchParams.get('prompt'), null);
    assert.equal((await signIn(client)).status, 303);
    // The refresh token from the first consent is still held: a refresh works.
    h.emulator.expireAccessTokens('alice@example.com');
    const created = await client.post('/sessions', { accept: 'json', json: {} });
    assert.equal(created.status, 201);
  });

  it('when a signed-in user signs in again in a browser still signed in to Google, then Google sends them straight back with no consent page and the sign-in finishes', async () => {
    const client = h.client();
    // The first sign-in, keeping the cookie that signs this browser in to Google.
    const authUrl = new URL((await client.get('/auth/google')).headers.get('location')!);
    const transaction = (await (await fetch(authUrl)).text()).match(/name="transaction" value="([^"]+)"/)![1]!;
    const form = new URLSearchParams({ transaction, account: 'bob@example.com', decision: 'allow' });
    for (const scope of authUrl.searchParams.get('scope')!.split(' ')) form.append('scope', scope);
    const decision = await fetch(new URL('/o/oauth2/v2/auth/decision', authUrl), { method: 'POST', body: form, redirect: 'manual' });
    const google = decision.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    assert.equal((await client.get(decision.headers.get('location')!)).status, 303);

    const again = new URL((await client.get('/auth/google')).headers.get('location')!);
    const straight = await fetch(again, { headers: { cookie: google }, redirect: 'manual' });
    assert.equal(straight.status, 302, 'no page');
    const back = new URL(straight.headers.get('location')!);
    assert.equal(back.searchParams.get('prompt'), 'none');
    assert.equal((await client.get(back.href)).status, 303);
    client.csrfToken = undefined;
    assert.match(await (await client.get('/')).text(), /bob@example\.com/);
    // The refresh token of the first consent is still the one held: a refresh works.
    h.emulator.expireAccessTokens('bob@example.com');
    assert.equal((await client.post('/sessions', { accept: 'json', json: {} })).status, 201);
  });

  it('when the user signs out, then the token is revoked, open picker sessions are deleted and the old cookie is worthless', async () => {
    const client = await h.signedInClient({ account: 'bob@example.com' });
    const created = await client.post('/sessions', { accept: 'json', json: {} });
    const { id } = await created.json();
    const oldCookie = client.cookies.get('sid')!;
    h.emulator.clearRequests();

    const response = await client.post('/auth/logout');
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/?notice=signedOut');
    assert.match(await (await h.client().get('/?notice=signedOut')).text(), /<p class="notice" role="status">You are signed out\./, 'the next page says so');
    assert.ok(h.emulator.requests.some((r) => r.path === '/revoke' && r.status === 200));
    assert.ok(h.emulator.requests.some((r) => r.method === 'DELETE' && r.path === `/v1/sessions/${id}`));
    assert.equal(h.emulator.sessionsOf('bob@example.com').find((s) => s.id === id)?.deleted, true);

    const replay = h.client();
    replay.setCookie('sid', oldCookie);
    const home = await (await replay.get('/')).text();
    assert.doesNotMatch(home, /bob@example\.com/);
    const api = await replay.post('/sessions', { accept: 'json', json: {} });
    assert.ok([401, 403].includes(api.status));
  });

  it('then no token, code, state or cookie value ever reached the logs', async () => {
    const client = h.client();
    const callback = new URL(await consentToSignIn(client));
    const state = callback.searchParams.get('state')!;
    const code = callback.searchParams.get('code')!;
    await client.get(callback.href);
    await client.post('/sessions', { accept: 'json', json: {} });
    const secrets = [state, code, client.cookies.get('sid')!, decodeURIComponent(client.cookies.get('sid')!), client.csrfToken!];
    const logs = h.logs.join('\n');
    assert.ok(logs.includes('/auth/google/callback'), 'the callback request itself is logged');
    for (const secret of secrets) assert.ok(!logs.includes(secret), `log contains ${secret.slice(0, 8)}…`);
    assert.doesNotMatch(logs, /ya29\.|1\/\/|Bearer /);
  });
});
