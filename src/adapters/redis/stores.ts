/**
 * Everything on one Redis connection (src/adapters/redis/client.ts): the
 * shared store, sessions over it, rate-limit counters (rate-limit-redis
 * through ioredis's `call`), and the job queue's producer side; each under the
 * deployment's key prefix so deployments can share a Redis.
 */
import { RedisStore as RedisRateLimitStore } from 'rate-limit-redis';
import type { Logger } from 'pino';
import type { OpenedStores } from '../stores.ts';
import { openRedis } from './client.ts';
import { RedisSharedStore } from './shared-store.ts';

export async function createRedisStores(redisUrl: string, prefix: string, logger: Logger): Promise<OpenedStores> {
  const connection = openRedis(redisUrl, logger);
  await connection.ready;
  const { client } = connection;
  const sharedStore = new RedisSharedStore(connection, prefix, logger);
  return {
    sharedStore,
    rateLimitStore: (name) =>
      new RedisRateLimitStore({
        prefix: `${prefix}rl:${name}:`,
        sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as never,
      }),
    redis: connection,
    ping: () => connection.ping(),
    onStall: (listener) => connection.onStall(listener),
    close: async () => {
      await Promise.all([sharedStore.close(), connection.close()]);
    },
  };
}
