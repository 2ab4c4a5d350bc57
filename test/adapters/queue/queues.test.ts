import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createJobQueue } from '../../../src/adapters/queue/queues.ts';
import { openRedis } from '../../../src/adapters/redis/client.ts';
import { loadConfig } from '../../../src/config.ts';
import type { QueuedJob } from '../../../src/domain/ports.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';
import { removeKeys } from './remove-keys.ts';

const quiet = pino({ level: 'silent' });
const configFor = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

/** Resolves with the first job the queue hands to a worker of `name`. */
function firstJob(queue: Awaited<ReturnType<typeof createJobQueue>>, name: string): Promise<QueuedJob> {
  return new Promise((resolve) => queue.work(name, async (job) => resolve(job), { concurrency: 1 }));
}

describe('the job queue of a deployment', () => {
  it('when the store is memory, then jobs run in this process', async () => {
    const queue = await createJobQueue(configFor({ SESSION_STORE: 'memory' }), quiet);
    const ran = firstJob(queue, 'ping');
    await queue.add('ping', { n: 1 });
    assert.deepEqual((await ran).data, { n: 1 });
    await queue.close();
  });

  it('when the store is Redis, then jobs live under the deployment\'s key prefix and another deployment never sees them', async () => {
    const [ours, theirs] = [uniquePrefix(), uniquePrefix()];
    const connections = [openRedis(SHARED_REDIS_URL, quiet), openRedis(SHARED_REDIS_URL, quiet)] as const;
    const queue = await createJobQueue(configFor({ SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: ours }), quiet, connections[0]);
    const other = await createJobQueue(configFor({ SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: theirs }), quiet, connections[1]);
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      await queue.add('ping', { n: 1 });
      assert.ok((await redis.keys(`${ours}bull:ping:*`)).length > 0);
      await other.add('ping', { n: 2 });
      const ran = await firstJob(other, 'ping');
      assert.deepEqual(ran.data, { n: 2 });
      assert.equal((await queue.counts()).waiting, 1);
    } finally {
      await Promise.all([queue.close(), other.close()]);
      await Promise.all(connections.map((connection) => connection.close()));
      redis.disconnect();
      await removeKeys(ours, theirs);
    }
  });
});
