import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { FileDestination } from '../../src/adapters/storage/file-destination.ts';
import { Imports } from '../../src/domain/imports.ts';
import { PickedMedia } from '../../src/domain/media.ts';
import type { MediaClient, MediaResponse, PickedMediaItem } from '../../src/domain/ports.ts';
import { AppError } from '../../src/errors.ts';
import { BackgroundWork, FOLLOW_AT_MOST_EVERY_MS } from '../../src/jobs/background-work.ts';
import { JOB } from '../../src/jobs/names.ts';
import { connectUser, domainFixture, silentLogger, type DomainFixture } from '../domain/fakes.ts';

/** Google's media host: bytes of their own per URL; the ids in `refused` answer 404. */
function mediaHost(refused: Set<string>): MediaClient {
  return {
    async open(url): Promise<MediaResponse> {
      if ([...refused].some((id) => url.pathname.includes(id))) return { status: 404, headers: {}, body: Readable.from([]) };
      return { status: 200, headers: { 'content-type': 'image/jpeg' }, body: Readable.from([Buffer.from(`bytes of ${url.href}`)]) };
    },
  };
}

const photo = (id: string): PickedMediaItem => ({
  id, type: 'PHOTO', createTime: '2024-01-01T00:00:00Z',
  mediaFile: { baseUrl: `https://lh3.googleusercontent.com/${id}`, mimeType: 'image/jpeg', filename: `${id}.jpg` },
});

describe('the jobs layer over the domain', () => {
  let f: DomainFixture;
  let root: string;
  let refused: Set<string>;

  beforeEach(async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    f = await domainFixture();
    await connectUser(f.accounts, 'alice');
    root = await mkdtemp(path.join(tmpdir(), 'jobs-'));
    refused = new Set();
    const media = new PickedMedia({
      store: f.store, accounts: f.accounts, sessions: f.sessions, media: mediaHost(refused), mediaHosts: ['googleusercontent.com'],
      mediaFailure: (status) => new AppError({ status, code: status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE' }),
    });
    const imports = new Imports({ store: f.store, media, sessions: f.sessions, destination: new FileDestination(root), logger: silentLogger, maxQueuedPerOwner: 100 });
    new BackgroundWork({
      queue: f.jobs, events: f.events, sessions: f.sessions, imports, logger: silentLogger,
      concurrency: 1, attempts: 2, backoffMs: 1, completedGraceMs: 60_000, webhookBackoffMs: 1,
    }).start();
  });
  afterEach(async () => {
    mock.timers.reset();
    await f.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when a session is created, then its following and its deletion at expiry are queued; once picked, its import is one flow whose finish runs after every copy', async () => {
    const { id } = await f.sessions.create('alice', {});
    assert.deepEqual(f.jobs.pending().map((job) => job.name).sort(), [JOB.followSession, JOB.reapSession]);
    f.google.complete(id);
    f.google.picked.set(id, [photo('a'), photo('gone'), photo('c')]);
    refused.add('gone');
    // One pollInterval on: the following sees the pick, the plan adds the flow, the copies run, then the finish.
    mock.timers.tick(f.google.pollIntervalSeconds * 1000);
    await f.jobs.runDue();
    const manifest = JSON.parse(await readFile(path.join(root, 'users/alice', id, 'manifest.json'), 'utf8'));
    assert.equal(manifest.status, 'partial');
    assert.deepEqual(manifest.items.map((item: { id: string; status: string }) => [item.id, item.status]), [['a', 'done'], ['gone', 'failed'], ['c', 'done']]);
    assert.deepEqual(f.jobs.failed, [], 'a copy that failed for good is recorded, not a failed job');
  });

  it('when nobody polls a session while its person takes their time, then the following asks Google less and less often, and still notices the pick within a tenth of that time', async () => {
    const { id } = await f.sessions.create('alice', {});
    const gets = () => f.google.count('get', id);
    // Minute by minute for ten minutes, as nobody polls: Google is asked every pollInterval at first, then less often.
    const perMinute: number[] = [];
    for (let minute = 0; minute < 10; minute++) {
      const before = gets();
      for (let second = 0; second < 60; second++) {
        mock.timers.tick(1_000);
        await f.jobs.runDue();
      }
      perMinute.push(gets() - before);
    }
    assert.ok(perMinute[0]! >= 20, `asked ${perMinute[0]} times in the first minute`);
    assert.ok(perMinute[9]! <= 60_000 / FOLLOW_AT_MOST_EVERY_MS + 1, `asked ${perMinute[9]} times in the tenth minute`);
    assert.ok(perMinute.every((count, minute) => minute === 0 || count <= perMinute[minute - 1]!), `asked ${perMinute.join(', ')} times`);
    // Picked after ten minutes: its import starts within the longest wait.
    f.google.complete(id);
    f.google.picked.set(id, [photo('a')]);
    const listed = () => f.google.count('list', id) > 0;
    let waitedMs = 0;
    while (!listed() && waitedMs <= FOLLOW_AT_MOST_EVERY_MS) {
      mock.timers.tick(1_000);
      waitedMs += 1_000;
      await f.jobs.runDue();
    }
    assert.ok(listed() && waitedMs <= FOLLOW_AT_MOST_EVERY_MS, `noticed after ${waitedMs} ms`);
  });

  it('when a picked session is deleted before its jobs run, then they end quietly: nothing fails, nothing is retried', async () => {
    const { id } = await f.sessions.create('alice', {});
    f.google.complete(id);
    f.google.picked.set(id, [photo('a'), photo('b')]);
    mock.timers.tick(f.google.pollIntervalSeconds * 1000);
    // The page's poll sees the pick first: the plan is queued, beside the following.
    await f.sessions.status('alice', id);
    assert.equal(f.jobs.pending(JOB.planImport).length, 1);
    await f.sessions.delete('alice', id);
    await f.jobs.runDue();
    assert.deepEqual(f.jobs.failed.map((job) => job.name), []);
    assert.deepEqual(f.jobs.pending().filter((job) => job.name !== JOB.reapSession), []);
  });
});
