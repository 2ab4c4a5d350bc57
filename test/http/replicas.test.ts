import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, mock } from 'node:test';
import { Redis } from 'ioredis';
import { createEmulator, type Emulator } from '@photos-picker-gateway/google-emulator';
import { consentToSignIn, createPickerSession, eventually, signIn, startHarness, waitForStatus, type Harness } from '../helpers/harness.ts';
import { keysUnder, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

describe('two replicas on one Redis', () => {
  let emulator: Emulator;
  let a: Harness;
  let b: Harness;
  let prefix: string;

  before(async () => {
    emulator = createEmulator({ knobs: { pollIntervalSeconds: 1 } });
    await emulator.listen(0, '127.0.0.1');
    prefix = uniquePrefix();
    a = await startHarness({ sharedEmulator: emulator, env: { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
    // Replica B serves the same site: same public URL, secrets and keys.
    b = await startHarness({
      sharedEmulator: emulator,
      env: {
        PUBLIC_URL: a.url, SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix,
        TOKEN_ENCRYPTION_KEY: a.config.tokenKeys.map((k) => k.toString('base64')).join(','),
      },
    });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
  });

  it('when a user signs in through one and works through the other, then everything follows them', async () => {
    const viaA = a.client();
    const viaB = viaA.via(b.url);
    // The sign-in starts on A and Google's redirect back lands on B.
    const callback = new URL(await consentToSignIn(viaA));
    const landed = await viaB.get(`${callback.pathname}${callback.search}`);
    assert.equal(landed.status, 303);

    const id = await createPickerSession(viaB);
    emulator.pick(id, { count: 2 });
    await waitForStatus(viaA, id, 'complete');
    const { mediaItems } = await (await viaB.get(`/sessions/${id}/media-items`, { accept: 'json' })).json();
    assert.equal(mediaItems.length, 2);
    const bytes = await viaA.get(mediaItems[0].thumbnailUrl);
    assert.equal(bytes.status, 200);
    assert.ok((await bytes.arrayBuffer()).byteLength > 0);
    assert.equal((await viaA.delete(`/sessions/${id}`, { accept: 'json' })).status, 204);
    assert.equal((await viaB.get(`/sessions/${id}`, { accept: 'json' })).status, 404);
  });

  it('when both replicas poll the same session, then Google still sees one call per interval', async () => {
    const viaA = a.client();
    await signIn(viaA);
    const viaB = viaA.via(b.url);
    const id = await createPickerSession(viaA);
    emulator.clearRequests();
    const started = Date.now();
    await Promise.all([viaA, viaB, viaA, viaB].map(async (client) => {
      while (Date.now() - started < 2_500) {
        await (await client.get(`/sessions/${id}`, { accept: 'json' })).arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    }));
    const calls = emulator.requests.filter((r) => r.path === `/v1/sessions/${id}`);
    assert.ok(calls.length <= 3, `Google saw ${calls.length} sessions.get in 2.5 s at a 1 s interval`);
  });

  it('when 20 tabs poll a stale session through both replicas at once, then Google is asked once', async () => {
    const client = a.client();
    await signIn(client);
    const id = await createPickerSession(client);
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 1_100 }); // past the 1 s pollInterval: the next look asks Google
    try {
      emulator.clearRequests();
      const tabs = Array.from({ length: 20 }, (_, i) => (i % 2 ? client.via(b.url) : client));
      const answers = await Promise.all(tabs.map((tab) => tab.get(`/sessions/${id}`, { accept: 'json' })));
      assert.deepEqual(answers.map((r) => r.status), Array(20).fill(200));
    } finally {
      mock.timers.reset();
    }
    assert.equal(emulator.requests.filter((r) => r.path === `/v1/sessions/${id}`).length, 1);
  });

  it('when both replicas work the queue, then each expired session is deleted at Google exactly once', async () => {
    emulator.knobs.sessionTtlSeconds = 1;
    try {
      const client = a.client();
      await signIn(client, { account: 'bob@example.com' });
      // Earlier tests left sessions whose deletion is an hour away: those jobs stay delayed.
      const outstanding = async () => {
        const counts = await a.stores.jobs.counts();
        return counts.waiting + counts.active + counts.delayed;
      };
      const before = await outstanding();
      const ids = [await createPickerSession(client), await createPickerSession(client), await createPickerSession(client)];
      const deletions = (id: string) => emulator.requests.filter((r) => r.method === 'DELETE' && r.path === `/v1/sessions/${id}`).length;
      await eventually(() => ids.every((id) => deletions(id) >= 1), 'every expired session is deleted');
      await eventually(async () => (await outstanding()) <= before, 'no deletion job is left');
      for (const id of ids) assert.equal(deletions(id), 1, id);
    } finally {
      emulator.knobs.sessionTtlSeconds = 3600;
    }
  });

  it('then no Google token is stored in plain text in any Redis value', async () => {
    const client = a.client();
    await signIn(client);
    await createPickerSession(client);
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const keys = await keysUnder(redis, prefix);
      assert.ok(keys.some((k) => k.startsWith(`${prefix}sess:`)), 'sessions are in Redis');
      let checked = 0;
      for (const key of keys) {
        const type = String(await redis.type(key));
        const value =
          type === 'string' ? String(await redis.get(key))
          : type === 'zset' ? (await redis.zrange(key, '0', '-1')).join(' ')
          : type === 'hash' ? JSON.stringify(await redis.hgetall(key))
          : '';
        assert.doesNotMatch(value, /ya29\.|1\/\/|"access_token"|"refresh_token"/, key);
        checked++;
      }
      assert.ok(checked > 0);
    } finally {
      redis.disconnect();
    }
  });
});
