/**
 * Redis for replicas: sessions (connect-redis), the shared cache (coalesced
 * polls, listed items, locks) and rate-limit counters all live in one Redis.
 * Commands fail fast while Redis is away (no offline queue), so requests get a
 * clear 503 instead of hanging; the client reconnects on its own.
 */
import { RedisStore as RedisSessionStore } from 'connect-redis';
import { RedisStore as RedisRateLimitStore } from 'rate-limit-redis';
import { createClient } from 'redis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { SharedCache } from './shared-cache.ts';
import type { Stores } from './stores.ts';
import { watchRedis } from './redis-watchdog.ts';

const PING_TIMEOUT_MS = 1_000;
/** The watchdog's PING interval, and how long a PING may go unanswered before Redis counts as stalled (see redis-watchdog.ts). */
const PROBE_EVERY_MS = 500;
const STALL_AFTER_MS = 2_000;

type Client = ReturnType<typeof createClient>;

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
  const client: Client = createClient({
    url: config.session.redisUrl,
    disableOfflineQueue: true,
    // No per-command timeout. node-redis's default (5 s) bounds only commands not yet written (it drops the timer once a
    // command is on the wire), and with the offline queue disabled nothing waits to be written. It costs an
    // AbortSignal.timeout per command that lives the full 5 s and raises a DOMException when it fires: about 10 µs of
    // CPU per command and old-generation churn. A stalled Redis is caught by the watchdog below instead.
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 3_000),
    },
  });
  let lastError = '';
  client.on('error', (error: Error) => {
    // Log each distinct failure once per outage, not once per reconnect attempt.
    if (error.message !== lastError) logger.error({ err: error }, 'Redis connection error');
    lastError = error.message;
  });
  client.on('ready', () => {
    if (lastError) logger.info('Redis connection restored');
    lastError = '';
  });
  await client.connect();
  const stallListeners: Array<() => void> = [];
  const watchdog = watchRedis(client, {
    probeEveryMs: PROBE_EVERY_MS,
    stallAfterMs: STALL_AFTER_MS,
    logger,
    onStall: () => stallListeners.forEach((listener) => listener()),
  });

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
    ping: async () => {
      if (!client.isReady) return false;
      const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), PING_TIMEOUT_MS).unref());
      return Promise.race([client.ping().then((answer) => answer === 'PONG', () => false), timeout]);
    },
    onStall: (listener) => void stallListeners.push(listener),
    close: async () => {
      watchdog.stop();
      // close() waits for pending replies, which never come while Redis is away; then just drop the socket.
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}
