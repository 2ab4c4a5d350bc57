import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'express';
import { sessionHasState } from '../../../src/http/middleware/csrf.ts';
import { startHarness, type Client, type Harness } from '../../helpers/harness.ts';

describe('CSRF protection on unsafe methods', () => {
  let h: Harness;
  let client: Client;
  before(async () => {
    h = await startHarness();
    client = await h.signedInClient();
    await client.refreshCsrf();
  });
  after(() => h.close());

  it('when the form carries no token, then 403 and nothing happens', async () => {
    const response = await client.post('/sessions', { form: {}, csrf: false });
    assert.equal(response.status, 403);
    assert.match(await response.text(), /This form has expired/);
  });

  it('when the JSON request has a wrong token, then 403 with problem details', async () => {
    const response = await client.post('/sessions', { accept: 'json', json: {}, csrf: false, headers: { 'x-csrf-token': 'forged' } });
    assert.equal(response.status, 403);
    assert.equal((await response.json()).code, 'CSRF_REJECTED');
  });

  it('when the Origin is another site, then 403 even with a valid token', async () => {
    const response = await client.post('/sessions', { accept: 'json', json: {}, origin: 'https://evil.example' });
    assert.equal(response.status, 403);
  });

  it('when there is neither Origin nor Sec-Fetch-Site, then 403', async () => {
    const response = await client.post('/sessions', { accept: 'json', json: {}, origin: null });
    assert.equal(response.status, 403);
  });

  it('when Sec-Fetch-Site says cross-site without Origin, then 403; same-origin with a token passes', async () => {
    const cross = await client.post('/sessions', { accept: 'json', json: {}, origin: null, headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(cross.status, 403);
    const same = await client.post('/sessions', { accept: 'json', json: {}, origin: null, headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(same.status, 201);
  });

  it('when logout is attempted cross-site, then the user stays signed in', async () => {
    const response = await client.post('/auth/logout', { origin: 'https://evil.example' });
    assert.equal(response.status, 403);
    assert.match(await (await client.get('/')).text(), /alice@example\.com/);
  });

  it('when every HTML page is served, then it exposes the token in a meta tag', async () => {
    for (const path of ['/', '/no-such-page']) {
      const html = await (await client.get(path, { accept: 'html' })).text();
      assert.match(html, /<meta name="csrf-token" content="[^"]{16,}">/, path);
    }
  });
});

describe('anonymous visitors', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
  });
  after(() => h.close());

  /** Counts the sessions written from here on. */
  const countWrites = () => {
    const store = h.stores.sessionStore;
    const set = store.set.bind(store);
    let writes = 0;
    store.set = (sid, data, callback) => {
      writes++;
      set(sid, data, callback);
    };
    return { writes: () => writes, stop: () => delete (store as Partial<typeof store>).set };
  };

  it('when they see the home page, a 404 or an error page, then no session cookie is set and nothing is stored', async () => {
    const pages: Array<[string, () => Promise<Response>]> = [
      ['home', () => h.client().get('/', { accept: 'html' })],
      ['404', () => h.client().get('/nope', { accept: 'html' })],
      ['400 error page', () => h.client().get('/auth/google/callback?state=forged&code=x', { accept: 'html' })],
      ['403 error page', () => h.client().post('/sessions', { form: {}, origin: 'https://evil.example' })],
      ['language switch', () => h.client().get('/?lang=th', { accept: 'html' })],
    ];
    const sessions = countWrites();
    for (const [name, load] of pages) {
      const response = await load();
      const html = await response.text();
      assert.match(html, /<meta name="csrf-token" content="">/, name);
      const cookies = response.headers.getSetCookie().map((line) => line.split('=')[0]);
      assert.ok(cookies.every((cookie) => cookie === 'lang'), `${name} set ${cookies.join(', ')}`);
    }
    sessions.stop();
    assert.equal(sessions.writes(), 0);
  });

  it('when one posts from this site without a token, then it is asked to sign in, not refused as a forgery', async () => {
    const client = h.client();
    const sessions = countWrites();
    const api = await client.post('/sessions', { accept: 'json', json: {}, csrf: false });
    assert.equal(api.status, 401);
    const page = await client.post('/sessions', { form: {}, csrf: false });
    assert.equal(page.status, 303);
    sessions.stop();
    assert.equal(sessions.writes(), 0);
  });

  it('when the session holds a signed-in user or a started sign-in, then it has state to protect; otherwise not', () => {
    const request = (session: unknown) => ({ session }) as Request;
    assert.equal(sessionHasState(request({ user: { sub: '1' } })), true);
    assert.equal(sessionHasState(request({ signInBinding: { state: 'x' } })), true);
    assert.equal(sessionHasState(request({ cookie: {} })), false);
    assert.equal(sessionHasState(request(undefined)), false);
  });
});
