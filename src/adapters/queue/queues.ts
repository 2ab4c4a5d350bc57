/** The job queue a deployment uses: BullMQ on its Redis for replicas, in process for one process. */
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { JobQueue } from '../../domain/ports.ts';
import type { RedisConnection } from '../redis/client.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { MemoryQueue } from './memory-queue.ts';

/** `redis`: the deployment's Redis connection, which the queue shares (required with SESSION_STORE=redis). */
export function createJobQueue(config: Config, logger: Logger, redis?: RedisConnection): JobQueue {
  if (config.session.store === 'redis') {
    if (!redis) throw new TypeError('the job queue on Redis shares the deployment’s Redis connection: pass it');
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
