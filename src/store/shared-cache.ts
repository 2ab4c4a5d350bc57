/**
 * Small shared state that replicas must agree on: the last Google answer for
 * a Picker session (so polls are coalesced), listed media items, and short
 * locks (one poller, one reaper per session). In memory for one process;
 * Redis-backed when SESSION_STORE=redis (see redis-shared-cache.ts).
 */
export interface SharedCache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Takes a lock for ttlMs if nobody holds it; true when this caller got it. */
  acquire(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a lock back before its TTL runs out. */
  release(key: string): Promise<void>;
  /** A time-ordered queue of work (the reaper's): members due at dueAt (ms). Re-scheduling moves a member. */
  schedule(queue: string, member: string, dueAt: number): Promise<void>;
  due(queue: string, now: number, limit: number): Promise<string[]>;
  unschedule(queue: string, member: string): Promise<void>;
}

interface Entry {
  json: string;
  expiresAt: number;
}

export class MemorySharedCache implements SharedCache {
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    // Values are stored as JSON so callers get copies, exactly as they would from Redis.
    this.#sweeper = setInterval(() => this.#sweep(), sweepEveryMs).unref();
  }

  #sweep(now = Date.now()): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.#live(key);
    return entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.#entries.set(key, { json: JSON.stringify(value), expiresAt: Date.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async acquire(key: string, ttlMs: number): Promise<boolean> {
    if (this.#live(`lock\u0000${key}`)) return false;
    this.#entries.set(`lock\u0000${key}`, { json: 'true', expiresAt: Date.now() + ttlMs });
    return true;
  }

  async release(key: string): Promise<void> {
    this.#entries.delete(`lock\u0000${key}`);
  }

  readonly #queues = new Map<string, Map<string, number>>();

  #queue(name: string): Map<string, number> {
    let queue = this.#queues.get(name);
    if (!queue) this.#queues.set(name, (queue = new Map()));
    return queue;
  }

  async schedule(queue: string, member: string, dueAt: number): Promise<void> {
    this.#queue(queue).set(member, dueAt);
  }

  async due(queue: string, now: number, limit: number): Promise<string[]> {
    return [...this.#queue(queue)]
      .filter(([, dueAt]) => dueAt <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([member]) => member);
  }

  async unschedule(queue: string, member: string): Promise<void> {
    this.#queue(queue).delete(member);
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}
