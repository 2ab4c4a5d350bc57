/**
 * Imports' copies, on a thread of their own. A download allocates a buffer for every read of its
 * socket, and those allocations set off collections of the whole heap of the thread they happen on: on the event loop,
 * the web app's heap, many times the few megabytes of a thread that only copies. The hashing, and those pauses, would
 * also come between the pages the event loop serves (docs/decisions/0010-copies-off-the-event-loop.md).
 *
 * The domain does not see the thread. `media` is a MediaClient whose answers' bodies stay in the thread until read,
 * and `destination(d)` the same kind of destination as `d`, writing such a body there with one of its own: the bytes
 * never cross to the event loop, only the answer's status and headers, the progress and the result. A body read on the
 * event loop instead (by anything else) comes over a chunk at a time. The thread starts with the first download and
 * stops once none has run for a while.
 */
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { MediaClient, MediaOpenOptions, MediaResponse } from '../google/media-client.ts';
import { FileDestination } from '../storage/file-destination.ts';
import type { PutOptions, StoredObject } from '../../domain/ports.ts';
import { S3Destination } from '../storage/s3-destination.ts';
import { receiveError, sendError, type DestinationSpec, type Reply, type Request } from './protocol.ts';

const IDLE_MS = 30_000;
/**
 * The copy thread's short-lived objects (a few per chunk, dead by the next) need little room: V8 would otherwise size
 * their space for a busy server, and hold it (docs/decisions/0011).
 */
const COPY_THREAD_YOUNG_GENERATION_MB = 3;
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './copy-worker.ts' : './copy-worker.js', import.meta.url);

/** An answer's body held in the copy thread. */
class ThreadBody extends Readable {
  readonly id: number;
  readonly #thread: CopyThread;
  #claimed = false;
  #ended = false;

  constructor(thread: CopyThread, id: number) {
    super();
    this.#thread = thread;
    this.id = id;
  }

  /** The thread writes it from now on: nothing of it is read here. */
  claim(): boolean {
    if (this.#claimed || this.#ended || this.destroyed || this.readableDidRead) return false;
    this.#claimed = true;
    return true;
  }

  received(reply: Reply): void {
    if (reply.op === 'chunk') this.push(Buffer.from(reply.chunk.buffer, reply.chunk.byteOffset, reply.chunk.byteLength));
    else if (reply.op === 'end') {
      this.#ended = true;
      this.push(null);
    } else if (reply.op === 'failed') {
      this.#ended = true;
      this.destroy(receiveError(reply.error));
    }
  }

  override _read(): void {
    this.#thread.send({ op: 'read', id: this.id });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#claimed) {
      if (!this.#ended) this.#thread.send({ op: 'destroy', id: this.id });
      this.#thread.forget(this.id);
    }
    callback(error);
  }
}

export class CopyThread {
  readonly #timeoutMs: number;
  #worker: Worker | undefined;
  #idle: NodeJS.Timeout | undefined;
  #nextId = 1;
  /** What each download in flight does with the thread's replies. */
  readonly #listeners = new Map<number, (reply: Reply) => void>();
  /** Undoes what a download's open left listening (its signal). */
  readonly #cleanups = new Map<number, () => void>();

  constructor(options: { timeoutMs: number }) {
    this.#timeoutMs = options.timeoutMs;
  }

