/**
 * The job queue of a single process (SESSION_STORE=memory): jobs live in this
 * process and die with it, which is what a one-process deployment accepts.
 * Same promises as the BullMQ queue: a jobId is one job while it is waiting,
 * delayed or running; delays and retries wait on unref'd timers, so a pending
 * job never keeps the process alive.
 */
import type { Logger } from 'pino';
import { PermanentJobFailure, type JobQueue, type QueuedJob } from '../../domain/ports.ts';
import { backoffDelay, DEFAULT_BACKOFF_MS, handlerTaken, queueUnavailable } from './job-rules.ts';

interface MemoryJob extends QueuedJob {
  attempts: number;
  backoffMs: number;
}

interface Worker {
  handler: (job: QueuedJob) => Promise<void>;
  concurrency: number;
  running: number;
}

type JobCounts = Awaited<ReturnType<JobQueue['counts']>>;

export class MemoryQueue implements JobQueue {
  readonly #logger: Logger;
  /** Every job not yet finished, by id: the dedupe set. */
  readonly #pending = new Map<string, MemoryJob>();
  /** Jobs due now, per name, in the order they became due. */
  readonly #ready = new Map<string, MemoryJob[]>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #workers = new Map<string, Worker>();
  readonly #running = new Set<Promise<void>>();
  #failed = 0;
  #nextId = 1;
  #closed = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async add(name: string, data: Record<string, unknown>, options: { jobId?: string; delayMs?: number; attempts?: number; backoffMs?: number } = {}): Promise<void> {
    if (this.#closed) throw queueUnavailable(name);
    const id = options.jobId ?? `${this.#nextId++}`;
    if (this.#pending.has(id)) return;
    const job: MemoryJob = {
      id,
      name,
      data: structuredClone(data),
      attempt: 0,
      attempts: options.attempts ?? 1,
      backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
    };
    this.#pending.set(id, job);
    this.#schedule(job, options.delayMs ?? 0);
  }

  work(name: string, handler: (job: QueuedJob) => Promise<void>, options: { concurrency: number }): void {
    if (this.#workers.has(name)) throw handlerTaken(name);
    this.#workers.set(name, { handler, concurrency: options.concurrency, running: 0 });
    this.#startDue(name);
  }

  async counts(): Promise<JobCounts> {
    let waiting = 0;
    for (const jobs of this.#ready.values()) waiting += jobs.length;
    let active = 0;
    for (const worker of this.#workers.values()) active += worker.running;
    return { waiting, active, delayed: this.#timers.size, failed: this.#failed };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#running);
  }

  #schedule(job: MemoryJob, delayMs: number): void {
    if (delayMs <= 0) return this.#makeDue(job);
    const timer = setTimeout(() => {
      this.#timers.delete(job.id);
      this.#makeDue(job);
    }, delayMs);
    timer.unref?.();
    this.#timers.set(job.id, timer);
  }

  #makeDue(job: MemoryJob): void {
    const ready = this.#ready.get(job.name) ?? [];
    ready.push(job);
    this.#ready.set(job.name, ready);
    this.#startDue(job.name);
  }

  #startDue(name: string): void {
    const worker = this.#workers.get(name);
    const ready = this.#ready.get(name);
    while (!this.#closed && worker && ready && ready.length > 0 && worker.running < worker.concurrency) {
      const job = ready.shift() as MemoryJob;
      const run = this.#run(job, worker).finally(() => {
        this.#running.delete(run);
        worker.running--;
        this.#startDue(name);
      });
      worker.running++;
      this.#running.add(run);
    }
  }

  async #run(job: MemoryJob, worker: Worker): Promise<void> {
    job.attempt++;
    try {
      await worker.handler({ id: job.id, name: job.name, data: job.data, attempt: job.attempt });
      this.#pending.delete(job.id);
    } catch (error) {
      const final = error instanceof PermanentJobFailure || job.attempt >= job.attempts || this.#closed;
      if (final) {
        this.#pending.delete(job.id);
        this.#failed++;
        this.#logger.error({ err: error, job: job.id, name: job.name, attempt: job.attempt }, 'Job failed');
      } else {
        this.#logger.warn({ err: error, job: job.id, name: job.name, attempt: job.attempt }, 'Job failed; retrying');
        this.#schedule(job, backoffDelay(job.backoffMs, job.attempt));
      }
    }
  }
}
