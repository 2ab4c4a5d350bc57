/**
 * The jobs layer: the one place that decides what runs in the background and
 * when. It hears what the domain reports (src/domain/events.ts), queues the
 * work that follows, and owns every job's handler, each of which calls the
 * same domain services a request would, with the ids the job carries.
 *
 * - A Picker session created is deleted at Google when it expires and, with
 *   imports on, followed until it completes or expires: the more time its
 *   person takes, the less often (nextFollowInMs).
 * - A session completed is imported as one flow per round: `plan-import`
 *   lists the items and adds a `copy-item` child per item under a
 *   `finish-import` parent, which the queue runs once every child has settled,
 *   however each ended (src/domain/ports.ts, JobQueue.addFlow). The finish is
 *   where an import ends, and with it a host app's pick; a Retry adds a new
 *   flow for the failed items.
 * - Copies run by their rank in their owner's queued work (the job's
 *   priority), so one owner's backlog never holds up another owner's import.
 * - A session deleted (or its user signing out) stops its import and ends its
 *   pick `cancelled`; a pick ended has its webhook queued.
 *
 * Every replica works the queue; a job id names each piece of work once, so
 * two replicas noticing the same completion queue one import.
 *
 * Logging: a job that meets a routine end (its session was deleted, its user
 * signed out) is logged at info and not retried; a try that will be retried at
 * debug (the domain logs its own retries once); only a job that failed for
 * good, which an operator should look at, at error.
 */
import type { Logger } from 'pino';
import type { DomainEvent, DomainEvents } from '../domain/events.ts';
import { importsOff, type ImportRound, type Imports } from '../domain/imports.ts';
import { DEFAULT_POLL_INTERVAL_MS, durationMs, MIN_POLL_INTERVAL_MS, type PickerSessions } from '../domain/picker-sessions.ts';
import type { Picks } from '../domain/picks.ts';
import { MAX_JOB_PRIORITY, PermanentJobFailure, type JobQueue, type QueuedJob, type UserId } from '../domain/ports.ts';
import { WEBHOOK_ATTEMPTS, type Webhooks } from '../domain/webhooks.ts';
import { AppError } from '../errors.ts';
import { JOB } from './names.ts';

export interface BackgroundWorkOptions {
  queue: JobQueue;
  events: DomainEvents;
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
  /** How long a finished session stays at Google for its results before it is deleted there (imports off). */
  completedGraceMs: number;
  /** The first webhook retry's wait; each later one doubles it. */
  webhookBackoffMs: number;
}

interface SessionJob {
  user: UserId;
  id: string;
}

/** Planning and finishing are short and retried a few times: a listing or a manifest write that fails now may not later. */
const STEP_ATTEMPTS = 5;
/** A reap that Google did not carry out is tried again after 1 minute, then after twice as long each time (about 3 days). */
const REAP_ATTEMPTS = 12;
const REAP_BACKOFF_MS = 60_000;
/** A background poll that Google failed is tried again a few times; the page's own polls go on meanwhile. */
const FOLLOW_ATTEMPTS = 5;
/** The longest a pick waits to be noticed by the background following, however long its person took. */
export const FOLLOW_AT_MOST_EVERY_MS = 30_000;

/**
 * When the background following looks at a pending session again. A person's page, or their app, polls the session
 * at Google's pollInterval while it waits; the following is for a session nobody polls (the browser went on to
 * Google's picker). It notices a pick no later than a tenth of the time its person has taken so far: every
 * pollInterval for the first moments, as good as a poll, then less often, so hundreds of people picking at their own
 * pace do not each cost a job and a Google call per second. Never sooner than pollInterval, never later than
 * FOLLOW_AT_MOST_EVERY_MS.
 */
export function nextFollowInMs(pollIntervalMs: number, followedForMs: number): number {
  return Math.max(pollIntervalMs, Math.min(FOLLOW_AT_MOST_EVERY_MS, followedForMs / 10));
}

/** Deliveries at once in this process: a receiver that hangs holds one for its whole timeout, so a few spare. */
const WEBHOOK_CONCURRENCY = 16;

function sessionJob(job: QueuedJob): SessionJob {
  const { user, id } = job.data;
  if (typeof user !== 'string' || typeof id !== 'string') throw new TypeError(`job ${job.name} carries no user and session id`);
  return { user, id };
}

