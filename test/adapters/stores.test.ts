import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SessionData, Store as SessionStore } from 'express-session';
import type { Options as RateLimitOptions } from 'express-rate-limit';
import pino from 'pino';
import { createClient } from 'redis';
import { createStores } from '../../src/adapters/stores.ts';
import { loadConfig } from '../../src/config.ts';
import { PrivateRedis, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

const quiet = pino({ level: 'silent' });
const configFor = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

const saveSession = (store: SessionStore, sid: string) =>
  new Promise<void>((resolve, reject) =>
    store.set(sid, { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) } } as SessionData, (error) => (error ? reject(error) : resolve())));
const loadSession = (store: SessionStore, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve, reject) => store.get(sid, (error, data) => (error ? reject(error) : resolve(data))));

describe('the stores', () => {
  it('when the store is memory, then sessions and shared state live in the process and closing ends their timers', async () => {
    const stores = await createStores(configFor({ SESSION_STORE: 'memory' }), quiet);
    await saveSession(stores.sessionStore, 'sid');
    assert.ok(await loadSession(stores.sessionStore, 'sid'));
    await stores.sharedStore.set('k', 'v');
    assert.equal(await stores.sharedStore.get('k'), 'v');
    assert.equal(stores.rateLimitStore, undefined);
    assert.equal(stores.redisUrl, undefined);
    assert.equal(await stores.ping(), true);
    await stores.close();
  });

  describe('when the store is Redis', () => {
    const prefix = uniquePrefix();
    const raw = createClient({ url: SHARED_REDIS_URL });
    after(async () => {
      for await (const keys of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) if (keys.length > 0) await raw.del(keys);
      await raw.close();
    });

    it('then sessions, shared state and rate limits each sit under the deployment prefix', async () => {
      await raw.connect();
      const stores = await createStores(configFor({ SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix }), quiet);
      try {
        await saveSession(stores.sessionStore, 'sid');
        await stores.sharedStore.set('k', 'v');
        const limiter = stores.rateLimitStore!('sign-in');
        await limiter.init?.({ windowMs: 60_000 } as RateLimitOptions);
        await limiter.increment('203.0.113.7');
        const keys: string[] = [];
        for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
        assert.deepEqual(keys.sort(), [`${prefix}k`, `${prefix}rl:sign-in:203.0.113.7`, `${prefix}sess:sid`]);
        assert.equal(stores.redisUrl, SHARED_REDIS_URL);
        assert.equal(await stores.ping(), true);
      } finally {
        await stores.close();
      }
    });
  });

  it('when Redis is frozen, then closing the stores, subscriber included, does not hang', async () => {
    const redis = await PrivateRedis.start();
    try {
      const stores = await createStores(configFor({ SESSION_STORE: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix() }), quiet);
      const unsubscribe = await stores.sharedStore.subscribe('news', () => {});
      const pending = stores.sharedStore.get('k').catch(() => {});
      redis.pause();
      const started = performance.now();
      await stores.close();
      assert.ok(performance.now() - started < 1_500, `closed after ${Math.round(performance.now() - started)} ms`);
      await pending;
      await unsubscribe();
    } finally {
      await redis.stop();
    }
  });
});
