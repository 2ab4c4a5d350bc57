import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FileDestination } from '../../src/adapters/storage/file-destination.ts';
import { Imports, userOwner } from '../../src/domain/imports.ts';
import { PickedMedia } from '../../src/domain/media.ts';
import { type MediaClient, type MediaResponse, type PickedMediaItem } from '../../src/domain/ports.ts';
import { AppError } from '../../src/errors.ts';
import { connectUser, domainFixture, silentLogger, type DomainFixture } from './fakes.ts';

/** Google's media host: each URL answers bytes of its own, or a status set for it. */
class FakeMediaHost implements MediaClient {
  readonly refusals = new Map<string, number>();
  /** URLs whose body breaks off halfway, once each. */
  readonly breakOnce = new Set<string>();
  /** URLs whose body stops after its first bytes until the promise settles, once each. */
  readonly holdOnce = new Map<string, Promise<void>>();

  static bytesOf(url: string): Buffer {
    return Buffer.from(`bytes of ${url} `.repeat(5_000));
  }

  async open(url: URL): Promise<MediaResponse> {
    const refusal = this.refusals.get(url.href);
    if (refusal) return { status: refusal, headers: {}, body: Readable.from([]) };
    const bytes = FakeMediaHost.bytesOf(url.href);
    const hold = this.holdOnce.get(url.href);
    this.holdOnce.delete(url.href);
    if (hold) {
      return {
        status: 200, headers: {}, body: Readable.from((async function* held() {
          yield bytes.subarray(0, 1000);
          await hold;
          yield bytes.subarray(1000);
        })()),
      };
    }
    const body = this.breakOnce.delete(url.href)
      ? Readable.from((async function* breakingOff() {
        yield bytes.subarray(0, 1000);
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('connection reset');
      })())
      : Readable.from([bytes.subarray(0, 30_000), bytes.subarray(30_000)]);
    return { status: 200, headers: { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) }, body };
  }
}

