/**
 * The stores behind sessions, shared state, rate limits and the job queue: in
 * memory for one process (memorystore prunes, unlike express-session's
 * MemoryStore), or one Redis for every replica. Redis errors are logged, never fatal; readiness
 * follows the connection and the client reconnects by itself.
 */
import type { Store as RateLimitStore } from 'express-rate-limit';
import type { Store as SessionStore } from 'express-session';
import session from 'express-session';
import createMemoryStore from 'memorystore';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { JobQueue, SharedStore } from '../domain/ports.ts';
import { MemorySharedStore } from './memory/shared-store.ts';
import { createJobQueue } from './queue/queues.ts';

export interface Stores {
  sessionStore: SessionStore;
  sharedStore: SharedStore;
  /** Background work: BullMQ on the same Redis, or in process. */
  jobs: JobQueue;
  /** A rate limiter's counters shared by replicas; absent in memory, where express-rate-limit keeps its own. */
  rateLimitStore?: (name: string) => RateLimitStore;
  /** Where Redis is, for clients that open their own connections (a job queue); absent in memory. */
  redisUrl?: string;
  /** Answers within about a second whether the store works. */
  ping(): Promise<boolean>;
  /** Subscribes to connections dropped because Redis stopped answering (Redis only). */
  onStall?(listener: () => void): void;
  /** Lets running jobs finish, then closes everything; never hangs, even while Redis is away. */
  close(): Promise<void>;
}

export async function createStores(config: Config, logger: Logger): Promise<Stores> {
  const stores = await openStores(config, logger);
  const jobs = createJobQueue(config, logger);
  return {
    ...stores,
    jobs,
    close: async () => {
      // Jobs first: a running one still writes to the shared store.
      await jobs.close();
      await stores.close();
    },
  };
}

async function openStores(config: Config, logger: Logger): Promise<Omit<Stores, 'jobs'>> {
  if (config.session.store === 'redis') {
    // Loaded only here, so a deployment in memory never loads the Redis clients.
    const { createRedisStores } = await import('./redis/stores.ts');
    return createRedisStores(config.session.redisUrl, config.session.redisKeyPrefix, logger);
  }
  const MemoryStore = createMemoryStore(session);
  const sessionStore = new MemoryStore({ checkPeriod: 10 * 60_000 });
  const sharedStore = new MemorySharedStore(logger);
  return {
    sessionStore,
    sharedStore,
    ping: async () => true,
    close: async () => {
      (sessionStore as unknown as { stopInterval(): void }).stopInterval();
      await sharedStore.close();
    },
  };
}
