import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Redis } from 'ioredis';
import { createPickerSession, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';


/** A signed-in user on a gateway whose sessions live in Redis under a prefix of their own, and a Redis client to look. */
async function withRedisSessions(
  env: Record<string, string>,
  test: (ctx: { h: Harness; redis: Redis; client: Client; sessionKey: () => string }) => Promise<void>,
) {
  const prefix = uniquePrefix();
  const h = await startHarness({ env: { SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, ...env } });
  const redis = new Redis(SHARED_REDIS_URL);
  try {
    const client = await h.signedInClient();
    const sessionKey = () => `${prefix}sess:${client.sessionId!}`;
    await test({ h, redis, client, sessionKey });
  } finally {
    redis.disconnect();
    await h.close();
  }
}

describe('session lifetimes', () => {
  it('when a sign-in is older than the absolute lifetime, then the user is signed out however active', async () => {
    const h = await startHarness({ env: { SESSION_ABSOLUTE_TIMEOUT_MS: '1500' } });
    try {
      const client = await h.signedInClient();
      assert.match(await (await client.get('/')).text(), /alice@example\.com/);
      mock.timers.enable({ apis: ['Date'], now: Date.now() + 1_600 });
      assert.doesNotMatch(await (await client.get('/')).text(), /alice@example\.com/);
      assert.equal((await client.post('/sessions', { accept: 'json', json: {} })).status, 401);
    } finally {
      mock.timers.reset();
      await h.close();
    }
  });

  it('when the session lives in Redis, then its key expires with the idle timeout and is gone after logout', () =>
    withRedisSessions({ SESSION_IDLE_TIMEOUT_MS: '3600000' }, async ({ redis, client, sessionKey }) => {
      const key = sessionKey();
      const ttl = await redis.ttl(key);
      assert.ok(ttl > 3500 && ttl <= 3600, `TTL ${ttl}`);
      await client.post('/auth/logout');
      assert.equal(await redis.exists(key), 0);
    }));

  it('when a signed-in user makes a request that changes nothing, then the session\'s idle timeout starts again', () =>
    withRedisSessions({ SESSION_IDLE_TIMEOUT_MS: '3600000' }, async ({ redis, client, sessionKey }) => {
      const key = sessionKey();
      await redis.pexpire(key, 60_000); // as if it had been idle for 59 minutes
      assert.match(await (await client.get('/')).text(), /alice@example\.com/);
      const ttl = await redis.ttl(key);
      assert.ok(ttl > 3500 && ttl <= 3600, `TTL ${ttl}`);
    }));

  it('when a user has Picker sessions, then their stored browser session holds only who they are', () =>
    withRedisSessions({}, async ({ h, redis, client, sessionKey }) => {
      for (let i = 0; i < 3; i++) await createPickerSession(client);
      const stored = (await redis.get(sessionKey()))!;
      const session = JSON.parse(stored) as Record<string, unknown>;
      assert.deepEqual(Object.keys(session).sort(), ['cookie', 'csrfToken', 'signInBinding', 'user']);
      assert.ok(!stored.includes('pickerUri') && !stored.includes(h.emulator.url), 'Google\'s answers live in the shared store');
      assert.doesNotMatch(stored, /access_token|refresh_token|ya29/, 'no token, sealed or not, in the browser session');
    }));
});
