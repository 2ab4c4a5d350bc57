import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Emulator } from '@photos-picker-gateway/google-emulator';
import { S3Destination } from '../../src/adapters/storage/s3-destination.ts';
import { createPickerSession, eventually, startHarness, type Harness } from '../helpers/harness.ts';
import { filesUnder, googleBytes, IMPORT_STEP_MS, importEnded, itemNamed, sha256 } from '../helpers/imports.ts';
import { openUploads, startS3Server } from '../helpers/s3-server.ts';

// The SDK's default provider chain reads these; the test server accepts any.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const MiB = 1024 * 1024;
const VIDEO_BYTES = 40 * MiB;
/** The first download of the video is cut off here, at 90%. */
const CUT_AT = 36 * MiB;
/** The S3 adapter's part: an upload keeps whole parts only, so what went into the part being filled is read again. */
const S3_PART_BYTES = 5 * MiB;
/**
 * What was on its way when the connection broke (the sockets' buffers, the HTTP client's, the streams'): received by
 * nobody, so read again. A few MiB on loopback, whatever the size of the video.
 */
const IN_FLIGHT_BYTES = 4 * MiB;
const emulatorOptions = { librarySize: 6, largeVideoBytes: VIDEO_BYTES, knobs: { pollIntervalSeconds: 1 } };

/** The downloads of the video's original (not its preview), in order, with what the emulator sent of each. */
const originalDownloads = (emulator: Emulator) =>
  emulator.requests.filter((request) => request.kind === 'media' && request.path.endsWith('=dv')).map(({ range, bytes, aborted }) => ({ range, bytes: bytes ?? 0, aborted }));

/** Picks the large video with its first download cut at 90%, and waits for the import to end. */
async function importCutVideo(h: Harness, whenCut: () => void = () => {}) {
  const client = await h.signedInClient();
  const video = itemNamed(h.emulator, 'large-video.mp4');
  const id = await createPickerSession(client);
  h.emulator.clearRequests();
  h.emulator.knobs.mediaCutAfterBytes = CUT_AT;
  h.emulator.pick(id, { itemIds: [video] });
  await eventually(() => originalDownloads(h.emulator)[0]?.aborted, 'the first download is cut off', IMPORT_STEP_MS);
  whenCut();
  const state = await importEnded(client, id);
  assert.equal(state.status, 'done', JSON.stringify(state.items));
  return { state, video, item: state.items[0]! };
}

describe('a copy cut off at 90% goes on from what it stored', () => {
  it('when the copy into a folder is cut at 90%, then the retry asks Google for the rest only, and the file is whole with the right SHA-256', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'gateway-resume-'));
    const h = await startHarness({ env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_BACKOFF_MS: '50', IMPORT_CONCURRENCY: '1' }, emulator: emulatorOptions });
    try {
      const { item, video } = await importCutVideo(h);

      const [first, second, ...more] = originalDownloads(h.emulator);
      assert.deepEqual(more, [], 'two downloads: the cut one and the rest');
      assert.equal(first!.bytes, CUT_AT);
      assert.match(second!.range ?? '', /^bytes=\d+-$/);
      assert.ok(second!.bytes <= VIDEO_BYTES - CUT_AT + IN_FLIGHT_BYTES, `the retry read ${second!.bytes} bytes: more than the last 10% and what was in flight`);
      const bytes = await readFile(path.join(root, item.key));
      const google = (await googleBytes(h.emulator, [video])).get(video)!;
      assert.equal(bytes.length, VIDEO_BYTES);
      assert.equal(sha256(bytes), sha256(google));
      assert.equal(item.sha256, sha256(google));
      assert.equal(item.bytes, VIDEO_BYTES);
      assert.deepEqual((await filesUnder(root)).filter((file) => file.endsWith('.part')), [], 'no partial write left');
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('when the video changed at Google between the tries, then the retry copies it whole again, the new bytes', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'gateway-resume-changed-'));
    const h = await startHarness({ env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_BACKOFF_MS: '1000', IMPORT_CONCURRENCY: '1' }, emulator: emulatorOptions });
    try {
      const video = itemNamed(h.emulator, 'large-video.mp4');
      const { item } = await importCutVideo(h, () => h.emulator.changeBytes(video));

      const [, second] = originalDownloads(h.emulator);
      assert.match(second!.range ?? '', /^bytes=\d+-$/, 'the retry asked for the rest, on condition (If-Range)');
      assert.equal(second!.bytes, VIDEO_BYTES, 'and got the whole new version instead');
      const bytes = await readFile(path.join(root, item.key));
      const google = (await googleBytes(h.emulator, [video])).get(video)!;
      assert.equal(sha256(bytes), sha256(google));
      assert.equal(item.sha256, sha256(google));
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('when the copy into S3 is cut at 90%, then the retry lists the parts stored, asks Google for the rest only, and the object is whole with the right SHA-256', async () => {
    const server = await startS3Server();
    const h = await startHarness({
      env: { IMPORT_DESTINATION: `s3://${server.bucket}/resume`, S3_ENDPOINT: server.endpoint, IMPORT_BACKOFF_MS: '50', IMPORT_CONCURRENCY: '1' },
      emulator: emulatorOptions,
    });
    const reader = new S3Destination({ bucket: server.bucket, prefix: 'resume', region: 'us-east-1', endpoint: server.endpoint });
    try {
      const { item, video } = await importCutVideo(h);

      const [first, second, ...more] = originalDownloads(h.emulator);
      assert.deepEqual(more, []);
      assert.equal(first!.bytes, CUT_AT);
      assert.match(second!.range ?? '', /^bytes=\d+-$/);
      assert.ok(second!.bytes <= VIDEO_BYTES - CUT_AT + IN_FLIGHT_BYTES + S3_PART_BYTES,
        `the retry read ${second!.bytes} bytes: more than the last 10%, what was on its way and the part being filled`);
      assert.equal((VIDEO_BYTES - second!.bytes) % S3_PART_BYTES, 0, 'it went on from the end of a part');
      assert.ok(server.requests.some((request) => request.method === 'GET' && new URL(request.url, 'http://s3').searchParams.has('uploadId')), 'the parts were listed');
      assert.deepEqual(openUploads(server.requests), [], 'the upload was completed');
      const stored = await reader.get(item.key);
      assert.ok(stored);
      const bytes = Buffer.concat(await Array.fromAsync(stored.body as AsyncIterable<Buffer>));
      const google = (await googleBytes(h.emulator, [video])).get(video)!;
      assert.equal(sha256(bytes), sha256(google));
      assert.equal(item.sha256, sha256(google));
    } finally {
      reader.close();
      await h.close();
      await server.close();
    }
  });
});

describe('a cancelled import leaves no folder behind', () => {
  it('when the user deletes a session mid-import, then its folder and its owner\'s, now empty, are gone', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'gateway-no-folders-'));
    const h = await startHarness({ env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_BACKOFF_MS: '50', IMPORT_CONCURRENCY: '1' }, emulator: emulatorOptions });
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client);
      h.emulator.knobs.mediaBytesPerSecond = 256 * 1024;
      h.emulator.pick(id, { itemIds: [itemNamed(h.emulator, 'large-video.mp4')] });
      await eventually(async () => (await filesUnder(root)).some((file) => file.endsWith('.part')), 'a copy is half-written', IMPORT_STEP_MS);

      assert.equal((await client.delete(`/sessions/${id}`, { accept: 'json' })).status, 204);
      h.emulator.knobs.mediaBytesPerSecond = 0;

      await eventually(async () => (await readdir(root)).length === 0, 'nothing is left under the root, not even a folder', IMPORT_STEP_MS);
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