const picked = (id: string, filename: string | undefined, type: PickedMediaItem['type'] = 'PHOTO'): PickedMediaItem => ({
  id, type, createTime: '2024-01-01T00:00:00Z',
  mediaFile: { baseUrl: `https://lh3.googleusercontent.com/${id}`, mimeType: type === 'VIDEO' ? 'video/mp4' : 'image/jpeg', ...(filename ? { filename } : {}), mediaFileMetadata: { width: 800, height: 600 } },
});
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('Importing a picked session', () => {
  let f: DomainFixture;
  let root: string;
  let host: FakeMediaHost;
  let imports: Imports;
  let sessionId: string;

  beforeEach(async () => {
    f = await domainFixture();
    await connectUser(f.accounts, 'alice');
    root = await mkdtemp(path.join(tmpdir(), 'imports-'));
    host = new FakeMediaHost();
    const media = new PickedMedia({
      store: f.store, accounts: f.accounts, sessions: f.sessions, media: host, mediaHosts: ['googleusercontent.com'],
      mediaFailure: (status) => new AppError({ status: status === 404 ? 404 : 502, code: status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE' }),
    });
    imports = new Imports({ store: f.store, media, sessions: f.sessions, destination: new FileDestination(root), logger: silentLogger, maxQueuedPerOwner: 10 });
    sessionId = (await f.sessions.create('alice', {})).id;
    f.google.complete(sessionId);
  });
  afterEach(async () => {
    await f.close();
    await rm(root, { recursive: true, force: true });
  });

  const planned = async (user = 'alice', id = sessionId) => (await imports.plan(user, id)).copies.map((copy) => copy.id);
  const copyAll = async (ids: string[]) => {
    for (const id of ids) await imports.copy('alice', sessionId, id, { lastAttempt: true }).catch(() => undefined);
  };

  it('when every item copies, then each lands under the user with identical bytes, a preview beside it and a manifest, and Google\'s session is deleted', async () => {
    f.google.picked.set(sessionId, [picked('p1', 'IMG_1.jpg'), picked('v1', 'clip.mp4', 'VIDEO')]);
    const ids = await planned();
    assert.deepEqual(ids, ['p1', 'v1']);
    await copyAll(ids);
    const record = await imports.finish('alice', sessionId);
    assert.equal(record?.status, 'done');
    assert.deepEqual(await imports.finish('alice', sessionId), record, 'finishing again changes nothing');
    assert.equal(f.google.count('delete', sessionId), 1, 'Google is asked to delete the session once');

    const folder = path.join(root, userOwner('alice'), sessionId);
    assert.deepEqual((await readdir(folder)).sort(), ['IMG_1.jpg', 'IMG_1.jpg.preview.jpg', 'clip.mp4', 'clip.mp4.preview.jpg', 'manifest.json']);
    const original = FakeMediaHost.bytesOf('https://lh3.googleusercontent.com/p1=d');
    assert.deepEqual(await readFile(path.join(folder, 'IMG_1.jpg')), original);
    assert.deepEqual(await readFile(path.join(folder, 'clip.mp4')), FakeMediaHost.bytesOf('https://lh3.googleusercontent.com/v1=dv'));
    assert.deepEqual(await readFile(path.join(folder, 'IMG_1.jpg.preview.jpg')), FakeMediaHost.bytesOf('https://lh3.googleusercontent.com/p1=w512-h512'));

    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
    assert.equal(manifest.pickingSessionId, sessionId);
    assert.equal(manifest.owner, 'users/alice');
    assert.equal(manifest.status, 'done');
    assert.deepEqual(manifest.items[0], {
      id: 'p1', key: `users/alice/${sessionId}/IMG_1.jpg`, previewKey: `users/alice/${sessionId}/IMG_1.jpg.preview.jpg`, filename: 'IMG_1.jpg',
      mimeType: 'image/jpeg', type: 'PHOTO', createTime: '2024-01-01T00:00:00Z', width: 800, height: 600, bytes: original.length,
      sha256: sha256(original), status: 'done', error: null,
    });
    assert.doesNotMatch(JSON.stringify(manifest), /googleusercontent|token/, 'no Google URL or token in storage');
    assert.equal(f.google.sessions.get(sessionId)?.deleted, true);
    assert.equal((await f.sessions.status('alice', sessionId)).status, 'expired', 'the session is still the user\'s, and ended');
  });

  it('when the destination takes bytes slowly, then Google is read only as fast: the item is never buffered whole', async () => {
    const itemBytes = 32 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 1);
    let produced = 0;
    let consumed = 0;
    let furthestAhead = 0;
    const slowDestination = new (class extends FileDestination {
      override async put(key: string, body: Readable) {
        for await (const piece of body) {
          consumed += (piece as Buffer).length;
          furthestAhead = Math.max(furthestAhead, produced - consumed);
          await new Promise((resolve) => setImmediate(resolve));
        }
        return { key, bytes: consumed, sha256: 'not computed here' };
      }
    })(root);
    const lazyHost: MediaClient = {
      async open() {
        const body = new Readable({
          read() {
            if (produced >= itemBytes) return void this.push(null);
            produced += chunk.length;
            this.push(chunk);
          },
        });
        return { status: 200, headers: { 'content-length': String(itemBytes) }, body };
      },
    };
    const media = new PickedMedia({
      store: f.store, accounts: f.accounts, sessions: f.sessions, media: lazyHost, mediaHosts: ['googleusercontent.com'],
      mediaFailure: () => new AppError({ status: 502, code: 'UNAVAILABLE' }),
    });
    const slow = new Imports({ store: f.store, media, sessions: f.sessions, destination: slowDestination, logger: silentLogger, maxQueuedPerOwner: 10 });
    f.google.picked.set(sessionId, [picked('big', 'big.mp4', 'VIDEO')]);
    await slow.plan('alice', sessionId);
    produced = 0;
    consumed = 0;
    await slow.copy('alice', sessionId, 'big', { lastAttempt: true });
    assert.ok(consumed >= itemBytes, 'the whole item went through');
    assert.ok(furthestAhead < 1024 * 1024, `Google was read at most ${furthestAhead} bytes ahead of the destination`);
  });

  it('when items share a name or carry path tricks, then each gets a safe name of its own', async () => {
    f.google.picked.set(sessionId, [
      picked('a', 'same.jpg'), picked('b', 'same.jpg'), picked('c', '../../escape.jpg'), picked('d', undefined), picked('id/with/slash', undefined),
      picked('e', 'CON.jpg'),
    ]);
    const record = await imports.plan('alice', sessionId).then(() => imports.state('alice', sessionId));
    assert.deepEqual(record?.items.map((item) => item.filename), ['same.jpg', 'same (2).jpg', '_.._escape.jpg', 'd.jpg', 'id_with_slash.jpg', '_CON.jpg']);
    assert.ok(record?.items.every((item) => item.key.startsWith(`users/alice/${sessionId}/`) && item.key.split('/').every((part) => part !== '..' && part !== '.')));
  });

  it('when Google has lost one item, then the others are imported and the manifest says partial, with the reason', async () => {
    f.google.picked.set(sessionId, [picked('ok', 'ok.jpg'), picked('gone', 'gone.jpg')]);
    host.refusals.set('https://lh3.googleusercontent.com/gone=d', 404);
    const ids = await planned();
    assert.equal(await imports.copy('alice', sessionId, 'ok', { lastAttempt: false }), 'done');
    assert.equal(await imports.copy('alice', sessionId, 'gone', { lastAttempt: false }), 'failed', 'a 404 is not worth retrying: failed at the first try');
    const record = await imports.finish('alice', sessionId);
    assert.equal(ids.length, 2);
    assert.equal(record?.status, 'partial');
    assert.equal(record?.items.find((item) => item.id === 'gone')?.status, 'failed');
    assert.ok(record?.items.find((item) => item.id === 'gone')?.error);
  });

  it('when an import ends partial, then the session stays at Google, and a Retry that succeeds finishes it done and deletes it', async () => {
    f.google.picked.set(sessionId, [picked('ok', 'ok.jpg'), picked('flaky', 'flaky.jpg')]);
    host.refusals.set('https://lh3.googleusercontent.com/flaky=d', 500);
    await imports.plan('alice', sessionId);
    await imports.copy('alice', sessionId, 'ok', { lastAttempt: true });
    await imports.copy('alice', sessionId, 'flaky', { lastAttempt: true });
    assert.equal((await imports.finish('alice', sessionId))?.status, 'partial');
    assert.equal(f.google.count('delete', sessionId), 0, 'kept for a Retry');

    host.refusals.clear();
    assert.deepEqual(await imports.retryFailed('alice', sessionId), { round: 1, copies: [{ id: 'flaky', rank: 1 }] });
    assert.equal((await imports.state('alice', sessionId))?.status, 'running');
    assert.equal(await imports.copy('alice', sessionId, 'flaky', { lastAttempt: true }), 'done');
    const record = await imports.finish('alice', sessionId, 1);
    assert.equal(record?.status, 'done');
    assert.equal(record?.items.find((item) => item.id === 'flaky')?.status, 'done');
    assert.equal(f.google.count('delete', sessionId), 1);
    const manifest = JSON.parse(await readFile(path.join(root, record!.manifestKey!), 'utf8'));
    assert.equal(manifest.status, 'done', 'the manifest is written again');
  });

  it('when a copy breaks off, then nothing half-written stays, the item waits for its retry, and the retry completes it', async () => {
    f.google.picked.set(sessionId, [picked('p', 'p.jpg')]);
    host.breakOnce.add('https://lh3.googleusercontent.com/p=d');
    await imports.plan('alice', sessionId);
    await assert.rejects(imports.copy('alice', sessionId, 'p', { lastAttempt: false }));
    const folder = path.join(root, userOwner('alice'), sessionId);
    assert.deepEqual(await readdir(folder).catch(() => []), [], 'no partial file, no temp file');
    assert.equal((await imports.state('alice', sessionId))?.items[0]?.status, 'queued');
    await imports.copy('alice', sessionId, 'p', { lastAttempt: false });
    assert.equal((await imports.finish('alice', sessionId))?.status, 'done');
  });

  it('when failed items are retried, then the import runs again in a new round, which settles and finishes on its own', async () => {
    f.google.picked.set(sessionId, [picked('p', 'p.jpg')]);
    host.refusals.set('https://lh3.googleusercontent.com/p=d', 502);
    await imports.plan('alice', sessionId);
    assert.equal(await imports.copy('alice', sessionId, 'p', { lastAttempt: true }), 'failed');
    assert.equal((await imports.state('alice', sessionId))?.status, 'failed', 'failed for good shows before any manifest');

    host.refusals.clear();
    assert.deepEqual((await imports.retryFailed('alice', sessionId)).copies.map((copy) => copy.id), ['p']);
    assert.equal((await imports.state('alice', sessionId))?.status, 'running');
    assert.equal(await imports.finish('alice', sessionId, 0), undefined, 'a late finish of the first round leaves the import to the second');
    assert.equal((await imports.state('alice', sessionId))?.items[0]?.status, 'queued');
    assert.equal(await imports.copy('alice', sessionId, 'p', { lastAttempt: false }), 'done');
    assert.equal((await imports.finish('alice', sessionId, 1))?.status, 'done');
  });

  it('when one copy runs twice at once (taken over while the first stalled), then the one that finishes stands, whole, and nothing is left half-written', async () => {
    f.google.picked.set(sessionId, [picked('p', 'p.jpg')]);
    let release!: () => void;
    host.holdOnce.set('https://lh3.googleusercontent.com/p=d', new Promise((resolve) => (release = resolve)));
    await imports.plan('alice', sessionId);
    const stalled = imports.copy('alice', sessionId, 'p', { lastAttempt: false });
    const folder = path.join(root, userOwner('alice'), sessionId);
    while ((await readdir(folder).catch(() => [])).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    assert.equal(await imports.copy('alice', sessionId, 'p', { lastAttempt: false }), 'done', 'the takeover finishes the item');
    release();
    await stalled.catch(() => undefined);

    const item = (await imports.state('alice', sessionId))?.items[0];
    assert.equal(item?.status, 'done');
    const bytes = await readFile(path.join(root, item!.key));
    assert.equal(item?.sha256, sha256(bytes));
    assert.deepEqual((await readdir(folder)).sort(), ['p.jpg', 'p.jpg.preview.jpg']);
  });

  it('when a host app\'s pick is imported, then its files and manifest are in the pick\'s folder, the manifest names the pick, and a cancel clears that folder', async () => {
    const place = { owner: 'apps/shop/ref1', folder: 'apps/shop/ref1/pick1', pick: 'pick1' };
    f.google.picked.set(sessionId, [picked('p1', 'IMG_1.jpg')]);
    await copyAll((await imports.plan('alice', sessionId, place)).copies.map((copy) => copy.id));
    const record = await imports.finish('alice', sessionId);
    assert.equal(record?.manifestKey, 'apps/shop/ref1/pick1/manifest.json');
    const manifest = JSON.parse(await readFile(path.join(root, record!.manifestKey!), 'utf8'));
    assert.deepEqual([manifest.pick, manifest.owner, manifest.items[0].key], ['pick1', 'apps/shop/ref1', 'apps/shop/ref1/pick1/IMG_1.jpg']);
    assert.deepEqual((await readdir(path.join(root, 'apps/shop/ref1/pick1'))).sort(), ['IMG_1.jpg', 'IMG_1.jpg.preview.jpg', 'manifest.json']);
    assert.ok(!(await readdir(root, { recursive: true })).some((entry) => String(entry).includes(sessionId)), 'nothing named by Google\'s session id');

    const second = (await f.sessions.create('alice', {})).id;
    f.google.complete(second);
    f.google.picked.set(second, [picked('q1', 'a.jpg'), picked('q2', 'b.jpg')]);
    await imports.plan('alice', second, { owner: 'apps/shop/ref1', folder: 'apps/shop/ref1/pick2', pick: 'pick2' });
    await imports.copy('alice', second, 'q1', { lastAttempt: true });
    assert.equal((await readdir(path.join(root, 'apps/shop/ref1/pick2'))).length, 2);
    await imports.cancel(second);
    assert.deepEqual(await readdir(path.join(root, 'apps/shop/ref1/pick2')).catch(() => []), [], 'what the cancelled import wrote is gone');
  });

  it('when every copy of a round has settled but an item never did (its copies were cut off too often), then finish fails it with the reason, the manifest says so, and Retry covers it', async () => {
    f.google.picked.set(sessionId, [picked('ok', 'ok.jpg'), picked('cut', 'cut.jpg')]);
    await imports.plan('alice', sessionId);
    await imports.copy('alice', sessionId, 'ok', { lastAttempt: false });
    // The queue gave up on "cut" without calling its handler: the item still reads queued.
    const record = await imports.finish('alice', sessionId);
    assert.equal(record?.status, 'partial');
    const cut = record?.items.find((item) => item.id === 'cut');
    assert.equal(cut?.status, 'failed');
    assert.match(cut?.error ?? '', /interrupted/);
    const manifest = JSON.parse(await readFile(path.join(root, record!.manifestKey!), 'utf8'));
    assert.equal(manifest.items.find((item: { id: string }) => item.id === 'cut').status, 'failed');
    assert.deepEqual((await imports.retryFailed('alice', sessionId)).copies.map((copy) => copy.id), ['cut']);
  });

  it('when two owners plan imports, then each item\'s rank counts only its own owner\'s queued work, and settled items leave it', async () => {
    f.google.picked.set(sessionId, [picked('a1', 'a1.jpg'), picked('a2', 'a2.jpg'), picked('a3', 'a3.jpg')]);
    assert.deepEqual((await imports.plan('alice', sessionId)).copies.map((copy) => copy.rank), [1, 2, 3]);
    await connectUser(f.accounts, 'bob');
    const bobs = (await f.sessions.create('bob', {})).id;
    f.google.complete(bobs);
    f.google.picked.set(bobs, [picked('b1', 'b1.jpg')]);
    assert.deepEqual((await imports.plan('bob', bobs)).copies, [{ id: 'b1', rank: 1 }], 'bob waits for none of alice\'s items');
    await imports.copy('alice', sessionId, 'a1', { lastAttempt: true });
    const again = (await f.sessions.create('alice', {})).id;
    f.google.complete(again);
    f.google.picked.set(again, [picked('a4', 'a4.jpg')]);
    assert.deepEqual((await imports.plan('alice', again)).copies, [{ id: 'a4', rank: 3 }], 'behind alice\'s two items still queued');
  });

  it('when an owner has as many items queued as allowed, then a further import fails at once with the reason, and its Retry is refused with 429', async () => {
    f.google.picked.set(sessionId, Array.from({ length: 10 }, (_, n) => picked(`q${n}`, `q${n}.jpg`)));
    assert.equal((await imports.plan('alice', sessionId)).copies.length, 10);
    const more = (await f.sessions.create('alice', {})).id;
    f.google.complete(more);
    f.google.picked.set(more, [picked('late', 'late.jpg')]);
    assert.deepEqual((await imports.plan('alice', more)).copies, []);
    const refused = await imports.finish('alice', more);
    assert.equal(refused?.status, 'failed');
    assert.match(refused?.items[0]?.error ?? '', /too many items waiting/);
    await assert.rejects(imports.retryFailed('alice', more), (error: AppError) => error.status === 429 && error.code === 'RESOURCE_EXHAUSTED');
    await copyAll(Array.from({ length: 10 }, (_, n) => `q${n}`));
    assert.deepEqual((await imports.retryFailed('alice', more)).copies.map((copy) => copy.id), ['late'], 'once the queue has room again');
  });

  it('when a copy taken over had reported progress, then the import shows the new copy\'s own progress, not the dead one\'s', async () => {
    f.google.picked.set(sessionId, [picked('p', 'p.jpg')]);
    let release!: () => void;
    host.holdOnce.set('https://lh3.googleusercontent.com/p=d', new Promise((resolve) => (release = resolve)));
    await imports.plan('alice', sessionId);
    // What a copy that died at 90% left in the record: it was copying, and far along.
    const planned = (await imports.state('alice', sessionId))!.items[0]!;
    await f.store.hashSet(`import:${sessionId}`, 'item:p', JSON.stringify({ ...planned, status: 'copying', bytes: 9_000_000, totalBytes: 10_000_000 }), 60_000);

    const copy = imports.copy('alice', sessionId, 'p', { lastAttempt: false });
    const folder = path.join(root, userOwner('alice'), sessionId);
    while ((await readdir(folder).catch(() => [])).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const during = (await imports.state('alice', sessionId))!.items[0]!;
    assert.equal(during.status, 'copying');
    assert.equal(during.bytes, 0, 'the new copy has reported nothing yet');
    release();
    await copy;
    assert.equal((await imports.state('alice', sessionId))!.items[0]!.status, 'done');
  });

  it('when another user asks about the import, then it is not found', async () => {
    f.google.picked.set(sessionId, [picked('p', 'p.jpg')]);
    await imports.plan('alice', sessionId);
    await assert.rejects(imports.state('bob', sessionId), (error: AppError) => error.code === 'NOT_FOUND');
  });
});