  /** Downloads in the thread; the bearer token goes to exactly the URL given, as with createMediaClient. */
  readonly media: MediaClient = { open: (url, accessToken, options) => this.#open(url, accessToken, options) };

  /** The same destination, writing this thread's downloads in the thread. */
  destination(destination: FileDestination | S3Destination): FileDestination | S3Destination {
    const thread = this;
    if (destination instanceof FileDestination) {
      return new (class extends FileDestination {
        override put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject> {
          return body instanceof ThreadBody && body.claim() ? thread.#put(body, { kind: 'file', root: this.root }, key, options) : super.put(key, body, options);
        }
      })(destination.root);
    }
    return new (class extends S3Destination {
      override put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject> {
        return body instanceof ThreadBody && body.claim() ? thread.#put(body, { kind: 's3', options: this.options }, key, options) : super.put(key, body, options);
      }
    })(destination.options);
  }

  /** Stops the thread now: whatever it was copying fails. */
  async close(): Promise<void> {
    clearTimeout(this.#idle);
    await this.#worker?.terminate();
  }

  send(request: Request): void {
    this.#start().postMessage(request);
  }

  forget(id: number): void {
    this.#cleanups.get(id)?.();
    this.#cleanups.delete(id);
    this.#listeners.delete(id);
    this.#settle();
  }

  #listen(id: number, listener: (reply: Reply) => void): void {
    this.#listeners.set(id, listener);
    this.#settle();
  }

  async #open(url: URL, accessToken: string, options: MediaOpenOptions = {}): Promise<MediaResponse> {
    const { signal, ...rest } = options;
    signal?.throwIfAborted();
    const id = this.#nextId++;
    const onAbort = () => this.send({ op: 'abort', id, what: 'download' });
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#cleanups.set(id, () => signal?.removeEventListener('abort', onAbort));
    const reply = await new Promise<Reply>((resolve) => {
      this.#listen(id, resolve);
      this.send({ op: 'open', id, url: url.href, accessToken, timeoutMs: this.#timeoutMs, options: rest });
    });
    if (reply.op !== 'opened') {
      this.forget(id);
      if (signal?.aborted) throw signal.reason;
      throw receiveError(reply.op === 'failed' ? reply.error : { name: 'Error', message: `Unexpected ${reply.op} from the copy thread.` });
    }
    const body = new ThreadBody(this, id);
    this.#listen(id, (next) => body.received(next));
    return { status: reply.status, headers: reply.headers, body };
  }

  #put(body: ThreadBody, destination: DestinationSpec, key: string, options: PutOptions = {}): Promise<StoredObject> {
    const { id } = body;
    const { signal, resumable, onProgress, contentType } = options;
    const onAbort = () => this.send({ op: 'abort', id, what: 'write' });
    return new Promise<StoredObject>((resolve, reject) => {
      this.#listen(id, (reply) => {
        if (reply.op === 'progress') onProgress?.(reply.bytes);
        else if (reply.op === 'upload') {
          resumable?.onUpload(reply.upload).then(
            () => this.send({ op: 'upload-saved', id }),
            (error: unknown) => this.send({ op: 'upload-saved', id, error: sendError(error) }),
          );
        } else if (reply.op === 'stored') resolve(reply.stored);
        else if (reply.op === 'failed') reject(signal?.aborted ? signal.reason : receiveError(reply.error));
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      this.send({
        op: 'put', id, destination, key,
        ...(contentType ? { contentType } : {}),
        ...(resumable ? { resumable: resumable.from ? { from: resumable.from } : {} } : {}),
      });
    }).finally(() => {
      signal?.removeEventListener('abort', onAbort);
      this.forget(id);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER, { resourceLimits: { maxYoungGenerationSizeMb: COPY_THREAD_YOUNG_GENERATION_MB } });
    worker.on('message', (reply: Reply) => this.#listeners.get(reply.id)?.(reply));
    const lost = (error: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      clearTimeout(this.#idle);
      // Every download in flight ends as if its connection broke: a copy is tried again.
      for (const [id, listener] of [...this.#listeners]) listener({ op: 'failed', id, error: sendError(error) });
    };
    worker.once('error', lost);
    worker.once('exit', (code) => lost(new Error(`The copy thread stopped (${code}).`)));
    this.#worker = worker;
    return worker;
  }

  /** The thread keeps the process alive only while it copies, and stops after a while without work. */
  #settle(): void {
    const worker = this.#worker;
    if (!worker) return;
    clearTimeout(this.#idle);
    if (this.#listeners.size > 0) {
      worker.ref();
      return;
    }
    worker.unref();
    this.#idle = setTimeout(() => {
      if (this.#listeners.size === 0 && this.#worker === worker) {
        this.#worker = undefined;
        void worker.terminate();
      }
    }, IDLE_MS).unref();
  }
}
