import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import pino from 'pino';
import { MemoryQueue } from '../../../src/adapters/queue/memory-queue.ts';
import { jobQueueContract } from './job-queue-contract.ts';

const quiet = pino({ level: 'silent' });
const flush = () => new Promise((resolve) => setImmediate(resolve));

jobQueueContract('in memory', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const queue = new MemoryQueue(quiet);
  return {
    queue,
    advance: async (ms) => {
      await flush();
      mock.timers.tick(ms);
      await flush();
    },
    close: async () => {
      await queue.close();
      mock.timers.reset();
    },
  };
});

describe('the in-memory job queue', () => {
  it('when it is closed, then a delayed job never runs', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const queue = new MemoryQueue(quiet);
      const runs: unknown[] = [];
      queue.work('later', async (job) => void runs.push(job), { concurrency: 1 });
      await queue.add('later', {}, { delayMs: 1_000 });
      await queue.close();
      mock.timers.tick(2_000);
      await flush();
      assert.deepEqual(runs, []);
    } finally {
      mock.timers.reset();
    }
  });
});
