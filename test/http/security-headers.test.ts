import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness.ts';

describe('security headers and cookies', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('when a page is served, then its CSP has a fresh nonce, no unsafe-inline, and form-action allows the picker redirect', async () => {
    const first = await h.client().get('/');
    const second = await h.client().get('/');
    const csp = first.headers.get('content-security-policy')!;
    const nonce = csp.match(/'nonce-([^']+)'/)?.[1];
    assert.ok(nonce);
    assert.ok(!second.headers.get('content-security-policy')!.includes(nonce!), 'nonce changes per request');
    assert.equal(Buffer.from(nonce!, 'base64').length, 16, 'a 128-bit nonce');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const formAction = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('form-action'))!;
    assert.ok(formAction.includes("'self'"));
    assert.ok(formAction.includes(h.emulator.url), formAction);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    const html = await first.text();
    assert.ok(html.includes(`nonce="${nonce}"`));
    assert.equal(first.headers.get('referrer-policy'), 'same-origin');
    assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(first.headers.get('x-powered-by'), null);
  });

  it('when a session cookie is set over http, then it is HttpOnly, SameSite=Lax, Path=/ and not Secure', async () => {
    const response = await h.client().get('/auth/google'); // a started sign-in: the first thing a session holds
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('sid='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/);
  });

  it('when PUBLIC_URL is https, then the cookie is __Host-sid and Secure', async () => {
    const secure = await startHarness({ env: { PUBLIC_URL: 'https://photos.example.test', TRUST_PROXY: 'loopback' }, sharedEmulator: h.emulator });
    try {
      const response = await fetch(`${secure.url}/auth/google`, { headers: { 'x-forwarded-proto': 'https' }, redirect: 'manual' });
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-sid='));
      assert.ok(cookie, response.headers.getSetCookie().join(' | '));
      assert.match(cookie!, /Secure/);
      assert.match(cookie!, /HttpOnly/);
      assert.match(cookie!, /SameSite=Lax/);
      assert.match(cookie!, /Path=\//);
      assert.doesNotMatch(cookie!, /Domain=/);
      assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=31536000/);
    } finally {
      await secure.close();
    }
  });

  it('when a tampered session cookie arrives, then it is not accepted', async () => {
    const client = await h.signedInClient();
    const value = client.cookies.get('sid')!;
    client.setCookie('sid', `${value.slice(0, -3)}abc`);
    assert.doesNotMatch(await (await client.get('/')).text(), /alice@example\.com/);
  });

  it('when liveness and readiness are probed, then they answer 200 without creating a session', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`${h.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.getSetCookie().length, 0, path);
    }
  });
});
