/**
 * The embedded store of one process: sessions, shared state and the job queue in one database file under
 * DATA_DIR, so a restart, an upgrade or a crash signs nobody out and loses no import.
 */
import type { Logger } from 'pino';
import type { OpenedStores } from '../stores.ts';
import { openDatabase } from './database.ts';
import { SqliteJobQueue } from './job-queue.ts';
import { SqliteSharedStore } from './shared-store.ts';

export function openEmbeddedStores(dataDir: string, logger: Logger): OpenedStores {
  const database = openDatabase(dataDir);
  const sharedStore = new SqliteSharedStore(database, logger);
  const jobs = new SqliteJobQueue(database, logger);
  logger.info({ file: database.file }, `Sign-ins, state and the job queue are kept in ${database.file} (one process; SESSION_STORE=redis for replicas)`);
  return {
    sharedStore,
    jobs,
    ping: async () => database.db.isOpen,
    close: async () => {
      await sharedStore.close();
      database.close();
    },
  };
}
