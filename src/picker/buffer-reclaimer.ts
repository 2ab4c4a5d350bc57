/**
 * Keeps the spent read buffers of media downloads from piling up in memory.
 *
 * Every socket read of a download arrives in a fresh buffer outside V8's heap. Once it has been written to the
 * client it is garbage, but V8 frees it only when it collects the small object that holds it, and a proxy
 * allocates so little else per chunk that no collection comes for a long time: V8 waits for 64 MB of such memory
 * before it collects on its account alone. The gateway's RSS grew by up to 68 MiB during downloads, and every new
 * buffer landed on fresh pages. A minor collection after every 16 MiB streamed frees the spent buffers while they
 * are few, and the allocator hands the same, still-cached memory to the next reads. Buffers still in flight at a
 * collection survive it and wait for a full one, so some growth remains (docs/benchmarks.md).
 */
import type { Readable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes streamed between two collections, summed over every download of the process. */
export const RECLAIM_EVERY_BYTES = 16 * 1024 * 1024;

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

/**
 * V8's young-generation collection as a function, or undefined where the runtime does not offer it. Node
 * started with --expose-gc has it as a global; otherwise it is exposed to one fresh context only and the flag
 * is switched off again, so the application's own global never gets a `gc`.
 */
export function minorCollector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: GcFunction }).gc;
  if (typeof exposed === 'function') return () => exposed({ type: 'minor' });
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as GcFunction | undefined;
    return gc ? () => gc({ type: 'minor' }) : undefined;
  } catch {
    return undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

export class BufferReclaimer {
  readonly #collect: (() => void) | undefined;
  readonly #everyBytes: number;
  #sinceLastCollection = 0;

  constructor(collect: (() => void) | undefined, everyBytes = RECLAIM_EVERY_BYTES) {
    this.#collect = collect;
    this.#everyBytes = everyBytes;
  }

  /** Counts bytes that went through; collects once every `everyBytes` (once per call at most: one collection frees all). */
  count(bytes: number): void {
    this.#sinceLastCollection += bytes;
    if (this.#sinceLastCollection < this.#everyBytes) return;
    this.#sinceLastCollection %= this.#everyBytes;
    this.#collect?.();
  }

  /** Counts a download's chunks as they flow. Call it once the stream is piped, so the pipe sets the pace. */
  follow(stream: Readable): void {
    if (!this.#collect) return;
    stream.on('data', (chunk: Buffer) => this.count(chunk.length));
  }
}
