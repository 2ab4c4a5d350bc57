/**
 * In-memory fakes of the domain's ports, for unit tests of the domain that
 * run without HTTP: a Picker API that keeps sessions and counts calls, OAuth
 * endpoints that refresh and revoke, and a job queue run by hand.
 */
import { pino } from 'pino';
import { MemorySharedStore } from '../../src/adapters/memory/shared-store.ts';
import { GoogleAccounts } from '../../src/domain/accounts.ts';
import { DomainEvents } from '../../src/domain/events.ts';
import { PickerSessions } from '../../src/domain/picker-sessions.ts';
import { PermanentJobFailure, type FlowJob, type GoogleTokens, type JobOptions, type JobQueue, type PickedMediaItem, type PickerApi, type PickingSession, type QueuedJob, type SharedStore } from '../../src/domain/ports.ts';
import { TokenVault } from '../../src/domain/token-vault.ts';
import { AppError } from '../../src/errors.ts';

export const silentLogger = pino({ level: 'silent' });

const googleError = (status: number, code: string) => new AppError({ status, code, detail: `fake Google: ${code}` });

export class FakeGoogle {
  readonly sessions = new Map<string, PickingSession & { owner: string; deleted?: boolean }>();
  readonly calls: Array<{ method: string; id?: string; token: string }> = [];
  /** What the user picked in each session, as Google lists it. */
  readonly picked = new Map<string, PickedMediaItem[]>();
  /** Answers getSession for these ids with PERMISSION_DENIED. */
  readonly denied = new Set<string>();
  #next = 0;
  pollIntervalSeconds = 1;

  count(method: string, id?: string): number {
    return this.calls.filter((call) => call.method === method && (id === undefined || call.id === id)).length;
  }

  complete(id: string): void {
    this.sessions.get(id)!.mediaItemsSet = true;
  }

  api(token: string): PickerApi {
    return {
      createSession: async () => {
        this.calls.push({ method: 'create', token });
        const id = `session-${++this.#next}`;
        const session = {
          id,
          owner: token,
          pickerUri: `https://picker.example/${id}`,
          pollingConfig: { pollInterval: `${this.pollIntervalSeconds}s`, timeoutIn: '1800s' },
          expireTime: new Date(Date.now() + 3_600_000).toISOString(),
          mediaItemsSet: false,
        };
        this.sessions.set(id, session);
        return { ...session };
      },
      getSession: async (id) => {
        this.calls.push({ method: 'get', id, token });
        if (this.denied.has(id)) throw googleError(403, 'PERMISSION_DENIED');
        const session = this.sessions.get(id);
        if (!session || session.deleted) throw googleError(404, 'NOT_FOUND');
        const { owner: _owner, deleted: _deleted, ...answer } = session;
        return answer;
      },
      deleteSession: async (id) => {
        this.calls.push({ method: 'delete', id, token });
        const session = this.sessions.get(id);
        if (!session || session.deleted) throw googleError(404, 'NOT_FOUND');
        session.deleted = true;
      },
      listMediaItems: async (sessionId) => {
        this.calls.push({ method: 'list', id: sessionId, token });
        return { mediaItems: this.picked.get(sessionId) ?? [] };
      },
    };
  }
}

interface FakeJob extends QueuedJob {
  dueAt: number;
  attempts: number;
  backoffMs: number;
  /** A flow's parent: due once this many children have settled. */
  waitingFor?: number;
  parent?: FakeJob;
}

/**
 * A job queue that runs nothing until asked: `runDue()` runs the jobs due by Date.now() (a fake clock moves it),
 * with the real queues' rules for job ids, retries and permanent failures.
 */
export class FakeJobs implements JobQueue {
  readonly #jobs = new Map<string, FakeJob>();
  readonly #handlers = new Map<string, (job: QueuedJob) => Promise<void>>();
  readonly failed: QueuedJob[] = [];
  #next = 0;

  async add(name: string, data: Record<string, unknown>, options: JobOptions = {}) {
    this.#register({ name, data, ...options });
  }

