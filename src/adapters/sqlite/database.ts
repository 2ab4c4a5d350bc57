/**
 * The embedded database: one SQLite file under DATA_DIR, opened through Node's
 * built-in node:sqlite (no native build). It serves one process: the file is
 * locked exclusively for as long as the process holds it, so a second replica
 * pointed at the same volume is refused at start instead of corrupting state.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError } from '../../config.ts';

export const DATABASE_FILE = 'gateway.sqlite';

/** Raised at start when another process already holds the file: a deployment mistake, reported like a bad setting. */
export class DatabaseInUseError extends ConfigError {
  override name = 'DatabaseInUseError';

  constructor(file: string) {
    super(
      `Another gateway process already uses ${file}. The embedded store serves one process: ` +
        'run one replica per data directory, or set SESSION_STORE=redis (with REDIS_URL) to run several.',
    );
  }
}

export interface EmbeddedDatabase {
  readonly db: DatabaseSync;
  readonly file: string;
  /** Runs `work` in one transaction: all of it is on disk, or none of it. */
  transaction<T>(work: () => T): T;
  close(): void;
}

export function openDatabase(dataDir: string): EmbeddedDatabase {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, DATABASE_FILE);
  // timeout 0: a lock held by another process answers at once rather than waiting.
  const db = new DatabaseSync(file, { timeout: 0 });
  try {
    // Sessions and sealed tokens: this user's only. SQLite gives its WAL file the database's mode.
    chmodSync(file, 0o600);
    // Exclusive locking keeps the file's lock from the first read until close: that
    // is what refuses a second process. WAL commits without rewriting pages, and with
    // synchronous=NORMAL a committed write survives the process being killed (only a
    // power loss may take back the last commits).
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    db.close();
    if (isBusy(error)) throw new DatabaseInUseError(file);
    throw error;
  }
  let depth = 0;
  return {
    db,
    file,
    transaction<T>(work: () => T): T {
      // Nested calls join the outer transaction: the outer one decides.
      if (depth > 0) return work();
      db.exec('BEGIN IMMEDIATE');
      depth++;
      try {
        const result = work();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      } finally {
        depth--;
      }
    },
    close: () => {
      if (db.isOpen) db.close();
    },
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: number }).errcode;
  // SQLITE_BUSY and SQLITE_LOCKED, with or without extended codes.
  return code !== undefined && ((code & 0xff) === 5 || (code & 0xff) === 6);
}
