import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { BackgroundWork } from '../../src/jobs/background-work.ts';
import { AppError } from '../../src/errors.ts';
import { connectUser, domainFixture, silentLogger, type DomainFixture } from './fakes.ts';

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (error: unknown) => error instanceof AppError && error.code === code);

describe('Picker sessions of a user', () => {
  let f: DomainFixture;
  beforeEach(async () => {
    f = await domainFixture();
    await connectUser(f.accounts, 'alice');
    await connectUser(f.accounts, 'bob');
  });
  afterEach(() => f.close());

  it('when one user creates 8 sessions at once, then all 8 are theirs and each answers', async () => {
    const created = await Promise.all(Array.from({ length: 8 }, () => f.sessions.create('alice', {})));
    const listed = (await f.sessions.list('alice')).map((s) => s.id).sort();
    assert.deepEqual(listed, created.map((s) => s.id).sort());
    for (const session of created) assert.equal((await f.sessions.status('alice', session.id)).status, 'pending');
  });

  it('when one user deletes 5 sessions at once while creating 3, then every change takes effect', async () => {
    const first = await Promise.all(Array.from({ length: 5 }, () => f.sessions.create('alice', {})));
    const [, more] = await Promise.all([
      Promise.all(first.map((s) => f.sessions.delete('alice', s.id))),
      Promise.all(Array.from({ length: 3 }, () => f.sessions.create('alice', {}))),
    ]);
    assert.deepEqual((await f.sessions.list('alice')).map((s) => s.id).sort(), more.map((s) => s.id).sort());
    assert.equal(f.google.count('delete'), 5);
  });

  it('when an id names a built-in property, then it is not found and Google is never asked', async () => {
    await f.sessions.create('alice', {});
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      await rejectsWith(f.sessions.status('alice', id), 'NOT_FOUND');
      await rejectsWith(f.sessions.delete('alice', id), 'NOT_FOUND');
    }
    assert.equal(f.google.count('get') + f.google.count('delete'), 0);
  });

  it("when a user asks for another user's session, then it is not found", async () => {
    const session = await f.sessions.create('alice', {});
    await rejectsWith(f.sessions.status('bob', session.id), 'NOT_FOUND');
    await rejectsWith(f.sessions.delete('bob', session.id), 'NOT_FOUND');
    assert.equal(f.google.count('delete'), 0);
  });

  it('when a user has more than 20 sessions, then the oldest are deleted at Google', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 22; i++) {
        ids.push((await f.sessions.create('alice', {})).id);
        mock.timers.tick(1_000);
      }
      await waitUntil(async () => (await f.sessions.list('alice')).length === 20);
      const kept = (await f.sessions.list('alice')).map((s) => s.id);
      assert.ok(!kept.includes(ids[0]!) && !kept.includes(ids[1]!));
      assert.ok(f.google.sessions.get(ids[0]!)!.deleted && f.google.sessions.get(ids[1]!)!.deleted);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('Following a Picker session', () => {
  let f: DomainFixture;
  beforeEach(async () => {
    f = await domainFixture();
    await connectUser(f.accounts, 'alice');
  });
  afterEach(() => f.close());

  it('when 50 callers on 3 replicas ask about a stale session at once, then Google is asked once', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const { id } = await f.sessions.create('alice', {});
      mock.timers.tick(1_500); // past the 1 s poll interval
      const replicas = [f.sessions, f.replica().sessions, f.replica().sessions];
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => replicas[i % 3]!.status('alice', id)));
      assert.equal(f.google.count('get', id), 1);
      assert.ok(answers.every((answer) => answer.status === 'pending'));
    } finally {
      mock.timers.reset();
    }
  });

  it('when the answer is younger than the poll interval, then Google is not asked', async () => {
    const { id } = await f.sessions.create('alice', {});
    for (let i = 0; i < 5; i++) await f.sessions.status('alice', id);
    assert.equal(f.google.count('get', id), 0);
  });

  it("when nobody polls a session, then the background follower asks each interval; once a person's page polls it, the follower leaves it to the page until the page misses an interval", async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const { id } = await f.sessions.create('alice', {});
      const follower = f.replica().sessions;
      const gets = () => f.google.count('get', id);
      const tick = async (ms: number, who: { page?: boolean; follower?: boolean }) => {
        mock.timers.tick(ms);
        if (who.follower) await follower.status('alice', id, { background: true });
        if (who.page) await f.sessions.status('alice', id);
      };
      // Nobody watches: the follower asks each interval.
      for (let i = 0; i < 3; i++) await tick(1_000, { follower: true });
      assert.equal(gets(), 3);
      // A page polls each interval, the follower comes just before it: once the page has read one of the follower's
      // answers, the follower leaves the asking to the page.
      for (let i = 0; i < 10; i++) await tick(1_000, { follower: true, page: true });
      assert.equal(gets(), 13);
      // The page is closed: one interval on, the follower still lets it be; two on, it asks, then each interval again.
      await tick(1_000, { follower: true });
      assert.equal(gets(), 13);
      await tick(1_000, { follower: true });
      assert.equal(gets(), 14);
      await tick(1_000, { follower: true });
      assert.equal(gets(), 15);
    } finally {
      mock.timers.reset();
    }
  });

  it('when another replica holds the poll, then a waiter wakes as soon as the answer is stored, with no timer run', async () => {
    const other = f.replica().sessions;
    const { id } = await f.sessions.create('alice', {});
    f.google.complete(id);
    mock.timers.enable({ apis: ['Date', 'setTimeout'], now: Date.now() + 1_500 });
    try {
      // Replica one asks Google while replica two's caller waits on it; no fake timer is ever advanced.
      const [first, second] = await Promise.all([f.sessions.status('alice', id), other.status('alice', id)]);
      assert.equal(first.status, 'complete');
      assert.equal(second.status, 'complete');
      assert.equal(f.google.count('get', id), 1);
    } finally {
      mock.timers.reset();
    }
  });

  it('when Google says PERMISSION_DENIED, then the session reads as expired from then on without asking again', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const { id } = await f.sessions.create('alice', {});
      f.google.denied.add(id);
      mock.timers.tick(1_500);
      assert.equal((await f.sessions.status('alice', id)).status, 'expired');
      mock.timers.tick(10_000);
      assert.equal((await f.sessions.status('alice', id)).status, 'expired');
      assert.equal(f.google.count('get', id), 1);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('Deleting sessions at Google when they are done with (the reap jobs)', () => {
  let f: DomainFixture;
  beforeEach(async () => {
    f = await domainFixture();
    await connectUser(f.accounts, 'alice');
    new BackgroundWork({
      queue: f.jobs, events: f.events, sessions: f.sessions, logger: silentLogger, concurrency: 1, attempts: 1, backoffMs: 1, completedGraceMs: 60_000, webhookBackoffMs: 1,
    }).start();
  });
  afterEach(() => f.close());

  it('when an expired session is reaped, then it is deleted at Google and still answers expired, not 404', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const { id } = await f.sessions.create('alice', {});
      mock.timers.tick(3_600_001);
      assert.equal(await f.jobs.runDue(), 1);
      assert.equal(f.google.sessions.get(id)!.deleted, true);
      assert.equal((await f.sessions.status('alice', id)).status, 'expired');
    } finally {
      mock.timers.reset();
    }
  });

  it('when the reaper runs while the user creates and deletes sessions, then it changes nothing of theirs', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const old = await f.sessions.create('alice', {});
      mock.timers.tick(3_600_001);
      const [, fresh] = await Promise.all([f.jobs.runDue(), f.sessions.create('alice', {})]);
      const ids = (await f.sessions.list('alice')).map((s) => s.id).sort();
      assert.deepEqual(ids, [old.id, fresh.id].sort());
      assert.equal((await f.sessions.status('alice', fresh.id)).status, 'pending');
    } finally {
      mock.timers.reset();
    }
  });

  it('when the user deleted the session before it was due, then the reaper leaves Google alone', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const { id } = await f.sessions.create('alice', {});
      await f.sessions.delete('alice', id);
      mock.timers.tick(3_600_001);
      await f.jobs.runDue();
      assert.equal(f.google.count('delete', id), 1);
    } finally {
      mock.timers.reset();
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}
