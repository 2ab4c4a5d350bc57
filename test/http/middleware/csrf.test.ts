import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
