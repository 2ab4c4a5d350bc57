/**
 * The stores behind sessions, shared cache and rate limits: memorystore in
 * one process (pruned, unlike express-session's MemoryStore), or one Redis for
 * every replica. Redis errors are logged, never fatal; readiness follows the
 * connection and the client reconnects by itself.
 */
import type { Store as SessionStore } from 'express-session';
import session from 'express-session';
import createMemoryStore from 'memorystore';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { MemorySharedCache, type SharedCache } from './shared-cache.ts';

export interface Stores {
  sessionStore: SessionStore;
  sharedCache: SharedCache;
  rateLimitStore?: (name: string) => import('express-rate-limit').Store | undefined;
  /** Answers within a short time whether the store works. */
  ping(): Promise<boolean>;
  /** Subscribes to connections dropped because the store stopped answering (Redis only). */
  onStall?(listener: () => void): void;
  close(): Promise<void>;
}

export async function createStores(config: Config, logger: Logger): Promise<Stores> {
  if (config.session.store === 'redis') {
    const { createRedisStores } = await import('./redis-stores.ts');
    return createRedisStores(config, logger);
  }
  const MemoryStore = createMemoryStore(session);
  const sessionStore = new MemoryStore({ checkPeriod: 10 * 60_000 });
  const sharedCache = new MemorySharedCache();
  return {
    sessionStore,
    sharedCache,
    ping: async () => true,
    close: async () => {
      (sessionStore as unknown as { stopInterval?: () => void }).stopInterval?.();
      sharedCache.close();
    },
  };
}
