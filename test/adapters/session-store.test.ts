import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionData } from 'express-session';
import pino from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySharedStore } from '../../src/adapters/memory/shared-store.ts';
import { openDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteSharedStore } from '../../src/adapters/sqlite/shared-store.ts';
import { openRedis } from '../../src/adapters/redis/client.ts';
import { RedisSharedStore } from '../../src/adapters/redis/shared-store.ts';
import { SharedSessionStore } from '../../src/adapters/session-store.ts';
import type { SharedStore } from '../../src/domain/ports.ts';
import { keysUnder, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

const quiet = pino({ level: 'silent' });
/** Short enough for a real Redis to expire within a test. */
const LIFETIME = 300;

interface Subject {
  /** Two replicas' session stores over one shared state. */
  sessions: SharedSessionStore;
  peer: SharedSessionStore;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

const subjects: Record<string, () => Promise<Subject>> = {
  'in memory': async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const store = new MemorySharedStore(quiet);
    return {
      sessions: new SharedSessionStore(store, { idleTimeoutMs: LIFETIME }),
      peer: new SharedSessionStore(store, { idleTimeoutMs: LIFETIME }),
      advance: async (ms) => void mock.timers.tick(ms),
      close: async () => {
        mock.timers.reset();
        await store.close();
      },
    };
  },
  'in the embedded database': async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const dir = mkdtempSync(join(tmpdir(), 'ppg-sessions-'));
    const database = openDatabase(dir);
    const store = new SqliteSharedStore(database, quiet);
    return {
      sessions: new SharedSessionStore(store, { idleTimeoutMs: LIFETIME }),
      peer: new SharedSessionStore(store, { idleTimeoutMs: LIFETIME }),
      advance: async (ms) => void mock.timers.tick(ms),
      close: async () => {
        mock.timers.reset();
        await store.close();
        database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  'on Redis': async () => {
    const prefix = uniquePrefix();
    const [a, b] = [openRedis(SHARED_REDIS_URL, quiet), openRedis(SHARED_REDIS_URL, quiet)];
    await Promise.all([a.ready, b.ready]);
    const stores: SharedStore[] = [new RedisSharedStore(a, prefix, quiet), new RedisSharedStore(b, prefix, quiet)];
    return {
      sessions: new SharedSessionStore(stores[0]!, { idleTimeoutMs: LIFETIME }),
      peer: new SharedSessionStore(stores[1]!, { idleTimeoutMs: LIFETIME }),
      advance: (ms) => sleep(ms),
      close: async () => {
        const keys = await keysUnder(a.client, prefix);
        if (keys.length > 0) await a.client.del(...keys);
        await Promise.all([a.close(), b.close()]);
      },
    };
  },
};

/** Session data as express-session hands it over: a cookie that expires in `lifetimeMs`, and what the app put in. */
const sessionData = (lifetimeMs: number, extra: Record<string, unknown> = {}) =>
  ({ cookie: { originalMaxAge: lifetimeMs, expires: new Date(Date.now() + lifetimeMs) }, ...extra }) as unknown as SessionData;

const call = <T>(run: (callback: (error?: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));

for (const [name, open] of Object.entries(subjects)) {
  describe(`sessions over the shared store, ${name}`, () => {
    let subject: Subject;
    const load = (store: SharedSessionStore, sid: string) => call<SessionData | null>((done) => store.get(sid, done));
    const save = (store: SharedSessionStore, sid: string, data: SessionData) => call((done) => store.set(sid, data, done));
    beforeEach(async () => {
      subject = await open();
    });
    afterEach(() => subject.close());

    it('when a session is saved on one replica, then the other reads it until its cookie expires, and not after', async () => {
      const data = sessionData(LIFETIME, { user: { id: 'u1' } });
      await save(subject.sessions, 'sid', data);
      assert.deepEqual(await load(subject.peer, 'sid'), JSON.parse(JSON.stringify(data)));
      await subject.advance(LIFETIME * 1.5);
      assert.equal(await load(subject.peer, 'sid'), null);
    });

    it('when a session is read, then it lives one idle timeout from that read and keeps what another request saved meanwhile', async () => {
      await save(subject.sessions, 'sid', sessionData(LIFETIME, { step: 'first tab' }));
      await save(subject.peer, 'sid', sessionData(LIFETIME, { step: 'second tab signed in' }));
      await subject.advance(LIFETIME * 0.6);
      await load(subject.sessions, 'sid');
      await subject.advance(LIFETIME * 0.6);
      assert.equal(((await load(subject.sessions, 'sid')) as unknown as { step: string }).step, 'second tab signed in');
      await subject.advance(LIFETIME * 1.5);
      assert.equal(await load(subject.peer, 'sid'), null);
    });

    it('when a session has expired, then reading it does not bring it back', async () => {
      await save(subject.sessions, 'sid', sessionData(LIFETIME));
      await subject.advance(LIFETIME * 1.5);
      assert.equal(await load(subject.sessions, 'sid'), null);
      assert.equal(await load(subject.peer, 'sid'), null);
    });

    it('when a session is saved with a cookie already expired, or destroyed, then it is gone', async () => {
      await save(subject.sessions, 'old', sessionData(LIFETIME));
      await save(subject.sessions, 'old', sessionData(-1));
      assert.equal(await load(subject.sessions, 'old'), null);
      await save(subject.sessions, 'sid', sessionData(LIFETIME));
      await call((done) => subject.peer.destroy('sid', done));
      assert.equal(await load(subject.sessions, 'sid'), null);
    });
  });
}
