/**
 * Everything on one Redis connection: sessions (connect-redis), the shared
 * store and rate-limit counters (rate-limit-redis), each under the
 * deployment's key prefix so deployments can share a Redis.
 */
import { RedisStore as RedisSessionStore } from 'connect-redis';
import { RedisStore as RedisRateLimitStore } from 'rate-limit-redis';
import type { Logger } from 'pino';
import type { Stores } from '../stores.ts';
import { openRedis } from './client.ts';
import { RedisSharedStore } from './shared-store.ts';

export async function createRedisStores(redisUrl: string, prefix: string, logger: Logger): Promise<Omit<Stores, 'jobs'>> {
  const connection = openRedis(redisUrl, logger);
  await connection.ready;
  const { client } = connection;
  const sharedStore = new RedisSharedStore(connection, prefix, logger);
  return {
    sessionStore: new RedisSessionStore({ client, prefix: `${prefix}sess:` }),
    sharedStore,
    rateLimitStore: (name) =>
      new RedisRateLimitStore({
        prefix: `${prefix}rl:${name}:`,
        sendCommand: (...args: string[]) => client.sendCommand(args) as never,
      }),
    redisUrl,
    ping: () => connection.ping(),
    onStall: (listener) => connection.onStall(listener),
    close: async () => {
      await Promise.all([sharedStore.close(), connection.close()]);
    },
  };
}
