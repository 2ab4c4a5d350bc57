/** What every JobQueue adapter promises the domain (src/domain/ports.ts), run against each adapter. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../../src/errors.ts';
import { PermanentJobFailure, type JobQueue, type QueuedJob } from '../../../src/domain/ports.ts';

export interface QueueSubject {
  queue: JobQueue;
  /** Lets time pass: a fake clock where the adapter allows one, real time otherwise. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** A promise and the function that settles it: a handler waits on it until the test lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets time pass in small steps until `check` holds; fails after `withinMs` of (fake or real) time. */
export async function eventually(subject: QueueSubject, check: () => boolean | Promise<boolean>, withinMs = 5_000): Promise<void> {
  for (let waited = 0; waited <= withinMs; waited += 20) {
    if (await check()) return;
    await subject.advance(20);
  }
  assert.fail(`still not true after ${withinMs} ms`);
}

export function jobQueueContract(name: string, setup: () => Promise<QueueSubject>): void {
  describe(`${name}: the job queue contract`, () => {
    let subject: QueueSubject;
    let queue: JobQueue;
    beforeEach(async () => {
      subject = await setup();
      ({ queue } = subject);
    });
    afterEach(() => subject.close());

    /** Works jobs named `name`, recording each call. */
    function record(name: string, handler: (job: QueuedJob) => Promise<void> = async () => {}, concurrency = 1): QueuedJob[] {
      const runs: QueuedJob[] = [];
      queue.work(name, async (job) => {
        runs.push(job);
        await handler(job);
      }, { concurrency });
      return runs;
    }

    const idle = async () => {
      const counts = await queue.counts();
      return counts.waiting + counts.active + counts.delayed === 0;
    };

    it('when a job is added, then its handler runs once with its name, data and first attempt', async () => {
      const runs = record('greet');
      await queue.add('greet', { who: 'Ada', times: 2 }, { jobId: 'greet-ada' });
      await eventually(subject, async () => runs.length === 1 && (await idle()));
      await subject.advance(100);
      assert.deepEqual(runs.map(({ id, name, data, attempt }) => ({ id, name, data, attempt })), [{ id: 'greet-ada', name: 'greet', data: { who: 'Ada', times: 2 }, attempt: 1 }]);
    });

    it('when the same jobId is added while the job waits and while it runs, then it runs once; once finished, it runs again', async () => {
      await queue.add('import', { n: 1 }, { jobId: 'same' });
      await queue.add('import', { n: 2 }, { jobId: 'same' });
      const release = gate();
      const runs = record('import', () => release.opened);
      await eventually(subject, () => runs.length === 1);
      await queue.add('import', { n: 3 }, { jobId: 'same' });
      release.open();
      await eventually(subject, idle);
      assert.deepEqual(runs.map((job) => job.data), [{ n: 1 }]);

      await queue.add('import', { n: 4 }, { jobId: 'same' });
      await eventually(subject, () => runs.length === 2);
      assert.deepEqual(runs[1]?.data, { n: 4 });
    });

    it('when a job is delayed, then it waits as delayed and runs once the delay has passed', async () => {
      const runs = record('later');
      await queue.add('later', {}, { delayMs: 300 });
      await subject.advance(100);
      assert.equal(runs.length, 0);
      assert.equal((await queue.counts()).delayed, 1);
      await eventually(subject, () => runs.length === 1);
    });

    it('when a handler throws twice and then succeeds, then it runs three times with attempts 1, 2, 3 and nothing fails', async () => {
      const runs = record('flaky', async (job) => {
        if (job.attempt < 3) throw new Error(`try ${job.attempt} failed`);
      });
      await queue.add('flaky', { x: 1 }, { attempts: 3, backoffMs: 10 });
      await eventually(subject, async () => runs.length === 3 && (await idle()));
      assert.deepEqual(runs.map((job) => job.attempt), [1, 2, 3]);
      assert.equal((await queue.counts()).failed, 0);
    });

    it('when a handler throws a PermanentJobFailure, then the job is not retried and counts as failed', async () => {
      const runs = record('doomed', async () => {
        throw new PermanentJobFailure('the session is gone');
      });
      await queue.add('doomed', {}, { attempts: 5, backoffMs: 10 });
      await eventually(subject, async () => (await queue.counts()).failed === 1);
      await subject.advance(200);
      assert.equal(runs.length, 1);
    });

    it('when a handler keeps throwing, then the job fails after its attempts', async () => {
      const runs = record('broken', async () => {
        throw new Error('always');
      });
      await queue.add('broken', {}, { attempts: 2, backoffMs: 10 });
      await eventually(subject, async () => (await queue.counts()).failed === 1);
      assert.deepEqual(runs.map((job) => job.attempt), [1, 2]);
    });

    it('when five jobs meet a concurrency of 2, then never more than two run at once and all five run', async () => {
      let running = 0;
      let most = 0;
      const gates: Array<() => void> = [];
      const runs = record('busy', async () => {
        running++;
        most = Math.max(most, running);
        const { opened, open } = gate();
        gates.push(open);
        await opened;
        running--;
      }, 2);
      for (let i = 0; i < 5; i++) await queue.add('busy', { i });
      for (let released = 0; released < 5; ) {
        await eventually(subject, () => gates.length > 0);
        await subject.advance(100);
        assert.ok(running <= 2, `${running} running at once`);
        released += gates.length;
        for (const open of gates.splice(0)) open();
      }
      await eventually(subject, idle);
      assert.equal(most, 2);
      assert.equal(runs.length, 5);
    });

    it('when jobs wait, are delayed and have failed, then counts says how many are in each state', async () => {
      await queue.add('unworked', {});
      await queue.add('unworked', {});
      await queue.add('scheduled', {}, { delayMs: 60_000 });
      record('refused', async () => {
        throw new PermanentJobFailure('no');
      });
      await queue.add('refused', {});
      await eventually(subject, async () => (await queue.counts()).failed === 1);
      assert.deepEqual(await queue.counts(), { waiting: 2, active: 0, delayed: 1, failed: 1 });
    });

    it('when the queue closes while a job runs, then close waits for that job to finish', async () => {
      const release = gate();
      let finished = false;
      const runs = record('long', async () => {
        await release.opened;
        finished = true;
      });
      await queue.add('long', {});
      await eventually(subject, () => runs.length === 1);
      let closed = false;
      const closing = queue.close().then(() => (closed = true));
      await subject.advance(100);
      assert.equal(closed, false);
      release.open();
      await closing;
      assert.equal(finished, true);
    });

    it('when a flow is added, then its parent runs once, after every child has run, and a failed child does not hold it up', async () => {
      const order: string[] = [];
      record('child', async (job) => {
        order.push(`child ${String(job.data.n)}`);
        if (job.data.n === 2) throw new PermanentJobFailure('this one fails for good');
        if (job.data.n === 3 && job.attempt === 1) throw new Error('this one fails once');
      }, 3);
      const parents = record('parent', async () => void order.push('parent'));
      await queue.addFlow(
        { name: 'parent', data: { of: 'flow-1' }, jobId: 'finish:flow-1' },
        [1, 2, 3, 4].map((n) => ({ name: 'child', data: { n }, jobId: `child:flow-1:${n}`, attempts: 2, backoffMs: 10 })),
      );
      await eventually(subject, async () => parents.length === 1 && (await idle()));
      await subject.advance(100);
      assert.equal(order.at(-1), 'parent', order.join(', '));
      assert.deepEqual(order.filter((step) => step.startsWith('child')).sort(), ['child 1', 'child 2', 'child 3', 'child 3', 'child 4']);
      assert.deepEqual(parents.map((job) => [job.id, job.data]), [['finish:flow-1', { of: 'flow-1' }]]);
    });

    it('when a flow has no children, then its parent runs at once; adding the same flow while it is pending adds nothing', async () => {
      const release = gate();
      const children = record('child', () => release.opened);
      const parents = record('parent');
      await queue.addFlow({ name: 'parent', data: {}, jobId: 'finish:empty' }, []);
      await eventually(subject, () => parents.length === 1);
      await queue.addFlow({ name: 'parent', data: {}, jobId: 'finish:twice' }, [{ name: 'child', data: {}, jobId: 'child:twice' }]);
      await eventually(subject, () => children.length === 1);
      await queue.addFlow({ name: 'parent', data: {}, jobId: 'finish:twice' }, [{ name: 'child', data: {}, jobId: 'child:twice' }]);
      release.open();
      await eventually(subject, async () => parents.length === 2 && (await idle()));
      await subject.advance(100);
      assert.equal(children.length, 1);
      assert.deepEqual(parents.map((job) => job.id), ['finish:empty', 'finish:twice']);
    });

    it('when jobs with priorities wait, then a lower number runs first, and equal ones in the order they were added', async () => {
      for (const [n, priority] of [[1, 3], [2, 1], [3, 2], [4, 1], [5, 3]] as const) await queue.add('ranked', { n }, { priority });
      const runs = record('ranked');
      await eventually(subject, async () => runs.length === 5 && (await idle()));
      assert.deepEqual(runs.map((job) => job.data.n), [2, 4, 3, 1, 5]);
    });

    it('when the queue is closed, then a new job is refused as unavailable', async () => {
      await queue.close();
      await assert.rejects(queue.add('late', {}), (error) => error instanceof AppError && error.status === 503);
    });
  });
}
