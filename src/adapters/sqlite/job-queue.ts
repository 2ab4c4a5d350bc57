/**
 * The job queue of the embedded store: the in-process queue's promises (a jobId is one job while it is
 * pending, due jobs run by priority then in the order they became due, a flow's parent runs once every child
 * has settled, delays and retries never keep the process alive), with every job kept in the database file, so
 * a restart loses none. A job that was running when the process died runs again at the next start, up to
 * MAX_INTERRUPTIONS times; past that it fails for good without its handler, as BullMQ fails a job that stalled
 * too often, and its flow's parent still runs. Closing stops taking jobs, tells running handlers to stop
 * (their job's signal) and puts the jobs they gave up back as waiting, without spending a try.
 */
import type { Logger } from 'pino';
import type { StatementSync } from 'node:sqlite';
import { PermanentJobFailure, type FlowJob, type JobOptions, type JobQueue, type QueuedJob } from '../../domain/ports.ts';
import { backoffDelay, DEFAULT_BACKOFF_MS, handlerTaken, queueUnavailable } from '../queue/job-rules.ts';
import type { EmbeddedDatabase } from './database.ts';

/** How many times a job may be cut off by its process dying before it fails for good. */
export const MAX_INTERRUPTIONS = 2;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS queue_jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('delayed', 'waiting', 'active', 'blocked')),
    attempt INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL,
    backoff_ms INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    due_seq INTEGER NOT NULL DEFAULT 0,
    interruptions INTEGER NOT NULL DEFAULT 0,
    parent_id TEXT,
    unsettled INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX IF NOT EXISTS queue_jobs_ready ON queue_jobs (name, state, priority, due_seq);
  CREATE INDEX IF NOT EXISTS queue_jobs_due ON queue_jobs (state, due_at);
  CREATE TABLE IF NOT EXISTS queue_stats (id INTEGER PRIMARY KEY CHECK (id = 1), failed INTEGER NOT NULL, due_seq INTEGER NOT NULL);
  INSERT OR IGNORE INTO queue_stats (id, failed, due_seq) VALUES (1, 0, 0);
