/**
 * The copy thread's side (see copy-thread.ts): downloads with the same media client and writes with the same
 * FileDestination or S3Destination as the event loop would, answering each request of copy-thread.ts by the download's id.
 */
import { setPriority } from 'node:os';
import type { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { createMediaClient } from '../google/media-client.ts';
import type { Destination } from '../../domain/ports.ts';
import { FileDestination } from '../storage/file-destination.ts';
import { S3Destination } from '../storage/s3-destination.ts';
import { receiveError, sendError, type DestinationSpec, type Reply, type Request } from './protocol.ts';

/**
 * A copy can wait a moment; a person's page cannot. Copies run at a lower CPU priority, so that whenever the machine
 * is short of cores the kernel gives them first to the event loop, and to any other process there, such as a web
 * process beside this worker; with cores to spare, a copy runs as fast as before (docs/decisions/0013). On Linux a
 * thread's nice value is its own, so this lowers the copy thread alone. Elsewhere it would lower the whole process,
 * event loop included, so it is left out.
 */
const COPY_THREAD_NICENESS = 10;
if (process.platform === 'linux') {
  try {
    setPriority(COPY_THREAD_NICENESS);
  } catch {
    // A sandbox that forbids it (a seccomp profile, say) leaves copies at the event loop's priority: slower pages, no lost copy.
  }
}

const port = parentPort!;
const send = (reply: Reply) => port.postMessage(reply);
const fail = (id: number, error: unknown) => send({ op: 'failed', id, error: sendError(error) });

const bodies = new Map<number, Readable>();
/** Abort a download (its open, then its body) and, apart, the write it feeds. */
const downloads = new Map<number, AbortController>();
const writes = new Map<number, AbortController>();
/** Writes waiting for the event loop to record their unfinished upload before the first byte goes in. */
const uploadsSaved = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
const destinations = new Map<string, Destination>();

function destinationOf(spec: DestinationSpec): Destination {
  const name = JSON.stringify(spec);
  let destination = destinations.get(name);
  if (!destination) destinations.set(name, (destination = spec.kind === 'file' ? new FileDestination(spec.root) : new S3Destination(spec.options)));
  return destination;
}

function forget(id: number): void {
  bodies.delete(id);
  downloads.delete(id);
  writes.delete(id);
  uploadsSaved.delete(id);
}

async function open(request: Extract<Request, { op: 'open' }>): Promise<void> {
  const { id, url, accessToken, timeoutMs, options } = request;
  const controller = new AbortController();
  downloads.set(id, controller);
  try {
    const answer = await createMediaClient({ timeoutMs }).open(new URL(url), accessToken, { ...options, signal: controller.signal });
    bodies.set(id, answer.body);
    send({ op: 'opened', id, status: answer.status, headers: answer.headers });
  } catch (error) {
    forget(id);
    fail(id, error);
  }
}

/** Hands the event loop the next chunk of a body it reads itself (flowing one chunk per request). */
function read(id: number): void {
  const body = bodies.get(id);
  if (!body) return;
  if (body.listenerCount('data') === 0) {
    body.on('data', (chunk: Buffer) => {
      body.pause();
      send({ op: 'chunk', id, chunk });
    });
    body.once('end', () => {
      forget(id);
      send({ op: 'end', id });
    });
    body.once('error', (error) => {
      forget(id);
      fail(id, error);
    });
  }
  body.resume();
}

async function put(request: Extract<Request, { op: 'put' }>): Promise<void> {
  const { id, key, contentType, resumable } = request;
  const body = bodies.get(id);
  if (!body) return fail(id, new Error('This download is gone.'));
  const destination = destinationOf(request.destination);
  const write = new AbortController();
  writes.set(id, write);
  try {
    const stored = await destination.put(key, body, {
      ...(contentType ? { contentType } : {}),
      signal: write.signal,
      onProgress: (bytes) => send({ op: 'progress', id, bytes }),
      ...(resumable ? {
        resumable: {
          ...(resumable.from ? { from: resumable.from } : {}),
          onUpload: (upload: string) => new Promise<void>((resolve, reject) => {
            uploadsSaved.set(id, { resolve, reject });
            send({ op: 'upload', id, upload });
          }),
        },
      } : {}),
    });
    send({ op: 'stored', id, stored });
  } catch (error) {
    fail(id, error);
  } finally {
    forget(id);
  }
}

port.on('message', (request: Request) => {
  switch (request.op) {
    case 'open':
      return void open(request);
    case 'read':
      return read(request.id);
    case 'put':
      return void put(request);
    case 'upload-saved': {
      const waiting = uploadsSaved.get(request.id);
      uploadsSaved.delete(request.id);
      return request.error ? waiting?.reject(receiveError(request.error)) : waiting?.resolve();
    }
    case 'abort':
      return (request.what === 'download' ? downloads : writes).get(request.id)?.abort(new Error('The copy was stopped.'));
    case 'destroy': {
      const body = bodies.get(request.id);
      forget(request.id);
      body?.once('error', () => {});
      return void body?.destroy();
    }
  }
});
