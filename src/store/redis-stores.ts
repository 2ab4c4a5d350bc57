/**
 * Redis for replicas: sessions (connect-redis), the shared cache (coalesced
 * polls, listed items, locks) and rate-limit counters all live in one Redis.
 * The connection is the adapters' (src/adapters/redis/client.ts): commands fail
 * fast while Redis is away or silent, and it reconnects on its own.
 */
import { RedisStore as RedisSessionStore } from 'connect-redis';
import { RedisStore as RedisRateLimitStore } from 'rate-limit-redis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { SharedCache } from './shared-cache.ts';
import type { Stores } from './stores.ts';
import { openRedis, type RedisClient as Client } from '../adapters/redis/client.ts';

export class RedisSharedCache implements SharedCache {
  readonly #client: Client;
  readonly #prefix: string;

  constructor(client: Client, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.#client.get(`${this.#prefix}cache:${key}`);
    return raw ? (JSON.parse(String(raw)) as T) : undefined;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.#client.set(`${this.#prefix}cache:${key}`, JSON.stringify(value), { expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) } });
  }

  async delete(key: string): Promise<void> {
    await this.#client.del(`${this.#prefix}cache:${key}`);
  }

  async acquire(key: string, ttlMs: number): Promise<boolean> {
    const result = await this.#client.set(`${this.#prefix}lock:${key}`, '1', {
      condition: 'NX',
      expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) },
    });
    return result === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.#client.del(`${this.#prefix}lock:${key}`);
  }

  async schedule(queue: string, member: string, dueAt: number): Promise<void> {
    await this.#client.zAdd(`${this.#prefix}queue:${queue}`, { score: dueAt, value: member });
  }

  async due(queue: string, now: number, limit: number): Promise<string[]> {
    const members = await this.#client.zRangeByScore(`${this.#prefix}queue:${queue}`, 0, now, { LIMIT: { offset: 0, count: limit } });
    return members.map(String);
  }

  async unschedule(queue: string, member: string): Promise<void> {
    await this.#client.zRem(`${this.#prefix}queue:${queue}`, member);
  }
}

export async function createRedisStores(config: Config, logger: Logger): Promise<Stores> {
  const connection = openRedis(config.session.redisUrl, logger);
  await connection.ready;
  const { client } = connection;
  const prefix = config.session.redisKeyPrefix;
  const sessionStore = new RedisSessionStore({ client, prefix: `${prefix}sess:` });
  const sharedCache = new RedisSharedCache(client, prefix);
  return {
    sessionStore,
    sharedCache,
    rateLimitStore: (name) =>
      new RedisRateLimitStore({
        prefix: `${prefix}rl:${name}:`,
        sendCommand: (...args: string[]) => client.sendCommand(args) as never,
      }),
    ping: () => connection.ping(),
    onStall: (listener) => connection.onStall(listener),
    close: () => connection.close(),
  };
}
