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
  void warnWithoutPersistence(client, logger);
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

/**
 * Sign-ins, imports in flight and the job queue live in Redis: one that keeps nothing on disk loses them all at its
 * next restart, with no error but a 401. Says so at start; a Redis that refuses CONFIG (managed services) is not
 * second-guessed.
 */
export async function warnWithoutPersistence(client: { call(...args: string[]): Promise<unknown> }, logger: Logger): Promise<void> {
  try {
    const [, appendonly] = (await client.call('CONFIG', 'GET', 'appendonly')) as string[];
    const [, save] = (await client.call('CONFIG', 'GET', 'save')) as string[];
    if (appendonly === 'yes') return;
    logger.warn(
      { appendonly, save },
      save
        ? 'Redis keeps only periodic snapshots (appendonly no): a Redis restart loses the sign-ins, imports and queued jobs written since the last one. Set appendonly yes.'
        : 'Redis keeps nothing on disk: a Redis restart signs everyone out and loses every import and queued job. Set appendonly yes.',
    );
  } catch (error) {
    logger.debug({ err: error }, 'Could not ask Redis whether it persists (CONFIG refused): make sure it keeps an append-only file');
  }
}
