import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FileDestination } from '../../../src/adapters/storage/file-destination.ts';
import { destinationContract } from './destination-contract.ts';
import { generatedStream } from './generated-bytes.ts';

const MiB = 1024 * 1024;

/**
 * Makes a folder refuse every change, even root's (who permission bits never stop): `chattr +i`, where the file system
 * and the process's capabilities allow it. Answers false where they do not.
 */
function immutable(folder: string, on: boolean): boolean {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', folder], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

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

  it('when the folder refuses new files (EPERM), then put rejects naming EPERM and the destination', async (t) => {
    const root = join(scratch, 'eperm');
    await mkdir(join(root, 'users'), { recursive: true });
    if (!immutable(join(root, 'users'), true)) return t.skip('chattr +i is not available here');
    try {
      const destination = new FileDestination(root);
      await assert.rejects(destination.put('users/a.txt', Readable.from([Buffer.from('a')])), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'DESTINATION_UNAVAILABLE');
        assert.match(error.message, new RegExp(`file:${root} cannot be written: EPERM`));
        return true;
      });
    } finally {
      immutable(join(root, 'users'), false);
    }
  });

  it('when the clean-up of a failed write fails too, then put rejects with what failed the write, not the clean-up', async (t) => {
    const root = join(scratch, 'cleanup');
    const folder = join(root, 'users');
    await mkdir(folder, { recursive: true });
    const destination = new FileDestination(root);
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(1024, 1));
    const writing = destination.put('users/video.mp4', source);
    while ((await readdir(folder)).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // The part file can no longer be removed: the folder refuses every change.
    if (!immutable(folder, true)) {
      source.destroy();
      await writing.catch(() => undefined);
      return t.skip('chattr +i is not available here');
    }
    try {
      const failure = new Error('the connection was reset');
      source.destroy(failure);
      await assert.rejects(writing, failure);
    } finally {
      immutable(folder, false);
    }
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
