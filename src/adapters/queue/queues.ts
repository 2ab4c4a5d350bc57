/** The job queue a deployment uses: BullMQ on its Redis for replicas, in process for one process. */
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { JobQueue } from '../../domain/ports.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { MemoryQueue } from './memory-queue.ts';

export function createJobQueue(config: Config, logger: Logger): JobQueue {
  if (config.session.store === 'redis') {
    const { lockMs } = config.jobs;
    return new BullmqQueue({
      redisUrl: config.session.redisUrl,
      prefix: `${config.session.redisKeyPrefix}bull`,
      logger,
      lockDurationMs: lockMs,
      stalledIntervalMs: lockMs,
    });
  }
  return new MemoryQueue(logger);
}
