import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3Destination } from '../../src/adapters/storage/s3-destination.ts';
import { createPickerSession, eventually, startHarness } from '../helpers/harness.ts';
import { assertNoSecretsIn, downloading, filesUnder, googleBytes, IMPORT_STEP_MS, importEnded, importOf, itemNamed, sha256 } from '../helpers/imports.ts';
import { isPartUpload, openUploads, startS3Server, uploadIdOf, type S3Server } from '../helpers/s3-server.ts';

// The SDK's default provider chain reads these; the test server accepts any.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

/** Above the S3 adapter's 5 MiB part: a multipart upload of three parts. */
const LARGE_VIDEO_BYTES = 12 * 1024 * 1024;
const emulatorOptions = { librarySize: 6, largeVideoBytes: LARGE_VIDEO_BYTES, knobs: { pollIntervalSeconds: 1 } };

const readAll = async (body: NodeJS.ReadableStream) => Buffer.concat(await Array.fromAsync(body as AsyncIterable<Buffer>));

describe('imports into S3 while S3 fails for a while', () => {
  let server: S3Server;
  before(async () => {
    server = await startS3Server();
  });
  after(() => server?.close());

  it('when S3 answers 503 and then 500 to upload parts, then the copies are retried and succeed, whole, with no multipart upload left open', async () => {
    const h = await startHarness({
      env: { IMPORT_DESTINATION: `s3://${server.bucket}/faults`, S3_ENDPOINT: server.endpoint, IMPORT_BACKOFF_MS: '50', IMPORT_CONCURRENCY: '1' },
      emulator: emulatorOptions,
    });
    const reader = new S3Destination({ bucket: server.bucket, prefix: 'faults', region: 'us-east-1', endpoint: server.endpoint });
    try {
      const client = await h.signedInClient();
      const items = [itemNamed(h.emulator, 'video-005.mp4'), itemNamed(h.emulator, 'large-video.mp4')];
      const id = await createPickerSession(client);
      const from = server.requests.length;
      // The import's first request meets S3 shedding load; then more of the large video's parts fail than the SDK
      // retries one part, so at least one multipart upload fails whole and the import tries the copy again.
      server.failNext(1, { status: 503 });
      server.failNext(6, { status: 500, only: isPartUpload });
      h.emulator.pick(id, { itemIds: items });

      const state = await importEnded(client, id);

      assert.equal(state.status, 'done', JSON.stringify(state.items));
      const seen = server.requests.slice(from);
      assert.equal(seen.filter((request) => request.status === 503).length, 1);
      assert.equal(seen.filter((request) => request.status === 500).length, 6);
      assert.ok(seen.some((request) => request.method === 'DELETE' && uploadIdOf(request) && request.status === 204), 'a failed upload was aborted');
      assert.deepEqual(openUploads(seen), []);
      const google = await googleBytes(h.emulator, items);
      for (const item of state.items) {
        const stored = await reader.get(item.key);
        assert.ok(stored, item.key);
        assert.equal(sha256(await readAll(stored.body)), sha256(google.get(item.id)!), item.filename);
      }
      const folder = path.posix.dirname(state.items[0]!.key);
      assert.equal((await reader.list(`${folder}/`)).length, 5, 'two items, two previews and the manifest, nothing more');
      assertNoSecretsIn(h.logs);
    } finally {
      reader.close();
      await h.close();
    }
  });
});

