/**
 * The job queue of replicas (SESSION_STORE=redis): BullMQ on the deployment's
 * Redis. Every replica works the queue; a job whose process dies keeps no lock,
 * and BullMQ's stalled-job check hands it to another worker.
 *
 * One BullMQ queue per job name: a Worker takes every job of its queue, so a
 * queue per name is what gives each name its own handler and concurrency, and
 * a replica that works only some names never takes the others' jobs.
 *
 * Connections: adding and counting jobs shares the deployment's Redis
 * connection, which fails fast while Redis is away; each Worker opens two of
 * its own (its commands, its blocking reads), duplicated from a template that
 * waits through outages (src/adapters/redis/client.ts).
 *
 * A flow is BullMQ's own (FlowProducer): the parent waits in
 * `waiting-children` and BullMQ moves it to `wait` once every child has
 * completed or failed; children carry `ignoreDependencyOnFailure`, so a child
 * that fails for good, even one BullMQ fails without calling its handler
 * because its worker died too often (`maxStalledCount`), releases the parent
 * like a completed one.
 */
import { FlowProducer, Queue, UnrecoverableError, Worker, type FlowJob as BullFlowJob, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PermanentJobFailure, type FlowJob, type JobOptions, type JobQueue, type QueuedJob } from '../../domain/ports.ts';
import type { RedisConnection } from '../redis/client.ts';
import { DEFAULT_BACKOFF_MS, handlerTaken, queueUnavailable } from './job-rules.ts';

export interface BullmqQueueOptions {
  /** The deployment's Redis connection, shared for adding and counting jobs; it stays open when the queue closes. */
  redis: RedisConnection;
  /** Namespaces every key, so deployments sharing a Redis never share jobs (`ppg:bull`). */
  prefix: string;
  logger: Logger;
  /** How long a worker's claim on a running job lasts without renewal; a dead worker's job is free after it. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose claim ran out. */
  stalledIntervalMs?: number;
  /** How long close() lets running jobs finish before it stops waiting. */
  closeTimeoutMs?: number;
}

type JobCounts = Awaited<ReturnType<JobQueue['counts']>>;

/** Failed jobs stay a week (at most 1000 per name) for an operator to read; finished ones leave at once. */
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 1_000 };
/** What BullMQ says of a job it failed because its worker died while running it more often than allowed. */
const STALLED_TOO_OFTEN = /stalled more than allowable limit/;
/**
 * A flow job's BullMQ id: BullMQ takes a flow's job ids as given, and refuses one with a `:` (our ids have them) or
 * one that reads as an integer; the prefix and the encoding avoid both, and `jobIdOf` gives the caller's id back.
 */
const FLOW_ID_PREFIX = 'f.';
const flowJobId = (id: string) => `${FLOW_ID_PREFIX}${encodeURIComponent(id)}`;
const jobIdOf = (job: Job) => job.deduplicationId ?? (String(job.id).startsWith(FLOW_ID_PREFIX) ? decodeURIComponent(String(job.id).slice(FLOW_ID_PREFIX.length)) : String(job.id));

function jobOptions(options: JobOptions): JobsOptions {
  return {
    delay: options.delayMs ?? 0,
    attempts: options.attempts ?? 1,
    backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
    ...(options.priority ? { priority: options.priority } : {}),
    removeOnComplete: true,
    removeOnFail: KEEP_FAILED,
  };
}

export class BullmqQueue implements JobQueue {
  readonly #options: Required<BullmqQueueOptions>;
  /** Adding jobs and counting them: fails within seconds while Redis is away, so a request never waits on a reconnect. */
  readonly #producer: Redis;
  /** Never opened: each Worker duplicates it, as BullMQ's blocking reads need commands that wait through reconnects. */
  readonly #consumer: Redis;
  readonly #queues = new Map<string, Queue>();
  #flows: FlowProducer | undefined;
  readonly #workers = new Map<string, Worker>();
  /** The handlers running in this process, which close() lets finish. */
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(options: BullmqQueueOptions) {
    this.#options = { lockDurationMs: 30_000, stalledIntervalMs: 30_000, closeTimeoutMs: 25_000, ...options };
    this.#producer = options.redis.client;
    this.#consumer = options.redis.workerTemplate();
  }