  async addFlow(parent: FlowJob, children: readonly FlowJob[]) {
    const flow = this.#register(parent);
    if (!flow) return;
    const added = children.map((child) => this.#register(child)).filter((child) => child !== undefined);
    for (const child of added) child.parent = flow;
    if (added.length > 0) flow.waitingFor = added.length;
  }

  #register(spec: FlowJob): FakeJob | undefined {
    const id = spec.jobId ?? `job-${++this.#next}`;
    if (this.#jobs.has(id)) return undefined;
    const job: FakeJob = { id, name: spec.name, data: structuredClone(spec.data), attempt: 0, dueAt: Date.now() + (spec.delayMs ?? 0), attempts: spec.attempts ?? 1, backoffMs: spec.backoffMs ?? 1_000 };
    this.#jobs.set(id, job);
    return job;
  }

  #settle(job: FakeJob): void {
    this.#jobs.delete(job.id);
    if (job.parent?.waitingFor) job.parent.waitingFor--;
  }

  work(name: string, handler: (job: QueuedJob) => Promise<void>): void {
    this.#handlers.set(name, handler);
  }

  /** The jobs waiting, by name (for assertions on what was queued). */
  pending(name?: string): QueuedJob[] {
    return [...this.#jobs.values()].filter((job) => name === undefined || job.name === name);
  }

  /** Runs every job due now, and those they add that are due now too; answers how many ran. */
  async runDue(): Promise<number> {
    let ran = 0;
    for (;;) {
      const due = [...this.#jobs.values()].filter((job) => job.dueAt <= Date.now() && !job.waitingFor && this.#handlers.has(job.name)).sort((a, b) => a.dueAt - b.dueAt);
      if (due.length === 0) return ran;
      for (const job of due) {
        ran++;
        job.attempt++;
        try {
          await this.#handlers.get(job.name)!({ id: job.id, name: job.name, data: job.data, attempt: job.attempt });
          this.#settle(job);
        } catch (error) {
          if (error instanceof PermanentJobFailure || job.attempt >= job.attempts) {
            this.#settle(job);
            this.failed.push(job);
          } else {
            job.dueAt = Date.now() + job.backoffMs * 2 ** (job.attempt - 1);
          }
        }
      }
    }
  }

  async counts() {
    return { waiting: this.#jobs.size, active: 0, delayed: 0, failed: this.failed.length };
  }

  async close() {}
}

export interface DomainFixture {
  store: SharedStore;
  google: FakeGoogle;
  accounts: GoogleAccounts;
  sessions: PickerSessions;
  /** What the domain reports; a test's BackgroundWork (or the test itself) hears it. */
  events: DomainEvents;
  jobs: FakeJobs;
  /** Another replica: its own services over the same store and Google. */
  replica(): { accounts: GoogleAccounts; sessions: PickerSessions };
  close(): Promise<void>;
}

export async function domainFixture(options: { store?: SharedStore; google?: FakeGoogle } = {}): Promise<DomainFixture> {
  const store = options.store ?? new MemorySharedStore(silentLogger);
  const google = options.google ?? new FakeGoogle();
  const vault = new TokenVault([Buffer.alloc(32, 7)]);
  const build = () => {
    const accounts = new GoogleAccounts({
      store,
      vault,
      oauth: {
        refresh: async (tokens: GoogleTokens) => ({ ...tokens, access_token: `${tokens.access_token}+`, expiry_date: Date.now() + 3_600_000 }),
        revoke: async () => {},
      },
      pickerApi: (token) => google.api(token),
      isInvalidGrant: () => false,
      refreshError: (error) => (error instanceof AppError ? error : googleError(502, 'UNAVAILABLE')),
      tokenTtlMs: 86_400_000,
      logger: silentLogger,
    });
    const sessions = new PickerSessions({ store, accounts, events, logger: silentLogger, pollLockMs: 10_000 });
    return { accounts, sessions };
  };
  const jobs = new FakeJobs();
  const events = new DomainEvents();
  const { accounts, sessions } = build();
  return { store, google, accounts, sessions, events, jobs, replica: build, close: () => store.close() };
}

/** Connects a user with a fresh access token named after them. */
export async function connectUser(accounts: GoogleAccounts, userId: string): Promise<void> {
  await accounts.connect(userId, { access_token: `token-${userId}`, refresh_token: `refresh-${userId}`, expiry_date: Date.now() + 3_600_000 });
}
