import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { BullmqQueue, type BullmqQueueOptions } from '../../../src/adapters/queue/bullmq-queue.ts';
import { openRedis, type RedisConnection } from '../../../src/adapters/redis/client.ts';
import type { QueuedJob } from '../../../src/domain/ports.ts';
import { AppError } from '../../../src/errors.ts';
import { PrivateRedis, SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';
import { eventually, jobQueueContract, type QueueSubject } from './job-queue-contract.ts';
import { removeKeys } from './remove-keys.ts';

const quiet = pino({ level: 'silent' });

/** A queue on its own connection to `url`, as a replica opens it; closing it closes both. */
function queueOn(url: string, options: Omit<BullmqQueueOptions, 'redis' | 'logger'>): BullmqQueue & { connection: RedisConnection } {
  const connection = openRedis(url, quiet);
  const queue = new BullmqQueue({ redis: connection, logger: quiet, ...options });
  const close = queue.close.bind(queue);
  return Object.assign(queue, { connection, close: async () => {
    await close();
    await connection.close();
  } });
}

/** Queues for one deployment on the shared Redis (one per replica), and the clean-up of its keys. */
function deployment(options: Partial<BullmqQueueOptions> = {}) {
  const prefix = `${uniquePrefix()}bull`;
  const queues: BullmqQueue[] = [];
  return {
    prefix,
    replica: () => {
      const queue = queueOn(SHARED_REDIS_URL, { prefix, ...options });
      queues.push(queue);
      return queue;
    },
    close: async () => {
      await Promise.all(queues.map((queue) => queue.close()));
      await removeKeys(prefix);
    },
  };
}

jobQueueContract('on BullMQ', async () => {
  const { replica, close } = deployment();
  return { queue: replica(), advance: (ms) => sleep(ms), close };
});

describe('the BullMQ job queue between replicas', () => {
  let replicas: ReturnType<typeof deployment>;
  const subject = (queue: BullmqQueue): QueueSubject => ({ queue, advance: (ms) => sleep(ms), close: async () => {} });
  beforeEach(() => {
    replicas = deployment({ lockDurationMs: 1_000, stalledIntervalMs: 500 });
  });
  afterEach(() => replicas.close());

  it('when two replicas work the same queue, then they share the jobs and each job runs once', async () => {
    const [a, b] = [replicas.replica(), replicas.replica()];
    const runsBy = { a: [] as unknown[], b: [] as unknown[] };
    const slowly = (runs: unknown[]) => async (job: QueuedJob) => {
      runs.push(job.data.n);
      await sleep(50);
    };
    a.work('import', slowly(runsBy.a), { concurrency: 1 });
    b.work('import', slowly(runsBy.b), { concurrency: 1 });
    for (let n = 0; n < 10; n++) await a.add('import', { n });
    await eventually(subject(a), () => runsBy.a.length + runsBy.b.length === 10);
    await sleep(200);
    assert.deepEqual([...runsBy.a, ...runsBy.b].sort((x, y) => Number(x) - Number(y)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(runsBy.a.length > 0 && runsBy.b.length > 0, `a ran ${runsBy.a.length}, b ran ${runsBy.b.length}`);
  });

  it('when the process running a job is killed, then another replica takes the job over and finishes it', async () => {
    const script = fileURLToPath(new URL('fixtures/hanging-worker.ts', import.meta.url));
    const doomed = spawn(process.execPath, [script, SHARED_REDIS_URL, replicas.prefix, 'import', '1000', '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const producer = replicas.replica();
    await producer.add('import', { file: 'a.jpg' }, { jobId: 'import-a' });
    const [line] = (await once(doomed.stdout, 'data')) as [Buffer];
    assert.equal(line.toString().trim(), 'started import-a');
    doomed.kill('SIGKILL');
    await once(doomed, 'exit');

    const survivor = replicas.replica();
    const runs: QueuedJob[] = [];
    survivor.work('import', async (job) => void runs.push(job), { concurrency: 1 });
    await eventually(subject(survivor), async () => runs.length === 1 && (await survivor.counts()).active === 0, 10_000);
    assert.deepEqual(runs.map((job) => [job.id, job.data]), [['import-a', { file: 'a.jpg' }]]);
  });
});

describe('the BullMQ job queue when a job\'s process dies again and again', () => {
  let replicas: ReturnType<typeof deployment>;
  beforeEach(() => {
    replicas = deployment({ lockDurationMs: 1_000, stalledIntervalMs: 500 });
  });
  afterEach(() => replicas.close());

  /** A replica that takes a job of `name`, says so, and is killed with SIGKILL mid-job. */
  async function dieWhileRunning(name: string): Promise<string> {
    const script = fileURLToPath(new URL('fixtures/hanging-worker.ts', import.meta.url));
    const doomed = spawn(process.execPath, [script, SHARED_REDIS_URL, replicas.prefix, name, '1000', '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(doomed.stdout, 'data')) as [Buffer];
    doomed.kill('SIGKILL');
    await once(doomed, 'exit');
    return line.toString().trim();
  }

  it('when the same child of a flow stalls twice, then BullMQ fails it without its handler, and the parent still runs once', async () => {
    const producer = replicas.replica();
    await producer.addFlow({ name: 'finish', data: {}, jobId: 'finish:s1:0' }, [{ name: 'copy', data: { item: 'a' }, jobId: 'copy:s1:a:0', attempts: 3 }]);
    assert.equal(await dieWhileRunning('copy'), 'started copy:s1:a:0');
    assert.equal(await dieWhileRunning('copy'), 'started copy:s1:a:0', 'taken over after its first stall, by a process that dies too');

    const survivor = replicas.replica();
    const copies: QueuedJob[] = [];
    const finishes: QueuedJob[] = [];
    survivor.work('copy', async (job) => void copies.push(job), { concurrency: 1 });
    survivor.work('finish', async (job) => void finishes.push(job), { concurrency: 1 });
    await eventually({ queue: survivor, advance: (ms) => sleep(ms), close: async () => {} }, () => finishes.length === 1, 15_000);
    assert.deepEqual(copies, [], 'a job that stalled more than allowed is failed, not run again');
    assert.equal((await survivor.counts()).failed, 1);
  });
});

describe('the BullMQ job queue without Redis', () => {
  it('when Redis stops answering while a job runs, then close still returns within its bound', async () => {
    const redis = await PrivateRedis.start();
    try {
      const queue = queueOn(redis.url, { prefix: 'test:bull', closeTimeoutMs: 500 });
      const runs: QueuedJob[] = [];
      queue.work('import', async (job) => {
        runs.push(job);
        await new Promise(() => {});
      }, { concurrency: 1 });
      await queue.add('import', {});
      await eventually({ queue, advance: (ms) => sleep(ms), close: async () => {} }, () => runs.length === 1);
      redis.pause();
      const started = performance.now();
      await queue.close();
      assert.ok(performance.now() - started < 4_000, `close took ${Math.round(performance.now() - started)} ms`);
    } finally {
      await redis.stop();
    }
  });

  it('when Redis stops answering, then adding a job fails within seconds as unavailable', async () => {
    const redis = await PrivateRedis.start();
    const queue = queueOn(redis.url, { prefix: 'test:bull' });
    await queue.connection.ready;
    try {
      await queue.add('import', {});
      redis.pause();
      const started = performance.now();
      await assert.rejects(queue.add('import', {}), (error) => error instanceof AppError && error.status === 503);
      assert.ok(performance.now() - started < 4_000, `add failed after ${Math.round(performance.now() - started)} ms`);
    } finally {
      await queue.close();
      await redis.stop();
    }
  });
});
