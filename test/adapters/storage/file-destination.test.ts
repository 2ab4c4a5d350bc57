import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FileDestination } from '../../../src/adapters/storage/file-destination.ts';
import { destinationContract } from './destination-contract.ts';
import { generatedStream } from './generated-bytes.ts';

const MiB = 1024 * 1024;

destinationContract('FileDestination', async () => {
  const root = await mkdtemp(join(tmpdir(), 'file-destination-'));
  return {
    destination: new FileDestination(root),
    // Every file under the root, reserved names included: what list hides but a disk would keep.
    leftovers: async () =>
      (await readdir(root, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile() && entry.name.endsWith('.part'))
        .map((entry) => join(entry.parentPath, entry.name)),
    close: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FileDestination', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'file-destination-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('when the path is relative, then it is resolved against the working directory and described absolutely', async () => {
    const destination = new FileDestination('./imports', scratch);
    assert.equal(destination.description, `file:${join(scratch, 'imports')}`);
    await destination.put('users/u1/s1/a.txt', Readable.from([Buffer.from('hello')]));
    assert.deepEqual(await readdir(join(scratch, 'imports', 'users', 'u1', 's1')), ['a.txt']);
  });

  it('when the folder cannot be written, then check rejects naming the path and the reason', async () => {
    // Tests run as root, where permission bits do not stop writes; a folder that would sit under a regular file
    // can never be created, whoever asks.
    const file = join(scratch, 'file.txt');
    await writeFile(file, 'not a folder');
    const destination = new FileDestination(join(file, 'sub'));

    await assert.rejects(destination.check(), (error: Error & { code?: string; status?: number }) => {
      assert.equal(error.code, 'DESTINATION_UNAVAILABLE');
      assert.equal(error.status, 503);
      assert.match(error.message, new RegExp(`file:${join(file, 'sub')}`));
      assert.match(error.message, /ENOTDIR/);
      return true;
    });
  });

  it('when the folder cannot be written, then put rejects naming the destination and the reason, and writes nothing', async () => {
    const file = join(scratch, 'blocks-put.txt');
    await writeFile(file, 'not a folder');
    const destination = new FileDestination(join(file, 'sub'));

    await assert.rejects(destination.put('users/u1/a.txt', Readable.from([Buffer.from('a')])), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'DESTINATION_UNAVAILABLE');
      assert.match(error.message, new RegExp(`file:${join(file, 'sub')} cannot be written: ENOTDIR`));
      return true;
    });
  });

  it('when a write of a key never finished (its process died mid-way), then the next put of that key leaves none of it', async () => {
    const root = join(scratch, 'died');
    const destination = new FileDestination(root);
    const folder = join(root, 'users', 'u1');
    // A writer that never returns, as one killed mid-copy: its partial file stays until something removes it.
    const dead = new Readable({ read() {} });
    dead.push(Buffer.alloc(1024, 1));
    const abandoned = destination.put('users/u1/video.mp4', dead).catch(() => undefined);
    while ((await readdir(folder).catch(() => [])).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    await destination.put('users/u1/video.mp4', Readable.from([Buffer.from('whole')]));
    await destination.put('users/u1/video.mp4.preview.jpg', Readable.from([Buffer.from('preview')]));

    assert.deepEqual((await readdir(folder)).sort(), ['video.mp4', 'video.mp4.preview.jpg']);
    dead.destroy();
    await abandoned;
  });

  it('when 200 MiB are put, then the copy streams: memory grows by far less than the file', async () => {
    const destination = new FileDestination(join(scratch, 'large'));
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);
    try {
      const stored = await destination.put('large.bin', generatedStream(200 * MiB, { onRead: () => (peak = Math.max(peak, process.memoryUsage.rss())) }));
      assert.equal(stored.bytes, 200 * MiB);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peak - baseline < 64 * MiB, `RSS grew by ${Math.round((peak - baseline) / MiB)} MiB`);
  });
});
