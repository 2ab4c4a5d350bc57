import { Redis } from 'ioredis';
import { SHARED_REDIS_URL } from '../../helpers/redis.ts';

/** Deletes what a test left under its prefix on the shared Redis. */
export async function removeKeys(...prefixes: string[]): Promise<void> {
  const redis = new Redis(SHARED_REDIS_URL);
  try {
    for (const prefix of prefixes) {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 100 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys);
      }
    }
  } finally {
    redis.disconnect();
  }
}
