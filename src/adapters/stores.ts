/**
 * The stores behind sessions, shared state, rate limits and the job queue: a
 * database file for one process (the default, surviving restarts), one Redis
 * for every replica, or memory for tests. Sessions are kept in
 * the shared store whichever it is (src/adapters/session-store.ts). Redis
 * errors are logged, never fatal; readiness follows the connection and the
 * client reconnects by itself.
 */
import type { Store as RateLimitStore } from 'express-rate-limit';
import type { Store as SessionStore } from 'express-session';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { JobQueue, SharedStore } from '../domain/ports.ts';
import { MemorySharedStore } from './memory/shared-store.ts';
import { createJobQueue } from './queue/queues.ts';
import type { RedisConnection } from './redis/client.ts';
import { SharedSessionStore } from './session-store.ts';

export interface Stores {
  sessionStore: SessionStore;
  sharedStore: SharedStore;
  /** Background work: in the embedded file, BullMQ on the same Redis, or in process. */
  jobs: JobQueue;
  /** A rate limiter's counters shared by replicas; absent in memory, where express-rate-limit keeps its own. */
  rateLimitStore?: (name: string) => RateLimitStore;
  /** Answers within about a second whether the store works. */
  ping(): Promise<boolean>;
  /** Subscribes to connections dropped because Redis stopped answering (Redis only). */
  onStall?(listener: () => void): void;
  /** Lets running jobs finish, then closes everything; never hangs, even while Redis is away. */
  close(): Promise<void>;
}

/** What a backing store opens before sessions and the queue are put on it. */
export interface OpenedStores extends Omit<Stores, 'jobs' | 'sessionStore'> {
  /** The Redis connection the job queue shares; absent elsewhere. */
  redis?: RedisConnection;
  /** The queue the backing store keeps itself (the embedded file); otherwise one is made beside it. */
  jobs?: JobQueue;
}

export async function createStores(config: Config, logger: Logger): Promise<Stores> {
  const { redis, jobs: ownJobs, ...stores } = await openStores(config, logger);
  const jobs = ownJobs ?? (await createJobQueue(config, logger, redis));
  return {
    ...stores,
    sessionStore: new SharedSessionStore(stores.sharedStore, { idleTimeoutMs: config.session.idleTimeoutMs }),
    jobs,
    close: async () => {
      // Jobs first: a running one still writes to the shared store.
      await jobs.close();
      await stores.close();
    },
  };
}

async function openStores(config: Config, logger: Logger): Promise<OpenedStores> {
  if (config.session.store === 'redis') {
    // Loaded only here, so a deployment in memory never loads the Redis client.
    const { createRedisStores } = await import('./redis/stores.ts');
    return createRedisStores(config.session.redisUrl, config.session.redisKeyPrefix, logger);
  }
  if (config.session.store === 'embedded') {
    const { openEmbeddedStores } = await import('./sqlite/stores.ts');
    return openEmbeddedStores(config.dataDir, logger);
  }
  const sharedStore = new MemorySharedStore(logger);
  return {
    sharedStore,
    ping: async () => true,
    close: () => sharedStore.close(),
  };
}