describe('imports into a folder that refuses writes', () => {
  it('when the folder cannot be written, then readiness is 503 and items fail saying why; once mended, readiness recovers and Retry imports them', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'gateway-refusing-'));
    // The tests run as root, whom permissions never stop: a regular file where a folder should be does.
    const blocker = path.join(parent, 'blocker');
    await writeFile(blocker, 'not a folder');
    const destination = `file:${blocker}/imports`;
    const h = await startHarness({ env: { IMPORT_DESTINATION: destination, IMPORT_ATTEMPTS: '2', IMPORT_BACKOFF_MS: '50' }, emulator: emulatorOptions });
    try {
      assert.equal((await fetch(`${h.url}/readyz`)).status, 503);
      const refusal = h.logs.map((line) => JSON.parse(line)).find((line) => line.msg?.includes('refuses writes'));
      assert.ok(refusal, 'the refusal is logged');
      assert.equal(refusal.destination, destination);
      assert.match(refusal.reason, /ENOTDIR/);
      assert.match(await (await fetch(`${h.url}/metrics`)).text(), /^import_destination_writable 0$/m);

      const client = await h.signedInClient();
      const items = [itemNamed(h.emulator, 'video-005.mp4'), itemNamed(h.emulator, 'large-video.mp4')];
      const id = await createPickerSession(client);
      h.emulator.pick(id, { itemIds: items });
      const failed = await eventually(async () => {
        const state = await importOf(client, id);
        return state.items.length === 2 && state.items.every((item) => item.status === 'failed') ? state : undefined;
      }, 'every item has failed', IMPORT_STEP_MS);
      const failedAt = Date.now();
      for (const item of failed.items) assert.match(item.error ?? '', new RegExp(`${destination} cannot be written: ENOTDIR`));
      assert.equal(failed.status, 'failed');
      assert.deepEqual(await filesUnder(parent), ['blocker'], 'nothing half-written anywhere');

      await rm(blocker);
      assert.equal(await h.app.services.destinationWatch!.check(), true);
      assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
      assert.match(await (await fetch(`${h.url}/metrics`)).text(), /^import_destination_writable 1$/m);
      const retry = await client.post(`/sessions/${id}/import`, { accept: 'json', json: {} });
      assert.equal(retry.status, 202);
      assert.deepEqual(await retry.json(), { retried: 2 });

      // Before the first round's finish, which could not write the manifest, is tried again (15 s after it failed).
      const state = await importEnded(client, id, 14_000 - (Date.now() - failedAt));
      assert.equal(state.status, 'done', JSON.stringify(state.items));
      const google = await googleBytes(h.emulator, items);
      for (const item of state.items) assert.equal(sha256(await readFile(path.join(blocker, 'imports', item.key))), sha256(google.get(item.id)!));
      assertNoSecretsIn(h.logs);
    } finally {
      await h.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('imports of a session deleted mid-way', () => {
  it('when the user deletes the session while copies run, then they stop, nothing of the import stays, and the import is 404', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'gateway-deleted-'));
    const h = await startHarness({ env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_BACKOFF_MS: '50', IMPORT_CONCURRENCY: '1' }, emulator: emulatorOptions });
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client);
      // The first slice of a download comes at once, the next only many seconds later: the first copy is caught
      // half-written, with the second queued behind it.
      h.emulator.knobs.mediaBytesPerSecond = 1024;
      h.emulator.pick(id, { itemIds: [itemNamed(h.emulator, 'video-005.mp4'), itemNamed(h.emulator, 'large-video.mp4')] });
      await eventually(async () => downloading(h.emulator) && (await filesUnder(root)).some((file) => file.endsWith('.part')), 'a copy is half-written', IMPORT_STEP_MS);

      const before = await h.stores.jobs.counts();
      assert.equal((await client.delete(`/sessions/${id}`, { accept: 'json' })).status, 204);
      const deletedAt = h.emulator.requests.length;

      await eventually(() => !downloading(h.emulator), 'the running download stops');
      // Nothing running or due: the copies queued behind the cut one have had their turn.
      const settled = await eventually(async () => {
        const counts = await h.stores.jobs.counts();
        return counts.waiting + counts.active === 0 ? counts : undefined;
      }, 'no copy is running or due');
      assert.equal(settled.delayed, before.delayed, 'no copy waits to be tried again');
      h.emulator.knobs.mediaBytesPerSecond = 0;
      assert.ok(h.emulator.requests.some((request) => request.kind === 'media' && request.aborted), 'the copy was cut off');
      assert.deepEqual(h.emulator.requests.slice(deletedAt).filter((request) => request.kind === 'media'), [], 'no copy began after');
      assert.deepEqual(await filesUnder(root), []);
      assert.equal((await client.get(`/sessions/${id}/import`, { accept: 'json' })).status, 404);
      assertNoSecretsIn(h.logs);
      // A deletion is routine: nothing for an operator to act on, so nothing at warn or above about the stopped work
      // (the requests' own lines are left out: the 404 this test asked for last is refused, and a slow answer on a busy
      // machine says so).
      const lines = h.logs.map((line) => JSON.parse(line) as { level: number; msg: string; event?: string; req?: unknown });
      assert.deepEqual(lines.filter((line) => line.level >= 40 && line.req === undefined && line.msg !== 'request refused').map((line) => line.msg), []);
      assert.ok(lines.some((line) => line.event === 'import_cancelled' && line.level === 30));
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
