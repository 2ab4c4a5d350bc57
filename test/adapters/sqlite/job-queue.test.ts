import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import pino from 'pino';
import { openDatabase, type EmbeddedDatabase } from '../../../src/adapters/sqlite/database.ts';
import { MAX_INTERRUPTIONS, SqliteJobQueue } from '../../../src/adapters/sqlite/job-queue.ts';
import { PermanentJobFailure, type QueuedJob } from '../../../src/domain/ports.ts';
import { gate, jobQueueContract } from '../queue/job-queue-contract.ts';

const quiet = pino({ level: 'silent' });
const flush = () => new Promise((resolve) => setImmediate(resolve));
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ppg-queue-'));
  dirs.push(dir);
  return dir;
}

jobQueueContract('in the embedded database', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const database = openDatabase(await freshDir());
  const queue = new SqliteJobQueue(database, quiet);
  return {
    queue,
    advance: async (ms) => {
      await flush();
      mock.timers.tick(ms);
      await flush();
    },
    close: async () => {
      await queue.close();
      database.close();
      mock.timers.reset();
    },
  };
});

/** Waits in real time, in small steps, until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`still not true after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The process dies: the file is let go without the queue closing, as after a SIGKILL. */
function crash(database: EmbeddedDatabase): void {
  database.close();
}

describe('the embedded job queue across restarts', () => {
  it('when the process dies with jobs waiting and delayed, then after a start they all run', async () => {
    const dir = await freshDir();
    const first = openDatabase(dir);
    const before = new SqliteJobQueue(first, quiet);
    await before.add('import', { n: 1 });
    await before.add('import', { n: 2 }, { delayMs: 50 });
    await before.addFlow({ name: 'finish', data: {}, jobId: 'finish:a' }, [{ name: 'import', data: { n: 3 }, jobId: 'child:a' }]);
    crash(first);

    const second = openDatabase(dir);
    const afterRestart = new SqliteJobQueue(second, quiet);
    const seen: unknown[] = [];
    const finished: string[] = [];
    afterRestart.work('import', async (job) => void seen.push(job.data.n), { concurrency: 2 });
    afterRestart.work('finish', async (job) => void finished.push(job.id), { concurrency: 1 });
    await until(() => seen.length === 3 && finished.length === 1);
    assert.deepEqual(seen.toSorted(), [1, 2, 3]);
    assert.deepEqual(finished, ['finish:a']);
    await afterRestart.close();
    second.close();
  });

  it('when the process dies while a job runs, then it runs again at the next start with its next attempt', async () => {
    const dir = await freshDir();
    const first = openDatabase(dir);
    const before = new SqliteJobQueue(first, quiet);
    const running = gate();
    before.work('copy', async () => {
      running.open();
      await new Promise(() => {});
    }, { concurrency: 1 });
    await before.add('copy', { item: 'a' }, { attempts: 3 });
    await running.opened;
    crash(first);

    const second = openDatabase(dir);
    const afterRestart = new SqliteJobQueue(second, quiet);
    const runs: QueuedJob[] = [];
    afterRestart.work('copy', async (job) => void runs.push(job), { concurrency: 1 });
    await until(async () => runs.length === 1 && (await afterRestart.counts()).active === 0);
    assert.deepEqual(runs.map((job) => [job.data.item, job.attempt]), [['a', 2]]);
    await afterRestart.close();
    second.close();
  });

  it('when a job is cut off by dying processes too often, then it fails for good and its flow still finishes', async () => {
    const dir = await freshDir();
    let database = openDatabase(dir);
    let queue = new SqliteJobQueue(database, quiet);
    await queue.addFlow({ name: 'finish', data: {}, jobId: 'finish:b' }, [{ name: 'copy', data: {}, jobId: 'child:b', attempts: 10 }]);
    for (let life = 0; life <= MAX_INTERRUPTIONS; life++) {
      const running = gate();
      queue.work('copy', async () => {
        running.open();
        await new Promise(() => {});
      }, { concurrency: 1 });
      await running.opened;
      crash(database);
      database = openDatabase(dir);
      queue = new SqliteJobQueue(database, quiet);
    }
    const finished: string[] = [];
    const copies: string[] = [];
    queue.work('copy', async (job) => void copies.push(job.id), { concurrency: 1 });
    queue.work('finish', async (job) => void finished.push(job.id), { concurrency: 1 });
    await until(() => finished.length === 1);
    assert.deepEqual(copies, []);
    assert.equal((await queue.counts()).failed, 1);
    await queue.close();
    database.close();
  });

  it('when the queue closes while a handler honours its signal, then close returns at once and the job runs again at the next start, its try not spent', async () => {
    const dir = await freshDir();
    const first = openDatabase(dir);
    const before = new SqliteJobQueue(first, quiet);
    const running = gate();
    before.work('copy', (job) => {
      running.open();
      const signal = job.signal!;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }, { concurrency: 1 });
    await before.add('copy', { item: 'slow' }, { attempts: 1 });
    await running.opened;
    await before.close();
    assert.equal((await before.counts()).failed, 0);
    first.close();

    const second = openDatabase(dir);
    const afterRestart = new SqliteJobQueue(second, quiet);
    const runs: QueuedJob[] = [];
    afterRestart.work('copy', async (job) => void runs.push(job), { concurrency: 1 });
    await until(() => runs.length === 1);
    assert.deepEqual(runs.map((job) => [job.data.item, job.attempt]), [['slow', 1]]);
    await afterRestart.close();
    second.close();
  });

  it('when a handler fails for good, then it is counted as failed across a restart', async () => {
    const dir = await freshDir();
    const first = openDatabase(dir);
    const before = new SqliteJobQueue(first, quiet);
    before.work('doomed', async () => {
      throw new PermanentJobFailure('gone');
    }, { concurrency: 1 });
    await before.add('doomed', {});
    await until(async () => (await before.counts()).failed === 1);
    await before.close();
    first.close();
    const second = openDatabase(dir);
    assert.equal((await new SqliteJobQueue(second, quiet).counts()).failed, 1);
    second.close();
  });
});