const roundOf = (job: QueuedJob) => (typeof job.data.round === 'number' ? job.data.round : 0);

/**
 * A job whose subject is gone for a reason nobody needs to act on: the session was deleted (404), its user signed
 * out (UNAUTHENTICATED), its import was stopped (a PermanentJobFailure from the domain).
 */
function routineEnd(error: unknown): string | undefined {
  if (error instanceof PermanentJobFailure) return error.message;
  if (error instanceof AppError && (error.status === 404 || error.code === 'UNAUTHENTICATED')) return error.detail ?? error.code;
  return undefined;
}

export class BackgroundWork {
  readonly #options: BackgroundWorkOptions;

  constructor(options: BackgroundWorkOptions) {
    this.#options = options;
    options.events.subscribe((event) => this.#heard(event));
  }

  /** Starts working the queue in this process. */
  start(): void {
    const { sessions, imports, picks, webhooks, concurrency, attempts } = this.#options;
    this.#work(JOB.reapSession, { concurrency: 4, attempts: REAP_ATTEMPTS }, async (job) => {
      const { user, id } = sessionJob(job);
      // Reaped at its expiry or once Google ended it: a pick still waiting for its user's Done has expired with it.
      await picks?.sessionExpired(id);
      if (!(await sessions.reap(user, id))) throw new Error('Google did not delete the Picker session; trying again later.');
    });
    if (webhooks) {
      this.#work(JOB.deliverWebhook, { concurrency: WEBHOOK_CONCURRENCY, attempts: WEBHOOK_ATTEMPTS }, async (job) => {
        if (typeof job.data.pick !== 'string') throw new TypeError(`job ${job.name} carries no pick id`);
        await webhooks.deliver(job.data.pick, job.attempt);
      });
    }
    if (!imports) return;
    this.#work(JOB.followSession, { concurrency: 8, attempts: FOLLOW_ATTEMPTS }, async (job) => {
      const { user, id } = sessionJob(job);
      const view = await sessions.status(user, id, { background: true });
      if (view.status === 'complete') await this.#planSoon(user, id);
      if (view.status === 'expired') await picks?.sessionExpired(id);
      if (view.status !== 'pending') return;
      const interval = Math.max(MIN_POLL_INTERVAL_MS, durationMs(view.pollingConfig?.pollInterval) ?? DEFAULT_POLL_INTERVAL_MS);
      // A round queued before rounds carried their start counts from now.
      const since = typeof job.data.since === 'number' ? job.data.since : Date.now();
      await this.#followSoon(user, id, (typeof job.data.round === 'number' ? job.data.round : 1) + 1, nextFollowInMs(interval, Date.now() - since), since);
    });
    this.#work(JOB.planImport, { concurrency: 2, attempts: STEP_ATTEMPTS }, async (job) => {
      const { user, id } = sessionJob(job);
      const round = await imports.plan(user, id, await picks?.placeOf(id));
      await picks?.importStarted(id);
      await this.#addRound(user, id, round);
    });
    this.#work(JOB.copyItem, { concurrency, attempts }, async (job) => {
      const { user, id } = sessionJob(job);
      await imports.copy(user, id, String(job.data.item), { lastAttempt: job.attempt >= attempts, ...(job.signal ? { signal: job.signal } : {}) });
    });
    this.#work(JOB.finishImport, { concurrency: 2, attempts: STEP_ATTEMPTS }, async (job) => {
      const { user, id } = sessionJob(job);
      const record = await imports.finish(user, id, roundOf(job));
      if (record) await picks?.importFinished(id, record);
    });
  }

  /** The failed items of an import, queued again in a new flow; answers how many. */
  async retry(userId: UserId, id: string): Promise<number> {
    if (!this.#options.imports) throw importsOff();
    const round = await this.#options.imports.retryFailed(userId, id);
    if (round.copies.length > 0) await this.#addRound(userId, id, round);
    return round.copies.length;
  }

  /** What follows what the domain reports. */
  async #heard(event: DomainEvent): Promise<void> {
    const { imports, picks, webhooks, completedGraceMs } = this.#options;
    switch (event.type) {
      case 'picker-session-created':
        await Promise.all([
          this.#reapAt(event.userId, event.sessionId, event.expiresAt),
          ...(imports ? [this.#followSoon(event.userId, event.sessionId, 1, event.pollIntervalMs, Date.now())] : []),
        ]);
        return;
      case 'picker-session-completed':
        // Imported, the session is deleted at Google by the import's finish; otherwise after a grace period for its results.
        if (imports) await this.#planSoon(event.userId, event.sessionId);
        else await this.#reapAt(event.userId, event.sessionId, Math.min(Date.now() + completedGraceMs, event.expiresAt));
        return;
      case 'picker-session-ended':
        await this.#reapAt(event.userId, event.sessionId, Date.now());
        return;
      case 'picker-session-deleted':
        await imports?.cancel(event.sessionId);
        await picks?.sessionDeleted(event.sessionId);
        return;
      case 'pick-ended':
        if (await webhooks?.pickEnded(event.pick)) {
          await this.#options.queue.add(JOB.deliverWebhook, { pick: event.pick.id }, {
            jobId: `webhook:${event.pick.id}`, attempts: WEBHOOK_ATTEMPTS, backoffMs: this.#options.webhookBackoffMs,
          });
        }
        return;
    }
  }

  /** Runs `handler` for the jobs named `name`, logging how each try ended at the level it deserves. */
  #work(name: string, options: { concurrency: number; attempts: number }, handler: (job: QueuedJob) => Promise<void>): void {
    const { queue, logger } = this.#options;
    queue.work(name, async (job) => {
      try {
        await handler(job);
      } catch (error) {
        const routine = routineEnd(error);
        if (routine !== undefined) {
          // Done with, not failed: a flow's parent counts it settled, and nothing is retried or kept for an operator.
          logger.info({ event: 'job_dropped', job: job.id, reason: routine }, 'job has nothing left to do');
          return;
        }
        if (job.attempt >= options.attempts) logger.error({ err: error, job: job.id, attempt: job.attempt }, 'Job failed for good');
        else logger.debug({ err: error, job: job.id, attempt: job.attempt }, 'Job failed; the queue tries again');
        throw error;
      }
    }, { concurrency: options.concurrency });
  }

  /** One import per session, however many pollers noticed its completion. */
  #planSoon(userId: UserId, id: string): Promise<void> {
    return this.#options.queue.add(JOB.planImport, { user: userId, id }, { jobId: `plan:${id}`, attempts: STEP_ATTEMPTS, backoffMs: 2_000 });
  }

  /** A round of copies as one flow: the finish of the round runs once all of them have settled. */
  #addRound(userId: UserId, id: string, { round, copies }: ImportRound): Promise<void> {
    const { queue, attempts, backoffMs } = this.#options;
    return queue.addFlow(
      { name: JOB.finishImport, data: { user: userId, id, round }, jobId: `finish:${id}:${round}`, attempts: STEP_ATTEMPTS, backoffMs: 15_000 },
      copies.map((copy) => ({
        name: JOB.copyItem,
        data: { user: userId, id, item: copy.id, round },
        jobId: `copy:${id}:${copy.id}:${round}`,
        attempts,
        backoffMs,
        priority: Math.min(copy.rank, MAX_JOB_PRIORITY),
      })),
    );
  }

  #reapAt(userId: UserId, id: string, dueAt: number): Promise<void> {
    // One job per due time: a session finished early is reaped early, and its expiry's job then finds nothing to do.
    return this.#options.queue.add(JOB.reapSession, { user: userId, id }, {
      jobId: `reap:${id}:${dueAt}`,
      delayMs: Math.max(0, dueAt - Date.now()),
      attempts: REAP_ATTEMPTS,
      backoffMs: REAP_BACKOFF_MS,
    });
  }

  /** `since`: when the following began, which sets how soon the round after this one comes. */
  #followSoon(userId: UserId, id: string, round: number, delayMs: number, since: number): Promise<void> {
    // A job per round: the running round adds the next one, and two replicas adding the same round make one job.
    return this.#options.queue.add(JOB.followSession, { user: userId, id, round, since }, {
      jobId: `follow:${id}:${round}`,
      delayMs,
      attempts: FOLLOW_ATTEMPTS,
      backoffMs: 1_000,
    });
  }
}