`;

interface JobRow {
  id: string;
  name: string;
  data: string;
  attempt: number;
  attempts: number;
  backoffMs: number;
  interruptions: number;
  parentId: string | null;
}

interface Worker {
  handler: (job: QueuedJob) => Promise<void>;
  concurrency: number;
  running: number;
}

type JobCounts = Awaited<ReturnType<JobQueue['counts']>>;

const JOB_COLUMNS = 'id, name, data, attempt, attempts, backoff_ms AS backoffMs, interruptions, parent_id AS parentId';

export class SqliteJobQueue implements JobQueue {
  readonly #database: EmbeddedDatabase;
  readonly #logger: Logger;
  readonly #workers = new Map<string, Worker>();
  /** Running handlers in this process, with the controller that asks each to stop. */
  readonly #running = new Map<string, { done: Promise<void>; stop: AbortController }>();
  readonly #sql: Record<
    | 'insert' | 'nextDue' | 'promoteDue' | 'ready' | 'claim' | 'remove' | 'retry' | 'release' | 'childSettled'
      | 'unblockParent' | 'countFailed' | 'failedCount' | 'byState' | 'interrupted' | 'reviveInterrupted' | 'nextSeq' | 'makeWaiting' | 'nameOf',
    StatementSync
  >;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(database: EmbeddedDatabase, logger: Logger) {
    this.#database = database;
    this.#logger = logger;
    database.db.exec(SCHEMA);
    const prepare = (sql: string) => database.db.prepare(sql);
    this.#sql = {
      insert: prepare(
        'INSERT OR IGNORE INTO queue_jobs (id, name, data, state, attempts, backoff_ms, priority, due_at, due_seq, parent_id, unsettled) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      nextDue: prepare("SELECT min(due_at) AS at FROM queue_jobs WHERE state = 'delayed'"),
      promoteDue: prepare("SELECT id FROM queue_jobs WHERE state = 'delayed' AND due_at <= ? ORDER BY due_at, due_seq"),
      // Jobs without a priority (0) first, then lower numbers, then in the order they became due.
      ready: prepare(
        `SELECT ${JOB_COLUMNS} FROM queue_jobs WHERE name = ? AND state = 'waiting' ORDER BY priority <> 0, priority, due_seq LIMIT ?`,
      ),
      claim: prepare("UPDATE queue_jobs SET state = 'active', attempt = attempt + 1 WHERE id = ? AND state = 'waiting'"),
      remove: prepare('DELETE FROM queue_jobs WHERE id = ?'),
      retry: prepare("UPDATE queue_jobs SET state = 'delayed', due_at = ? WHERE id = ?"),
      release: prepare("UPDATE queue_jobs SET state = 'waiting', attempt = attempt - 1, due_seq = ? WHERE id = ? AND state = 'active'"),
      childSettled: prepare("UPDATE queue_jobs SET unsettled = unsettled - 1 WHERE id = ? AND state = 'blocked' RETURNING unsettled"),
      unblockParent: prepare("UPDATE queue_jobs SET state = 'waiting', due_seq = ? WHERE id = ? AND state = 'blocked'"),
      countFailed: prepare('UPDATE queue_stats SET failed = failed + 1 WHERE id = 1'),
      failedCount: prepare('SELECT failed FROM queue_stats WHERE id = 1'),
      makeWaiting: prepare("UPDATE queue_jobs SET state = 'waiting', due_seq = ? WHERE id = ?"),
      nameOf: prepare('SELECT name FROM queue_jobs WHERE id = ?'),
      byState: prepare('SELECT state, count(*) AS n FROM queue_jobs GROUP BY state'),
      interrupted: prepare(`SELECT ${JOB_COLUMNS} FROM queue_jobs WHERE state = 'active'`),
      reviveInterrupted: prepare("UPDATE queue_jobs SET state = 'waiting', interruptions = interruptions + 1, due_seq = ? WHERE id = ?"),
      nextSeq: prepare('UPDATE queue_stats SET due_seq = due_seq + 1 WHERE id = 1 RETURNING due_seq'),
    };
    this.#recoverInterrupted();
  }

  async add(name: string, data: Record<string, unknown>, options: JobOptions = {}): Promise<void> {
    if (this.#closed) throw queueUnavailable(name);
    const added = this.#database.transaction(() => this.#insert({ name, data, ...options }, null, 0));
    if (added) this.#wake(name);
  }

  async addFlow(parent: FlowJob, children: readonly FlowJob[]): Promise<void> {
    if (this.#closed) throw queueUnavailable(parent.name);
    const names = this.#database.transaction(() => {
      const parentId = parent.jobId ?? crypto.randomUUID();
      // Children already pending under another flow stay there; the parent waits only for those it adds.
      const childIds = children.map((child) => ({ ...child, jobId: child.jobId ?? crypto.randomUUID() }));
      if (!this.#insert({ ...parent, jobId: parentId }, null, childIds.length, childIds.length > 0)) return [];
      const added = childIds.filter((child) => this.#insert(child, parentId, 0));
      const skipped = childIds.length - added.length;
      for (let i = 0; i < skipped; i++) this.#childSettled(parentId);
      return [parent.name, ...added.map((child) => child.name)];
    });
    for (const name of new Set(names)) this.#wake(name);
  }

  work(name: string, handler: (job: QueuedJob) => Promise<void>, options: { concurrency: number }): void {
    if (this.#workers.has(name)) throw handlerTaken(name);
    this.#workers.set(name, { handler, concurrency: options.concurrency, running: 0 });
    this.#wake(name);
  }

  async counts(): Promise<JobCounts> {
    const byState = new Map((this.#sql.byState.all() as { state: string; n: number }[]).map(({ state, n }) => [state, n]));
    const { failed } = this.#sql.failedCount.get() as { failed: number };
    return { waiting: byState.get('waiting') ?? 0, active: byState.get('active') ?? 0, delayed: byState.get('delayed') ?? 0, failed };
  }

  /**
   * Stops taking jobs and asks every running handler to stop; waits for them. A handler that honours its
   * signal returns at once and its job waits for the next start; one that ignores it is waited for.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const { stop } of this.#running.values()) stop.abort(new Error('The gateway is shutting down.'));
    await Promise.all([...this.#running.values()].map(({ done }) => done));
  }

  /** Inserts a pending job; false when its jobId is pending already. */
  #insert(spec: FlowJob, parentId: string | null, unsettled: number, blocked = false): boolean {
    const delayMs = spec.delayMs ?? 0;
    const state = blocked ? 'blocked' : delayMs > 0 ? 'delayed' : 'waiting';
    const result = this.#sql.insert.run(
      spec.jobId ?? crypto.randomUUID(),
      spec.name,
      JSON.stringify(spec.data),
      state,
      spec.attempts ?? 1,
      spec.backoffMs ?? DEFAULT_BACKOFF_MS,
      spec.priority ?? 0,
      Date.now() + delayMs,
      this.#nextSeq(),
      parentId,
      unsettled,
    );
    return result.changes === 1;
  }

  #nextSeq(): number {
    return (this.#sql.nextSeq.get() as { due_seq: number }).due_seq;
  }

  /** Jobs that were running when the process stopped without closing: they run again, or fail if cut off too often. */
  #recoverInterrupted(): void {
    this.#database.transaction(() => {
      for (const row of this.#sql.interrupted.all() as unknown as JobRow[]) {
        if (row.interruptions >= MAX_INTERRUPTIONS) {
          this.#logger.warn({ job: row.id, name: row.name, interruptions: row.interruptions + 1 }, 'A job was cut off by a stopped process too often: it fails');
          this.#settle(row, true);
        } else {
          this.#sql.reviveInterrupted.run(this.#nextSeq(), row.id);
        }
      }
    });
  }

  /** Makes due delayed jobs waiting, starts what workers can take, and sets the timer for the next delayed job. */
  #wake(name?: string): void {
    if (this.#closed || !this.#database.db.isOpen) return;
    const now = Date.now();
    const promoted = this.#database.transaction(() => {
      const due = this.#sql.promoteDue.all(now) as { id: string }[];
      for (const { id } of due) this.#sql.makeWaiting.run(this.#nextSeq(), id);
      return due.length;
    });
    const names = promoted > 0 || name === undefined ? [...this.#workers.keys()] : [name];
    for (const each of names) this.#startDue(each);
    this.#armTimer();
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    const { at } = this.#sql.nextDue.get() as { at: number | null };
    if (at === null || this.#closed) return;
    this.#timer = setTimeout(() => this.#wake(), Math.max(0, at - Date.now()));
    this.#timer.unref?.();
  }

  #startDue(name: string): void {
    const worker = this.#workers.get(name);
    if (!worker || this.#closed || !this.#database.db.isOpen) return;
    const free = worker.concurrency - worker.running;
    if (free <= 0) return;
    for (const row of this.#sql.ready.all(name, free) as unknown as JobRow[]) {
      if (this.#sql.claim.run(row.id).changes !== 1) continue;
      const stop = new AbortController();
      worker.running++;
      const done = this.#run({ ...row, attempt: row.attempt + 1 }, worker, stop.signal).finally(() => {
        this.#running.delete(row.id);
        worker.running--;
        this.#startDue(name);
      });
      this.#running.set(row.id, { done, stop });
    }
  }

  async #run(row: JobRow, worker: Worker, signal: AbortSignal): Promise<void> {
    const job: QueuedJob = { id: row.id, name: row.name, data: JSON.parse(row.data) as Record<string, unknown>, attempt: row.attempt, signal };
    try {
      await worker.handler(job);
      this.#database.transaction(() => this.#settle(row, false));
    } catch (error) {
      if (signal.aborted) {
        // Stopped by the shutdown, not failed: it runs again at the next start, this try not spent.
        this.#sql.release.run(this.#nextSeq(), row.id);
        return;
      }
      if (error instanceof PermanentJobFailure || row.attempt >= row.attempts) {
        this.#logger.debug({ err: error, job: row.id, name: row.name, attempt: row.attempt }, 'Job failed');
        this.#database.transaction(() => this.#settle(row, true));
      } else {
        this.#sql.retry.run(Date.now() + backoffDelay(row.backoffMs, row.attempt), row.id);
        this.#armTimer();
      }
    }
  }

  /** The job is done or has failed for good: it leaves, and a parent whose last child it was becomes due. */
  #settle({ id, parentId }: Pick<JobRow, 'id' | 'parentId'>, failed: boolean): void {
    this.#sql.remove.run(id);
    if (failed) this.#sql.countFailed.run();
    if (parentId) this.#childSettled(parentId);
  }

  #childSettled(parentId: string): void {
    const row = this.#sql.childSettled.get(parentId) as { unsettled: number } | undefined;
    if (row && row.unsettled <= 0) {
      this.#sql.unblockParent.run(this.#nextSeq(), parentId);
      const { name } = this.#sql.nameOf.get(parentId) as { name: string };
      queueMicrotask(() => this.#startDue(name));
    }
  }
}
