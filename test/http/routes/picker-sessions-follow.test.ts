import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import { MAX_REMEMBERED } from '../../../src/domain/picker-sessions.ts';
import { createPickerSession, startHarness, waitForStatus, type Client, type Harness } from '../../helpers/harness.ts';

describe('following a Picker session', () => {
  let h: Harness;
  let alice: Client;
  before(async () => {
    h = await startHarness({ emulator: { knobs: { pollIntervalSeconds: 1 } } });
    alice = await h.signedInClient();
  });
  after(() => h.close());
  beforeEach(() => h.emulator.clearRequests());

  const getCalls = (id: string) => h.emulator.requests.filter((r) => r.method === 'GET' && r.path === `/v1/sessions/${id}`);

  it('when the user is still picking, then JSON says pending with the polling config and the page shows how to pick', async () => {
    const id = await createPickerSession(alice);
    const json = await (await alice.get(`/sessions/${id}`, { accept: 'json' })).json();
    assert.equal(json.id, id);
    assert.equal(json.status, 'pending');
    assert.equal(json.mediaItemsSet, false);
    assert.equal(json.pollingConfig.pollInterval, '1s');
    assert.ok(Date.parse(json.expireTime) > Date.now());

    const page = await alice.get(`/sessions/${id}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Pick your photos in Google Photos/);
    assert.ok(html.includes(`href="${h.emulator.url}/picker/${id}/autoclose" target="_blank"`), 'pickerUri as a link to a tab that closes itself after Done');
    assert.match(html, /<noscript><meta http-equiv="refresh" content="\d+"><\/noscript>/, 'without script the page checks by itself, as it says');
    assert.match(html, /This page checks by itself/);
    assert.match(html, /<img class="qr" src="data:image\/svg\+xml;base64,/);
    assert.match(html, /Time left: \d+ minutes?/);
    assert.match(html, /data-status="pending"/);
  });

  it('when the user pressed Done, then it turns complete and the page lists the items', async () => {
    const id = await createPickerSession(alice);
    h.emulator.pick(id, { count: 3 });
    const json = await waitForStatus(alice, id, 'complete');
    assert.equal(json.mediaItemsSet, true);
    assert.equal(json.pollingConfig, null);
    const html = await (await alice.get(`/sessions/${id}`)).text();
    assert.match(html, /3 items picked/);
    assert.equal((html.match(/<li class="item">/g) ?? []).length, 3);
    assert.match(html, /media-items\/[^"]+\/content\?w=256&amp;h=256&amp;crop=1/);
  });

  it('when many tabs poll at once, then Google is asked at most once per pollInterval', async () => {
    const id = await createPickerSession(alice);
    h.emulator.clearRequests();
    const started = Date.now();
    const tabs = Array.from({ length: 5 }, async () => {
      while (Date.now() - started < 3_000) {
        const response = await alice.get(`/sessions/${id}`, { accept: 'json' });
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });
    await Promise.all(tabs);
    const calls = getCalls(id);
    // 3 s of polling with a 1 s interval (and the create answer counting as the first look).
    assert.ok(calls.length >= 1 && calls.length <= 3, `Google saw ${calls.length} sessions.get`);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i]!.at - calls[i - 1]!.at >= 950, 'calls are an interval apart');
  });

  it('when the session is expired at Google, then it answers 200 expired and the page offers a new pick', async () => {
    const id = await createPickerSession(alice);
    h.emulator.expireSession(id);
    const json = await waitForStatus(alice, id, 'expired');
    assert.equal(json.status, 'expired');
    const page = await alice.get(`/sessions/${id}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /This picking session has ended/);
    assert.match(html, /action="\/sessions"/);
    // PERMISSION_DENIED is final: no more Google calls for it.
    h.emulator.clearRequests();
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 1_100 }); // past the poll interval
    try {
      await alice.get(`/sessions/${id}`, { accept: 'json' });
    } finally {
      mock.timers.reset();
    }
    assert.equal(getCalls(id).length, 0);
  });

  it('when an id was not created here by this user, then 404 without asking Google', async () => {
    const bob = await h.signedInClient({ account: 'bob@example.com' });
    const bobsSession = await createPickerSession(bob);
    h.emulator.clearRequests();
    for (const path of [`/sessions/${bobsSession}`, '/sessions/unknown-id', `/sessions/${bobsSession}/media-items`, `/sessions/${bobsSession}/media-items/x/content`]) {
      const response = await alice.get(path, { accept: 'json' });
      assert.equal(response.status, 404, path);
      assert.equal((await response.json()).code, 'NOT_FOUND');
    }
    assert.equal((await alice.get(`/sessions/${bobsSession}`)).status, 404);
    assert.equal((await alice.delete(`/sessions/${bobsSession}`, { accept: 'json' })).status, 404);
    assert.equal(h.emulator.requests.length, 0);
  });

  it('when a signed-out browser opens a session page, then it signs in and comes back to it; JSON gets 401', async () => {
    const stranger = h.client();
    const page = await stranger.get('/sessions/abc?x=1');
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/auth/google?return_to=%2Fsessions%2Fabc%3Fx%3D1');
    assert.equal((await stranger.get('/sessions/abc/media-items', { accept: 'json' })).status, 401);
  });

  it('when items are listed before Done, then 409 FAILED_PRECONDITION', async () => {
    const id = await createPickerSession(alice);
    const response = await alice.get(`/sessions/${id}/media-items`, { accept: 'json' });
    assert.equal(response.status, 409);
    assert.equal((await response.json()).code, 'FAILED_PRECONDITION');
  });

  it('when items are listed after Done, then each has the contract fields and links through the gateway', async () => {
    const id = await createPickerSession(alice);
    h.emulator.pick(id, { count: 4 });
    await waitForStatus(alice, id, 'complete');
    const body = await (await alice.get(`/sessions/${id}/media-items`, { accept: 'json' })).json();
    assert.equal(body.mediaItems.length, 4);
    assert.equal(body.nextPageToken, null);
    for (const item of body.mediaItems) {
      for (const field of ['id', 'type', 'createTime', 'mimeType', 'filename', 'width', 'height', 'contentUrl', 'thumbnailUrl']) {
        assert.ok(field in item, field);
      }
      assert.equal(item.contentUrl, `/sessions/${id}/media-items/${encodeURIComponent(item.id)}/content`);
      assert.doesNotMatch(JSON.stringify(item), /\/lh\//, 'no Google baseUrl leaks to the client');
    }
    const bad = await alice.get(`/sessions/${id}/media-items?pageSize=500`, { accept: 'json' });
    assert.equal(bad.status, 400);
    const badToken = await alice.get(`/sessions/${id}/media-items?pageToken=forged`, { accept: 'json' });
    assert.equal(badToken.status, 400);
  });

  it('when the user deletes a session, then it is deleted at Google and gone here (DELETE 204, form 303)', async () => {
    const first = await createPickerSession(alice);
    const response = await alice.delete(`/sessions/${first}`, { accept: 'json' });
    assert.equal(response.status, 204);
    assert.equal(h.emulator.sessionsOf('alice@example.com').find((s) => s.id === first)?.deleted, true);
    assert.equal((await alice.get(`/sessions/${first}`, { accept: 'json' })).status, 404);

    const second = await createPickerSession(alice);
    const form = await alice.post(`/sessions/${second}/delete`);
    assert.equal(form.status, 303);
    assert.equal(form.headers.get('location'), '/?notice=deleted', 'nothing imported: no question asked, and the next page says it is done');
    assert.equal(h.emulator.sessionsOf('alice@example.com').find((s) => s.id === second)?.deleted, true);
  });

  it('when the per-user session limit is hit, then stale sessions are deleted and creation is retried once', async () => {
    const bob = await h.signedInClient({ account: 'bob@example.com' });
    // Bob may have sessions open from other tests (other browsers): leave room for exactly two more.
    h.emulator.knobs.maxOpenSessionsPerUser = h.emulator.sessionsOf('bob@example.com').filter((s) => !s.deleted).length + 2;
    try {
      const done = await createPickerSession(bob);
      h.emulator.pick(done, { count: 1 });
      await waitForStatus(bob, done, 'complete');
      await createPickerSession(bob);
      h.emulator.clearRequests();
      const third = await bob.post('/sessions', { accept: 'json', json: {} });
      assert.equal(third.status, 201);
      const calls = h.emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
      assert.deepEqual(calls, ['POST /v1/sessions 429', `DELETE /v1/sessions/${done} 200`, 'POST /v1/sessions 200']);
    } finally {
      h.emulator.knobs.maxOpenSessionsPerUser = 10;
    }
  });

  it('when a user creates more sessions than their session remembers, then the oldest are deleted at Google and forgotten', async () => {
    h.emulator.knobs.maxOpenSessionsPerUser = 1000;
    try {
      const client = await h.signedInClient({ account: 'bob@example.com' });
      const ids: string[] = [];
      for (let i = 0; i < MAX_REMEMBERED + 2; i++) ids.push(await createPickerSession(client));
      const [first, second] = ids;
      const deadline = Date.now() + 3_000;
      const deletedAtGoogle = () => h.emulator.sessionsOf('bob@example.com').filter((s) => [first, second].includes(s.id) && s.deleted).length;
      while (deletedAtGoogle() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal(deletedAtGoogle(), 2);
      assert.equal((await client.get(`/sessions/${first}`, { accept: 'json' })).status, 404);
      assert.equal((await client.get(`/sessions/${ids.at(-1)}`, { accept: 'json' })).status, 200);
      assert.equal(h.emulator.sessionsOf('bob@example.com').find((s) => s.id === ids[2])?.deleted, false);
    } finally {
      h.emulator.knobs.maxOpenSessionsPerUser = 10;
    }
  });
});
