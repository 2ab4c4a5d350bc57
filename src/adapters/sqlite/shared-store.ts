/**
 * The shared store in the embedded database: the same model as Redis and the
 * in-memory store (one keyspace where a key holds a string or a hash, an expiry
 * per key, a hash expiring whole), kept in two tables of the one file. node:sqlite
 * is synchronous, so each method runs whole on one turn of the event loop: it is
 * atomic for every caller of this process, and each write is committed before
 * its promise resolves. Notifications stay in the process, the only one there is.
 */
import type { Logger } from 'pino';
import type { StatementSync } from 'node:sqlite';
import type { SharedStore } from '../../domain/ports.ts';
import { AppError } from '../../errors.ts';
import { LocalChannels } from '../local-channels.ts';
import type { EmbeddedDatabase } from './database.ts';

type Kind = 'string' | 'hash';
/** A key's row: a string's value, or null for a hash (its fields are rows of their own). */
interface KeyRow {
  kind: Kind;
  value: string | null;
  expiresAt: number | null;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS store_keys (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('string', 'hash')),
    value TEXT,
    expires_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS store_keys_expiry ON store_keys (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS store_hash_fields (
    key TEXT NOT NULL REFERENCES store_keys (key) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key, field)
  ) WITHOUT ROWID;
`;

const expiryAfter = (ttlMs: number | undefined) => (ttlMs === undefined ? null : Date.now() + ttlMs);

export class SqliteSharedStore implements SharedStore {
  readonly #database: EmbeddedDatabase;
  readonly #channels: LocalChannels;
  readonly #sweeper: NodeJS.Timeout;
  readonly #sql: Record<
    'live' | 'expire' | 'upsertString' | 'insertString' | 'deleteKey' | 'deleteExpired' | 'upsertHashKey' | 'touchHashKey'
      | 'setField' | 'getField' | 'allFields' | 'countFields' | 'deleteField',
    StatementSync
  >;

  constructor(database: EmbeddedDatabase, logger: Logger, sweepEveryMs = 60_000) {
    this.#database = database;
    this.#channels = new LocalChannels(logger);
    database.db.exec(SCHEMA);
    const prepare = (sql: string) => database.db.prepare(sql);
    this.#sql = {
      live: prepare('SELECT kind, value, expires_at AS expiresAt FROM store_keys WHERE key = ?'),
      expire: prepare('UPDATE store_keys SET expires_at = ? WHERE key = ?'),
      upsertString: prepare(
        "INSERT INTO store_keys (key, kind, value, expires_at) VALUES (?, 'string', ?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET kind = 'string', value = excluded.value, expires_at = excluded.expires_at",
      ),
      insertString: prepare("INSERT OR IGNORE INTO store_keys (key, kind, value, expires_at) VALUES (?, 'string', ?, ?)"),
      deleteKey: prepare('DELETE FROM store_keys WHERE key = ?'),
      deleteExpired: prepare('DELETE FROM store_keys WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      upsertHashKey: prepare(
        "INSERT INTO store_keys (key, kind, value, expires_at) VALUES (?, 'hash', NULL, ?) " +
          'ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at',
      ),
      touchHashKey: prepare("INSERT OR IGNORE INTO store_keys (key, kind, value, expires_at) VALUES (?, 'hash', NULL, NULL)"),
      setField: prepare(
        'INSERT INTO store_hash_fields (key, field, value) VALUES (?, ?, ?) ON CONFLICT (key, field) DO UPDATE SET value = excluded.value',
      ),
      getField: prepare('SELECT value FROM store_hash_fields WHERE key = ? AND field = ?'),
      allFields: prepare('SELECT field, value FROM store_hash_fields WHERE key = ?'),
      countFields: prepare('SELECT count(*) AS n FROM store_hash_fields WHERE key = ?'),
      deleteField: prepare('DELETE FROM store_hash_fields WHERE key = ? AND field = ?'),
    };
    this.#sweeper = setInterval(() => this.#sql.deleteExpired.run(Date.now()), sweepEveryMs).unref();
  }

  /** The live key, read once; an expired key is deleted on the way, as Redis does when it is touched. */
  #live(key: string): KeyRow | undefined {
    const row = this.#sql.live.get(key) as KeyRow | undefined;
    if (row && row.expiresAt !== null && row.expiresAt <= Date.now()) {
      this.#sql.deleteKey.run(key);
      return undefined;
    }
    return row;
  }

  /** The live key when it holds `kind`; a key holding another kind is a bug in the caller, as in Redis (WRONGTYPE). */
  #read(key: string, kind: Kind): KeyRow | undefined {
    const row = this.#live(key);
    if (row && row.kind !== kind) {
      throw new AppError({ status: 500, code: 'INTERNAL', cause: new TypeError(`shared store key holds a ${row.kind}, not a ${kind}`) });
    }
    return row;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#read(key, 'string')?.value ?? undefined;
  }

  async getAndExpire(key: string, ttlMs: number): Promise<string | undefined> {
    return this.#database.transaction(() => {
      const row = this.#read(key, 'string');
      if (row) this.#sql.expire.run(expiryAfter(ttlMs), key);
      return row?.value ?? undefined;
    });
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#database.transaction(() => {
      // A hash's fields go with it when a plain value replaces it.
      if (this.#live(key)?.kind === 'hash') this.#sql.deleteKey.run(key);
      this.#sql.upsertString.run(key, value, expiryAfter(ttlMs));
    });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.#database.transaction(() => {
      this.#live(key);
      return this.#sql.insertString.run(key, value, expiryAfter(ttlMs)).changes === 1;
    });
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    return this.#database.transaction(() => this.#live(key) !== undefined && this.#sql.expire.run(expiryAfter(ttlMs), key).changes === 1);
  }

  async take(key: string): Promise<string | undefined> {
    return this.#database.transaction(() => {
      const row = this.#read(key, 'string');
      if (row) this.#sql.deleteKey.run(key);
      return row?.value ?? undefined;
    });
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    this.#database.transaction(() => {
      for (const key of keys) this.#sql.deleteKey.run(key);
    });
  }

  async hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    this.#database.transaction(() => {
      this.#read(key, 'hash');
      if (ttlMs === undefined) this.#sql.touchHashKey.run(key);
      else this.#sql.upsertHashKey.run(key, expiryAfter(ttlMs));
      this.#sql.setField.run(key, field, value);
    });
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    if (!this.#read(key, 'hash')) return undefined;
    return (this.#sql.getField.get(key, field) as { value: string } | undefined)?.value;
  }

  async hashGetAll(key: string): Promise<Map<string, string>> {
    if (!this.#read(key, 'hash')) return new Map();
    const rows = this.#sql.allFields.all(key) as { field: string; value: string }[];
    return new Map(rows.map(({ field, value }) => [field, value]));
  }

  async hashLength(key: string): Promise<number> {
    if (!this.#read(key, 'hash')) return 0;
    return (this.#sql.countFields.get(key) as { n: number }).n;
  }

  async hashDelete(key: string, ...fields: string[]): Promise<number> {
    return this.#database.transaction(() => {
      if (!this.#read(key, 'hash')) return 0;
      let removed = 0;
      for (const field of fields) removed += Number(this.#sql.deleteField.run(key, field).changes);
      if ((this.#sql.countFields.get(key) as { n: number }).n === 0) this.#sql.deleteKey.run(key);
      return removed;
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#channels.publish(channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    return this.#channels.subscribe(channel, listener);
  }

  async ping(): Promise<boolean> {
    return this.#database.db.isOpen;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#channels.clear();
  }
}
