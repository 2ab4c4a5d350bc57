import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createEmulator, type Emulator } from '@photos-picker-gateway/google-emulator';
import { consentToSignIn, createPickerSession, signIn, startHarness, waitForStatus, type Harness } from '../helpers/harness.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

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

  it('when two tabs poll a stale session at the same moment, then one replica takes the poll lock once for both', async () => {
    const client = a.client();
    await signIn(client);
    const id = await createPickerSession(client);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the 1 s pollInterval: the next look asks Google
    const cache = a.stores.sharedCache;
    const acquire = cache.acquire.bind(cache);
    const lockRequests: string[] = [];
    // A slow Redis round trip, so the second tab surely arrives while the first is still taking the lock.
    cache.acquire = async (key, ttlMs) => {
      if (key.startsWith('picker:poll-lock:')) lockRequests.push(key);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return acquire(key, ttlMs);
    };
    try {
      emulator.clearRequests();
      const answers = await Promise.all([1, 2].map(() => client.get(`/sessions/${id}`, { accept: 'json' })));
      assert.deepEqual(answers.map((r) => r.status), [200, 200]);
    } finally {
      cache.acquire = acquire;
    }
    assert.equal(lockRequests.length, 1, `the poll lock was asked for ${lockRequests.length} times`);
    assert.equal(emulator.requests.filter((r) => r.path === `/v1/sessions/${id}`).length, 1);
  });

  it('when both replicas run the reaper at once, then each expired session is deleted exactly once', async () => {
    emulator.knobs.sessionTtlSeconds = 1;
    try {
      const client = a.client();
      await signIn(client, { account: 'bob@example.com' });
      const ids = [await createPickerSession(client), await createPickerSession(client), await createPickerSession(client)];
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      emulator.clearRequests();
      const [fromA, fromB] = await Promise.all([a.app.services.reaper.runOnce(), b.app.services.reaper.runOnce()]);
      assert.equal(fromA + fromB, 3);
      for (const id of ids) {
        assert.equal(emulator.requests.filter((r) => r.method === 'DELETE' && r.path === `/v1/sessions/${id}`).length, 1, id);
      }
    } finally {
      emulator.knobs.sessionTtlSeconds = 3600;
    }
  });

  it('when a user polls through Redis-backed replicas, then no Redis command leaves a timer behind', async () => {
    // node-redis's default command timeout made a 5-second AbortSignal.timeout per command, which outlived the answer
    // and raised a DOMException when it fired; that churn reached the old generation and lengthened GC pauses.
    const client = a.client();
    await signIn(client);
    const id = await createPickerSession(client);
    const original = AbortSignal.timeout;
    let made = 0;
    AbortSignal.timeout = (ms: number) => {
      made++;
      return original.call(AbortSignal, ms);
    };
    try {
      for (let i = 0; i < 20; i++) assert.equal((await client.get(`/sessions/${id}`, { accept: 'json' })).status, 200);
    } finally {
      AbortSignal.timeout = original;
    }
    assert.equal(made, 0, `20 requests made ${made} timeout signals`);
  });

  it('then no Google token is stored in plain text in any Redis value', async () => {
    const client = a.client();
    await signIn(client);
    await createPickerSession(client);
    const redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
    try {
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch.map(String));
      assert.ok(keys.some((k) => k.startsWith(`${prefix}sess:`)), 'sessions are in Redis');
      let checked = 0;
      for (const key of keys) {
        const type = String(await redis.type(key));
        const value = type === 'string' ? String(await redis.get(key)) : type === 'zset' ? (await redis.zRange(key, 0, -1)).join(' ') : '';
        assert.doesNotMatch(value, /ya29\.|1\/\/|"access_token"|"refresh_token"/, key);
        checked++;
      }
      assert.ok(checked > 0);
    } finally {
      await redis.close();
    }
  });
});