  async add(name: string, data: Record<string, unknown>, options: JobOptions = {}): Promise<void> {
    if (this.#closed) throw queueUnavailable(name);
    await this.#queue(name).add(name, data, {
      // Deduplication, not a fixed job id: BullMQ keeps a failed job's id, which would refuse the same job after a failure.
      ...(options.jobId === undefined ? {} : { deduplication: { id: options.jobId } }),
      ...jobOptions(options),
    }).catch((error: unknown) => {
      throw queueUnavailable(name, error);
    });
  }

  async addFlow(parent: FlowJob, children: readonly FlowJob[]): Promise<void> {
    if (this.#closed) throw queueUnavailable(parent.name);
    for (const job of [parent, ...children]) this.#queue(job.name); // so counts() covers them
    const node = (job: FlowJob, extra: JobsOptions = {}): BullFlowJob => ({
      name: job.name,
      queueName: job.name,
      data: job.data,
      prefix: this.#options.prefix,
      opts: { ...jobOptions(job), ...(job.jobId === undefined ? {} : { jobId: flowJobId(job.jobId) }), ...extra },
    });
    this.#flows ??= new FlowProducer({ connection: this.#producer, prefix: this.#options.prefix });
    await this.#flows.add({ ...node(parent), children: children.map((child) => node(child, { ignoreDependencyOnFailure: true })) }).catch((error: unknown) => {
      throw queueUnavailable(parent.name, error);
    });
  }

  work(name: string, handler: (job: QueuedJob) => Promise<void>, options: { concurrency: number }): void {
    if (this.#workers.has(name)) throw handlerTaken(name);
    const { logger, prefix, lockDurationMs, stalledIntervalMs } = this.#options;
    this.#queue(name); // so counts() covers the jobs this process works, not only those it adds
    const worker = new Worker(
      name,
      async (job: Job) => {
        const running = handler({ id: jobIdOf(job), name: job.name, data: job.data, attempt: job.attemptsMade + 1 });
        this.#running.add(running);
        try {
          await running;
        } catch (error) {
          if (error instanceof PermanentJobFailure) throw new UnrecoverableError(error.message);
          throw error;
        } finally {
          this.#running.delete(running);
        }
      },
      { connection: this.#consumer, prefix, concurrency: options.concurrency, lockDuration: lockDurationMs, stalledInterval: stalledIntervalMs },
    );
    worker.on('error', (error) => logger.error({ err: error, queue: name }, 'Job worker error'));
    // A handler's failures are the handler's to log (src/jobs/ says which ones an operator must act on); what only
    // the queue sees is a job it failed without a handler: its worker died each time it ran it.
    worker.on('failed', (job, error) => {
      if (STALLED_TOO_OFTEN.test(error.message)) logger.warn({ event: 'job_stalled_out', queue: name, job: job && jobIdOf(job) }, 'Job failed: its worker stopped while running it too often');
      else logger.debug({ err: error, queue: name, job: job && jobIdOf(job), attempt: job?.attemptsMade }, 'Job failed');
    });
    this.#workers.set(name, worker);
  }

  /** Over the job names this process adds or works: a replica reports the queues it knows. */
  async counts(): Promise<JobCounts> {
    const total: JobCounts = { waiting: 0, active: 0, delayed: 0, failed: 0 };
    const perQueue = await Promise.all([...this.#queues.values()].map((queue) => queue.getJobCounts('waiting', 'active', 'delayed', 'failed')));
    for (const counts of perQueue) {
      for (const state of Object.keys(total) as Array<keyof JobCounts>) total[state] += counts[state] ?? 0;
    }
    return total;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const { closeTimeoutMs, logger } = this.#options;
    const workers = [...this.#workers.values()];
    // Pausing takes no new jobs and needs no Redis; waiting on our own handlers stays bounded even if Redis is away.
    await within(1_000, Promise.all(workers.map((worker) => worker.pause(true))));
    const finished = await within(closeTimeoutMs, Promise.all(this.#running));
    if (!finished) logger.warn('Running jobs did not finish in time; another replica takes them over once their locks run out');
    const closed = await within(1_000, Promise.all(workers.map((worker) => worker.close(!finished))));
    if (!closed) await within(1_000, Promise.all(workers.map((worker) => worker.disconnect())));
    await within(1_000, Promise.all([...this.#queues.values(), ...(this.#flows ? [this.#flows] : [])].map((queue) => queue.close())));
    // disconnect() never waits on Redis, unlike quit(); the producer is the deployment's, closed with the stores.
    this.#consumer.disconnect();
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.#producer, prefix: this.#options.prefix });
      queue.on('error', (error) => this.#options.logger.error({ err: error, queue: name }, 'Job queue error'));
      this.#queues.set(name, queue);
    }
    return queue;
  }
}

/** True when `work` settles within `ms`; never rejects, never keeps the process alive. */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
