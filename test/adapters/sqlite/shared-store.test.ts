import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import pino from 'pino';
import { DatabaseInUseError, openDatabase } from '../../../src/adapters/sqlite/database.ts';
import { SqliteSharedStore } from '../../../src/adapters/sqlite/shared-store.ts';
import { sharedStoreContract } from '../shared-store-contract.ts';

const silent = pino({ level: 'silent' });

sharedStoreContract('in the embedded database', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ppg-sqlite-'));
  // The store's clock and its sweep run on the fake timers, so expiry takes no real time.
  mock.timers.enable({ apis: ['Date', 'setInterval'] });
  const database = openDatabase(dir);
  const store = new SqliteSharedStore(database, silent, 100);
  return {
    store,
    peer: store,
    advance: async (ms) => mock.timers.tick(ms),
    close: async () => {
      await store.close();
      database.close();
      mock.timers.reset();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('the embedded database file', () => {
  it('when the process reopens the file, then every value, hash and expiry written before is there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ppg-sqlite-'));
    try {
      const first = openDatabase(dir);
      const before = new SqliteSharedStore(first, silent);
      await before.set('account', 'sealed tokens');
      await before.hashSet('import', 'item-1', 'done', 60_000);
      await before.set('gone', 'soon', 1);
      await before.close();
      first.close();

      const second = openDatabase(dir);
      const after = new SqliteSharedStore(second, silent);
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(await after.get('account'), 'sealed tokens');
      assert.deepEqual(await after.hashGetAll('import'), new Map([['item-1', 'done']]));
      assert.equal(await after.get('gone'), undefined);
      await after.close();
      second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when the file is made, then only its owner may read it (it holds sessions and sealed tokens)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ppg-sqlite-'));
    const database = openDatabase(dir);
    try {
      await new SqliteSharedStore(database, silent).set('account', 'sealed');
      for (const name of ['gateway.sqlite', 'gateway.sqlite-wal']) assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600, name);
    } finally {
      database.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when a second handle opens a file already in use, then it is refused with a message that says what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ppg-sqlite-'));
    const first = openDatabase(dir);
    try {
      assert.throws(() => openDatabase(dir), (error: unknown) => {
        assert.ok(error instanceof DatabaseInUseError);
        assert.match(error.message, /one process/);
        assert.match(error.message, /SESSION_STORE=redis/);
        return true;
      });
    } finally {
      first.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
