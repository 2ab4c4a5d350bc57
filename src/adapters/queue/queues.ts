/**
 * The job queue a deployment uses: BullMQ on its Redis for replicas, in process for one process. BullMQ (and its Lua
 * scripts) is loaded only when the deployment uses Redis: a process in memory never pays for it.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { JobQueue } from '../../domain/ports.ts';
import type { RedisConnection } from '../redis/client.ts';
import { MemoryQueue } from './memory-queue.ts';

/** `redis`: the deployment's Redis connection, which the queue shares (required with SESSION_STORE=redis). */
export async function createJobQueue(config: Config, logger: Logger, redis?: RedisConnection): Promise<JobQueue> {
  if (config.session.store === 'redis') {
    if (!redis) throw new TypeError('the job queue on Redis shares the deployment’s Redis connection: pass it');
    const { BullmqQueue } = await import('./bullmq-queue.ts');
    const { lockMs } = config.jobs;
    return new BullmqQueue({
      redis,
      prefix: `${config.session.redisKeyPrefix}bull`,
      logger,
      lockDurationMs: lockMs,
      stalledIntervalMs: lockMs,
    });
  }
  return new MemoryQueue(logger);
}
