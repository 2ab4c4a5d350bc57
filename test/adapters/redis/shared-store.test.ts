import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { openRedis, type RedisConnection } from '../../../src/adapters/redis/client.ts';
import { RedisSharedStore } from '../../../src/adapters/redis/shared-store.ts';
import { isStoreUnavailable } from '../../../src/errors.ts';
import { keysUnder, PrivateRedis, SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';
import { sharedStoreContract } from '../shared-store-contract.ts';

const quiet = pino({ level: 'silent' });

async function connected(url = SHARED_REDIS_URL): Promise<RedisConnection> {
  const connection = openRedis(url, quiet);
  await connection.ready;
  return connection;
}

/** Deletes what a test left under its prefix on the shared Redis. */
async function removeKeys(connection: RedisConnection, prefix: string): Promise<void> {
  const keys = await keysUnder(connection.client, prefix);
  if (keys.length > 0) await connection.client.del(...keys);
}

// Two replicas: two stores, each on its own connection, under one deployment prefix.
sharedStoreContract('on Redis', async () => {
  const prefix = uniquePrefix();
  const [a, b] = await Promise.all([connected(), connected()]);
  const store = new RedisSharedStore(a, prefix, quiet);
  const peer = new RedisSharedStore(b, prefix, quiet);
  return {
    store,
    peer,
    advance: (ms) => sleep(ms),
    close: async () => {
      await removeKeys(a, prefix);
      await Promise.all([store.close(), peer.close()]);
      await Promise.all([a.close(), b.close()]);
    },
  };
});

describe('the Redis shared store', () => {
  describe('when two deployments share one Redis under different prefixes', () => {
    const [prefixA, prefixB] = [uniquePrefix(), uniquePrefix()];
    let connection: RedisConnection;
    let a: RedisSharedStore;
    let b: RedisSharedStore;
    before(async () => {
      connection = await connected();
      a = new RedisSharedStore(connection, prefixA, quiet);
      b = new RedisSharedStore(connection, prefixB, quiet);
    });
    after(async () => {
      await removeKeys(connection, prefixA);
      await removeKeys(connection, prefixB);
      await a.close();
      await b.close();
      await connection.close();
    });

    it('then neither sees the other’s keys, and every key sits under its deployment’s prefix', async () => {
      await a.set('k', 'from a');
      await a.hashSet('h', 'f', 'from a');
      assert.equal(await b.get('k'), undefined);
      assert.equal((await b.hashGetAll('h')).size, 0);
      await b.set('k', 'from b');
      assert.equal(await a.get('k'), 'from a');
      assert.deepEqual(await keysUnder(connection.client, prefixA), [`${prefixA}h`, `${prefixA}k`]);
    });

    it('then neither hears the other’s notifications', async () => {
      const heardByB: string[] = [];
      const unsubscribeB = await b.subscribe('news', (message) => heardByB.push(message));
      let heard!: (message: string) => void;
      const heardByA = new Promise<string>((resolve) => (heard = resolve));
      const unsubscribeA = await a.subscribe('news', heard);
      await a.publish('news', 'for a');
      assert.equal(await heardByA, 'for a');
      assert.deepEqual(heardByB, []);
      await unsubscribeA();
      await unsubscribeB();
    });
  });

  describe('when Redis goes away and comes back', () => {
    let redis: PrivateRedis;
    let connection: RedisConnection;
    let store: RedisSharedStore;
    before(async () => {
      redis = await PrivateRedis.start();
      connection = await connected(redis.url);
      store = new RedisSharedStore(connection, uniquePrefix(), quiet);
    });
    after(async () => {
      await store?.close();
      await connection?.close();
      await redis?.stop();
    });

    it('then subscribing fails at once as unavailable, unsubscribing returns at once, and subscribers from before hear messages again', async () => {
      const heard: string[] = [];
      let heardAgain!: () => void;
      const again = new Promise<void>((resolve) => (heardAgain = resolve));
      const unsubscribe = await store.subscribe('news', (message) => {
        heard.push(message);
        heardAgain();
      });
      const leaver: string[] = [];
      const unsubscribeLeaver = await store.subscribe('news', (message) => leaver.push(message));
      await redis.stop();
      const started = performance.now();
      await assert.rejects(store.subscribe('other', () => {}), isStoreUnavailable);
      await assert.rejects(store.publish('news', 'lost'), isStoreUnavailable);
      await unsubscribeLeaver();
      assert.ok(performance.now() - started < 500, 'nothing waits for Redis');

      await redis.start();
      // Both connections reconnect on their own, the subscriber resubscribing; publish until one gets through.
      const deadline = Date.now() + 10_000;
      while (heard.length === 0 && Date.now() < deadline) {
        await store.publish('news', 'back').catch(() => {});
        await Promise.race([again, sleep(200)]);
      }
      assert.equal(heard[0], 'back');
      assert.deepEqual(leaver, []);
      await unsubscribe();
    });
  });
});
