import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SessionData, Store as SessionStore } from 'express-session';
import type { Options as RateLimitOptions } from 'express-rate-limit';
import pino from 'pino';
import { Redis } from 'ioredis';
import { createStores, type Stores } from '../../src/adapters/stores.ts';
import { loadConfig } from '../../src/config.ts';
import { keysUnder, PrivateRedis, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

const quiet = pino({ level: 'silent' });
const configFor = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

const saveSession = (store: SessionStore, sid: string) =>
  new Promise<void>((resolve, reject) =>
    store.set(sid, { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) } } as SessionData, (error) => (error ? reject(error) : resolve())));
const loadSession = (store: SessionStore, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve, reject) => store.get(sid, (error, data) => (error ? reject(error) : resolve(data))));

/** Writes a session, a value, a rate-limit count and a job. */
async function useEveryStore(stores: Stores): Promise<void> {
  await saveSession(stores.sessionStore, 'sid');
  await stores.sharedStore.set('k', 'v');
  const limiter = stores.rateLimitStore!('sign-in');
  await limiter.init?.({ windowMs: 60_000 } as RateLimitOptions);
  await limiter.increment('203.0.113.7');
  await stores.jobs.add('ping', {});
}

/** Waits up to 5 s for `read` to answer `expected` (connections open in the background). */
async function eventuallyEqual(read: () => Promise<number>, expected: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  let last = await read();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  assert.equal(last, expected);
}

describe('the stores', () => {
  it('when the store is memory, then sessions and shared state live in the process and closing ends their timers', async () => {
    const stores = await createStores(configFor({ SESSION_STORE: 'memory' }), quiet);
    await saveSession(stores.sessionStore, 'sid');
    assert.ok(await loadSession(stores.sessionStore, 'sid'));
    assert.ok(await stores.sharedStore.get('sess:sid'), 'sessions live in the shared store');
    await stores.sharedStore.set('k', 'v');
    assert.equal(await stores.sharedStore.get('k'), 'v');
    assert.equal(stores.rateLimitStore, undefined);
    assert.equal(await stores.ping(), true);
    await stores.close();
  });

  describe('when the store is Redis', () => {
    const prefix = uniquePrefix();
    const raw = new Redis(SHARED_REDIS_URL);
    after(async () => {
      const keys = await keysUnder(raw, prefix);
      if (keys.length > 0) await raw.del(...keys);
      raw.disconnect();
    });

    it('then sessions, shared state, rate limits and jobs each sit under the deployment prefix', async () => {
      const stores = await createStores(configFor({ SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix }), quiet);
      try {
        await useEveryStore(stores);
        const keys = await keysUnder(raw, prefix);
        assert.deepEqual(keys.filter((key) => !key.startsWith(`${prefix}bull:`)), [`${prefix}k`, `${prefix}rl:sign-in:203.0.113.7`, `${prefix}sess:sid`]);
        assert.ok(keys.some((key) => key.startsWith(`${prefix}bull:ping:`)), 'jobs too');
        assert.equal(await stores.ping(), true);
      } finally {
        await stores.close();
      }
    });
  });

  it('when the store is Redis, then requests share one connection, notifications get a second, and each job worker two of its own', async () => {
    const redis = await PrivateRedis.start();
    const raw = new Redis(redis.url, { connectionName: 'test-inspector' });
    const ours = async () => {
      const list = String(await raw.call('CLIENT', 'LIST'));
      return list.split('\n').filter((line) => line.includes(' name=') && !line.includes('name=test-inspector')).length;
    };
    try {
      const stores = await createStores(configFor({ SESSION_STORE: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix() }), quiet);
      try {
        await useEveryStore(stores);
        assert.equal(await ours(), 1);
        const unsubscribe = await stores.sharedStore.subscribe('news', () => {});
        assert.equal(await ours(), 2);
        stores.jobs.work('ping', async () => {}, { concurrency: 1 });
        await eventuallyEqual(ours, 4);
        await unsubscribe();
      } finally {
        await stores.close();
      }
    } finally {
      raw.disconnect();
      await redis.stop();
    }
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
