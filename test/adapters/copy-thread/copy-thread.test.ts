import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CopyThread } from '../../../src/adapters/copy-thread/copy-thread.ts';
import { FileDestination } from '../../../src/adapters/storage/file-destination.ts';
import { S3Destination } from '../../../src/adapters/storage/s3-destination.ts';
import { AppError } from '../../../src/errors.ts';
import { startS3Server } from '../../helpers/s3-server.ts';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.ts';
import { generatedBytes, generatedStream, readAll, sha256Of } from '../storage/generated-bytes.ts';

// The SDK's default provider chain reads these (the thread sees the environment it started with); the test server accepts any.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const MiB = 1024 * 1024;

/** The nice value of the process's event loop (its main thread) and of its worker threads, as Linux reports them. */
async function threadNiceness(): Promise<{ eventLoop: number; workers: number[] }> {
  const threads = await Promise.all((await readdir('/proc/self/task')).map(async (tid) => {
    const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const nice = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]); // field 19 of stat(5)
    return { main: Number(tid) === process.pid, name, nice };
  }));
  return { eventLoop: threads.find((t) => t.main)!.nice, workers: threads.filter((t) => t.name === 'WorkerThread').map((t) => t.nice) };
}
const SIZE = 12 * MiB;

describe('the copy thread', () => {
  let google: StandInServer;
  let thread: CopyThread;
  let root: string;
  /** How the stand-in answers the next download: the whole item, or the item breaking off after this many bytes. */
  let breakAfter: number | undefined;
  let requests: IncomingMessage[];

  before(async () => {
    google = await startStandInServer((req: IncomingMessage, res: ServerResponse) => {
      requests.push(req);
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(start > 0 ? 206 : 200, {
        'content-type': 'video/mp4', 'content-length': String(SIZE - start), etag: '"v1"',
        ...(start > 0 ? { 'content-range': `bytes ${start}-${SIZE - 1}/${SIZE}` } : {}),
      });
      const body = generatedStream(breakAfter === undefined ? SIZE : Math.min(SIZE, breakAfter), { start });
      body.pipe(res, { end: breakAfter === undefined });
      if (breakAfter !== undefined) body.once('end', () => res.socket?.destroy());
    });
    // A thread stopped after each test resets its connections: expected, not a failure of the stand-in.
    google.server.on('connection', (socket) => socket.on('error', () => {}));
  });
  after(() => google.close());
  beforeEach(async () => {
    thread = new CopyThread({ timeoutMs: 5_000 });
    root = await mkdtemp(join(tmpdir(), 'ppg-copy-thread-'));
    breakAfter = undefined;
    requests = [];
  });
  afterEach(async () => {
    await thread.close();
    await rm(root, { recursive: true, force: true });
  });

  const open = (signal?: AbortSignal, range?: string) =>
    thread.media.open(new URL(`${google.base}/item=dv`), 'token-1', { ...(signal ? { signal } : {}), ...(range ? { range } : {}) });
  const folder = () => thread.destination(new FileDestination(root));
  const filesIn = async (folder: string) => (await readdir(join(root, folder)).catch(() => [])).sort();

  it('when a download is put into the folder, then the file is whole with its SHA-256, progress was told, and the token went to Google', async () => {
    const answer = await open();
    const progress: number[] = [];

    const stored = await folder().put('a/video.mp4', answer.body, { onProgress: (bytes) => progress.push(bytes) });

    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'video/mp4');
    assert.deepEqual(stored, { key: 'a/video.mp4', ...(await sha256Of(generatedStream(SIZE))) });
    assert.deepEqual(await readFile(join(root, 'a', 'video.mp4')), generatedBytes(0, SIZE));
    assert.equal(progress.at(-1)! >= SIZE - MiB, true);
    assert.deepEqual(progress, [...progress].sort((x, y) => x - y));
    assert.equal(requests[0]!.headers.authorization, 'Bearer token-1');
  });

  it('when a download is put into a bucket, then the object is whole with its SHA-256, and the bucket reads it back', async (t) => {
    const s3 = await startS3Server();
    t.after(() => s3.close());
    const bucket = thread.destination(new S3Destination({ bucket: s3.bucket, prefix: 'thread', region: 'us-east-1', endpoint: s3.endpoint }));
    const answer = await open();

    const stored = await bucket.put('a/video.mp4', answer.body, { contentType: 'video/mp4' });

    const expected = await sha256Of(generatedStream(SIZE));
    assert.deepEqual(stored, { key: 'a/video.mp4', ...expected });
    const content = await bucket.get('a/video.mp4');
    assert.ok(content);
    assert.deepEqual(await sha256Of(content.body), expected);
  });

  it('when a download is read on the event loop instead, then its bytes come over whole', async () => {
    const answer = await open();

    assert.deepEqual(await readAll(answer.body), generatedBytes(0, SIZE));
  });

  it('when anything but a download of the thread is put, then the folder writes it as any folder does', async () => {
    const stored = await folder().put('m/manifest.json', Readable.from([Buffer.from('{}')]));

    assert.equal(stored.bytes, 2);
    assert.equal(await readFile(join(root, 'm', 'manifest.json'), 'utf8'), '{}');
  });

  it('when a download is dropped unread, then its connection to Google closes', async () => {
    const answer = await open();
    const closed = new Promise((resolve) => requests[0]!.socket.once('close', resolve));

    answer.body.destroy();

    await closed;
  });

  it('when the write is stopped mid-way, then put rejects with the reason given and leaves nothing', async () => {
    const answer = await open();
    const stop = new AbortController();
    const reason = new Error('the session was deleted');

    const put = folder().put('s/video.mp4', answer.body, {
      signal: stop.signal,
      onProgress: (bytes) => bytes >= 2 * MiB && stop.abort(reason),
      resumable: { onUpload: async () => undefined },
    });

    await assert.rejects(put, (error) => error === reason);
    assert.deepEqual(await filesIn('s'), []);
  });

  it('when the download breaks off during a resumable write, then what was stored stays for the next try, which goes on from there', async () => {
    const uploads: string[] = [];
    breakAfter = 5 * MiB;
    const first = await open();

    await assert.rejects(folder().put('r/video.mp4', first.body, { resumable: { onUpload: async (upload) => void uploads.push(upload) } }));

    const offset = await folder().unfinished('r/video.mp4', uploads[0]!);
    assert.ok(offset > 0 && offset <= 5 * MiB, `${offset} bytes stored`);
    breakAfter = undefined;
    const rest = await open(undefined, `bytes=${offset}-`);
    const stored = await folder().put('r/video.mp4', rest.body, {
      resumable: { from: { upload: uploads[0]!, offset }, onUpload: async (upload) => void uploads.push(upload) },
    });
    assert.equal(rest.status, 206);
    assert.equal(stored.sha256, (await sha256Of(generatedStream(SIZE))).sha256);
    assert.deepEqual(await filesIn('r'), ['video.mp4']);
  });

  it('when the unfinished write cannot be recorded, then nothing is written and put rejects with that failure', async () => {
    const answer = await open();

    const put = folder().put('u/video.mp4', answer.body, {
      resumable: { onUpload: async () => Promise.reject(new AppError({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: 'store down' })) },
    });

    await assert.rejects(put, /store down/);
    assert.deepEqual(await filesIn('u'), []);
  });

  it('when the folder refuses the write, then put rejects with the destination error, as the folder itself would', async () => {
    const answer = await open();

    await assert.rejects(folder().put('../escape.mp4', answer.body), (error) => error instanceof AppError && error.code === 'INVALID_STORAGE_KEY');
  });

  it('when Google cannot be reached, then the open rejects as the media client does on the event loop', async () => {
    const unreachable = thread.media.open(new URL('http://127.0.0.1:9/item=d'), 'token-1');

    await assert.rejects(unreachable, (error) => error instanceof AppError && error.status === 502);
  });

  it('when a copy runs, then its thread has a lower CPU priority than the event loop', { skip: process.platform !== 'linux' && 'a thread has a priority of its own on Linux only' }, async () => {
    const answer = await open();

    const { eventLoop, workers } = await threadNiceness();
    assert.equal(workers.length, 1);
    assert.ok(workers[0]! > eventLoop, `the copy thread's nice value ${workers[0]}, the event loop's ${eventLoop}`);
    answer.body.destroy();
  });

  it('when the thread stops mid-copy, then the copy fails like a broken download, and the next copy runs on a new thread', async () => {
    breakAfter = 3 * MiB; // holds the download open long enough to stop the thread under it
    const answer = await open();
    const put = folder().put('t/video.mp4', answer.body, { onProgress: () => void thread.close() });

    await assert.rejects(put);
    breakAfter = undefined;
    const again = await open();
    const stored = await folder().put('t/video.mp4', again.body);
    assert.equal(stored.bytes, SIZE);
  });
});
