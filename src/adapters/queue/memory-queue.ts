/**
 * The job queue of a single process (SESSION_STORE=memory): jobs live in this
 * process and die with it, which is what a one-process deployment accepts.
 * Same promises as the BullMQ queue: a jobId is one job while it is waiting,
 * delayed or running; due jobs run by priority, then in the order they became
 * due; a flow's parent runs once its children have all settled, however each
 * ended; delays and retries wait on unref'd timers, so a pending job never
 * keeps the process alive.
 */
import type { Logger } from 'pino';
import { PermanentJobFailure, type FlowJob, type JobOptions, type JobQueue, type QueuedJob } from '../../domain/ports.ts';
import { backoffDelay, DEFAULT_BACKOFF_MS, handlerTaken, queueUnavailable } from './job-rules.ts';

interface MemoryJob extends QueuedJob {
  attempts: number;
  backoffMs: number;
  /** 0 (none) runs before any priority; then lower first. */
  priority: number;
  /** When it became due, to keep the order among equal priorities. */
  dueSeq: number;
  /** The flow parent this job is a child of. */
  parent?: MemoryJob;
  /** A flow parent's children not yet settled. */
  unsettled: number;
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
  /** Jobs due now, per name, kept in the order they run (priority, then due order). */
  readonly #ready = new Map<string, MemoryJob[]>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #workers = new Map<string, Worker>();
  readonly #running = new Set<Promise<void>>();
  /** Tells running handlers the process is stopping: its jobs die with it, but a handler need not finish first. */
  readonly #stopping = new AbortController();
  #failed = 0;
  #nextId = 1;
  #dueSeq = 0;
  #closed = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async add(name: string, data: Record<string, unknown>, options: JobOptions = {}): Promise<void> {
    if (this.#closed) throw queueUnavailable(name);
    const job = this.#register({ name, data, ...options });
    if (job) this.#schedule(job, options.delayMs ?? 0);
  }

  async addFlow(parentSpec: FlowJob, childSpecs: readonly FlowJob[]): Promise<void> {
    if (this.#closed) throw queueUnavailable(parentSpec.name);
    const parent = this.#register(parentSpec);
    if (!parent) return;
    const children = childSpecs.map((spec) => this.#register(spec)).filter((child) => child !== undefined);
    parent.unsettled = children.length;
    for (const child of children) child.parent = parent;
    if (children.length === 0) this.#schedule(parent, parentSpec.delayMs ?? 0);
    for (const child of children) this.#schedule(child, childSpecs.find((spec) => spec.jobId === child.id)?.delayMs ?? 0);
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
    this.#stopping.abort(new Error('The gateway is shutting down.'));
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#running);
  }

  /** A new pending job, or undefined when its jobId is pending already. */
  #register(spec: FlowJob): MemoryJob | undefined {
    const id = spec.jobId ?? `${this.#nextId++}`;
    if (this.#pending.has(id)) return undefined;
    const job: MemoryJob = {
      id,
      name: spec.name,
      data: structuredClone(spec.data),
      attempt: 0,
      attempts: spec.attempts ?? 1,
      backoffMs: spec.backoffMs ?? DEFAULT_BACKOFF_MS,
      priority: spec.priority ?? 0,
      dueSeq: 0,
      unsettled: 0,
    };
    this.#pending.set(id, job);
    return job;
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
    job.dueSeq = this.#dueSeq++;
    const ready = this.#ready.get(job.name) ?? [];
    const runsBefore = (other: MemoryJob) => other.priority > job.priority;
    const at = ready.findIndex(runsBefore);
    ready.splice(at === -1 ? ready.length : at, 0, job);
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
      await worker.handler({ id: job.id, name: job.name, data: job.data, attempt: job.attempt, signal: this.#stopping.signal });
      this.#settle(job);
    } catch (error) {
      const final = error instanceof PermanentJobFailure || job.attempt >= job.attempts || this.#closed;
      if (final) {
        this.#failed++;
        this.#logger.debug({ err: error, job: job.id, name: job.name, attempt: job.attempt }, 'Job failed');
        this.#settle(job);
      } else {
        this.#schedule(job, backoffDelay(job.backoffMs, job.attempt));
      }
    }
  }

  /** The job is done or has failed for good: it leaves, and a parent whose last child it was is due. */
  #settle(job: MemoryJob): void {
    this.#pending.delete(job.id);
    const { parent } = job;
    if (parent && --parent.unsettled === 0 && !this.#closed) this.#makeDue(parent);
  }
}
