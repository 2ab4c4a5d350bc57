/**
 * The work that runs without a request, as jobs on the queue: following
 * pending Picker sessions, importing completed ones item by item, deleting
 * sessions at Google when they are done with, and telling host apps of their
 * ended picks. Each handler calls the same domain services a request would,
 * with the ids the job carries.
 *
 * Every replica works the queue; a job id names each piece of work once, so
 * two replicas noticing the same completion queue one import.
 */
import type { Logger } from 'pino';
import { importsOff, type Imports } from './imports.ts';
import { JOB } from './jobs.ts';
import type { PickerSessionListener, PickerSessions } from './picker-sessions.ts';
import type { Picks } from './picks.ts';
import type { JobQueue, QueuedJob, UserId } from './ports.ts';
import type { Webhooks } from './webhooks.ts';

export interface BackgroundWorkOptions {
  jobs: JobQueue;
  sessions: PickerSessions;
  /** Absent when no destination is configured: sessions are then neither followed nor imported. */
  imports?: Imports;
  /** Host apps' picks: where their imports go, and their outcome. */
  picks?: Picks;
  /** Host apps' webhooks for their ended picks. */
  webhooks?: Webhooks;
  logger: Logger;
  /** Item copies at once in this process. */
  concurrency: number;
  /** Tries per item before it fails for good. */
  attempts: number;
  /** The first retry's wait; each later one doubles it. */
  backoffMs: number;
}

interface SessionJob {
  user: UserId;
  id: string;
}

/** Planning and finishing are short and retried a few times: a listing or a manifest write that fails now may not later. */
const STEP_ATTEMPTS = 5;
/** Deliveries at once in this process: a receiver that hangs holds one for its whole timeout, so a few spare. */
const WEBHOOK_CONCURRENCY = 16;

function sessionJob(job: QueuedJob): SessionJob {
  const { user, id } = job.data;
  if (typeof user !== 'string' || typeof id !== 'string') throw new TypeError(`job ${job.name} carries no user and session id`);
  return { user, id };
}

export class BackgroundWork implements PickerSessionListener {
  readonly #options: BackgroundWorkOptions;

  constructor(options: BackgroundWorkOptions) {
    this.#options = options;
    if (options.imports) options.sessions.listen(this);
  }

  /** Starts working the queue in this process. */
  start(): void {
    const { jobs, sessions, imports, webhooks, concurrency, attempts } = this.#options;
    jobs.work(JOB.reapSession, async (job) => {
      const { user, id } = sessionJob(job);
      if (!(await sessions.reap(user, id))) throw new Error('Google did not delete the Picker session; trying again later.');
    }, { concurrency: 4 });
    if (webhooks) {
      jobs.work(JOB.deliverWebhook, async (job) => {
        if (typeof job.data.pick !== 'string') throw new TypeError(`job ${job.name} carries no pick id`);
        await webhooks.deliver(job.data.pick, job.attempt);
      }, { concurrency: WEBHOOK_CONCURRENCY });
    }
    if (!imports) return;
    jobs.work(JOB.followSession, async (job) => {
      const { user, id } = sessionJob(job);
      await sessions.follow(user, id, typeof job.data.round === 'number' ? job.data.round : 1);
    }, { concurrency: 8 });
    jobs.work(JOB.planImport, async (job) => {
      const { user, id } = sessionJob(job);
      const { picks } = this.#options;
      const items = await imports.plan(user, id, await picks?.placeOf(id));
      await picks?.importStarted(id);
      if (items.length === 0) await this.#finishSoon(user, id, 0);
      await Promise.all(items.map((item) => this.#copySoon(user, id, item)));
    }, { concurrency: 2 });
    jobs.work(JOB.copyItem, async (job) => {
      const { user, id } = sessionJob(job);
      const item = String(job.data.item);
      const settledRound = await imports.copy(user, id, item, { lastAttempt: job.attempt >= attempts });
      if (settledRound !== undefined) await this.#finishSoon(user, id, settledRound);
    }, { concurrency });
    jobs.work(JOB.finishImport, async (job) => {
      const { user, id } = sessionJob(job);
      const record = await imports.finish(user, id);
      if (record) await this.#options.picks?.importFinished(id, record);
    }, { concurrency: 2 });
  }

  /** A session was picked: its import is planned (once, however many pollers noticed). */
  async completed(userId: UserId, id: string): Promise<void> {
    await this.#options.jobs.add(JOB.planImport, { user: userId, id }, { jobId: `plan:${id}`, attempts: STEP_ATTEMPTS, backoffMs: 2_000 });
  }

  async deleted(_userId: UserId, id: string): Promise<void> {
    await this.#options.imports?.cancel(id);
  }

  async expired(_userId: UserId, id: string): Promise<void> {
    await this.#options.picks?.sessionExpired(id);
  }

  /** The failed items of an import, queued again; answers how many. */
  async retry(userId: UserId, id: string): Promise<number> {
    const imports = this.#required();
    const items = await imports.retryFailed(userId, id);
    await Promise.all(items.map((item) => this.#copySoon(userId, id, item)));
    return items.length;
  }

  #copySoon(userId: UserId, id: string, item: string): Promise<void> {
    const { jobs, attempts, backoffMs } = this.#options;
    return jobs.add(JOB.copyItem, { user: userId, id, item }, { jobId: `copy:${id}:${item}`, attempts, backoffMs });
  }

  /** One finish per round: the last two items of a round may both ask; a Retry's round is not the one before it. */
  #finishSoon(userId: UserId, id: string, round: number): Promise<void> {
    return this.#options.jobs.add(JOB.finishImport, { user: userId, id }, { jobId: `finish:${id}:${round}`, attempts: STEP_ATTEMPTS, backoffMs: 15_000 });
  }

  #required(): Imports {
    if (!this.#options.imports) throw importsOff();
    return this.#options.imports;
  }
}
