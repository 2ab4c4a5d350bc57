/**
 * The shared store for one process. It keeps Redis's model, so the domain
 * behaves the same on either: one keyspace where a key holds a string or a
 * hash; an expiry per key (a hash expires whole); deleting a key
 * deletes whatever it holds. Expired keys vanish when next touched, and a
 * periodic sweep frees the ones nobody touches again.
 */
import type { Logger } from 'pino';
import type { SharedStore } from '../../domain/ports.ts';
import { AppError } from '../../errors.ts';
import { LocalChannels } from '../local-channels.ts';

type Content =
  | { kind: 'string'; value: string }
  | { kind: 'hash'; fields: Map<string, string> };

interface Entry {
  content: Content;
  /** Epoch ms; Infinity while the key has no expiry. */
  expiresAt: number;
}

const expiryAfter = (ttlMs: number | undefined) => (ttlMs === undefined ? Infinity : Date.now() + ttlMs);

export class MemorySharedStore implements SharedStore {
  readonly #entries = new Map<string, Entry>();
  readonly #channels: LocalChannels;
  readonly #sweeper: NodeJS.Timeout;

  constructor(logger: Logger, sweepEveryMs = 60_000) {
    this.#channels = new LocalChannels(logger);
    this.#sweeper = setInterval(() => this.#sweep(), sweepEveryMs).unref();
  }

  #sweep(): void {
    const now = Date.now();
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

  /** The key's content when it holds that kind; a key holding another kind is a bug in the caller, as in Redis (WRONGTYPE). */
  #read<K extends Content['kind']>(key: string, kind: K): Extract<Content, { kind: K }> | undefined {
    const entry = this.#live(key);
    if (!entry) return undefined;
    if (entry.content.kind !== kind) {
      throw new AppError({ status: 500, code: 'INTERNAL', cause: new TypeError(`shared store key holds a ${entry.content.kind}, not a ${kind}`) });
    }
    return entry.content as Extract<Content, { kind: K }>;
  }

  // Each method reads and writes without awaiting in between, so it is atomic on the event loop.

  async get(key: string): Promise<string | undefined> {
    return this.#read(key, 'string')?.value;
  }

  async getAndExpire(key: string, ttlMs: number): Promise<string | undefined> {
    const value = this.#read(key, 'string')?.value;
    if (value !== undefined) this.#entries.get(key)!.expiresAt = expiryAfter(ttlMs);
    return value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#entries.set(key, { content: { kind: 'string', value }, expiresAt: expiryAfter(ttlMs) });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#entries.set(key, { content: { kind: 'string', value }, expiresAt: expiryAfter(ttlMs) });
    return true;
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const entry = this.#live(key);
    if (entry) entry.expiresAt = expiryAfter(ttlMs);
    return entry !== undefined;
  }

  async take(key: string): Promise<string | undefined> {
    const value = this.#read(key, 'string')?.value;
    this.#entries.delete(key);
    return value;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.#entries.delete(key);
  }

  async hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    const fields = this.#read(key, 'hash')?.fields ?? new Map<string, string>();
    fields.set(field, value);
    const expiresAt = ttlMs === undefined ? (this.#entries.get(key)?.expiresAt ?? Infinity) : expiryAfter(ttlMs);
    this.#entries.set(key, { content: { kind: 'hash', fields }, expiresAt });
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    return this.#read(key, 'hash')?.fields.get(field);
  }

  async hashGetAll(key: string): Promise<Map<string, string>> {
    return new Map(this.#read(key, 'hash')?.fields);
  }

  async hashLength(key: string): Promise<number> {
    return this.#read(key, 'hash')?.fields.size ?? 0;
  }

  async hashDelete(key: string, ...fields: string[]): Promise<number> {
    const hash = this.#read(key, 'hash');
    if (!hash) return 0;
    const removed = fields.filter((field) => hash.fields.delete(field)).length;
    if (hash.fields.size === 0) this.#entries.delete(key);
    return removed;
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#channels.publish(channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    return this.#channels.subscribe(channel, listener);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#channels.clear();
  }
}
