import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/** How often a write reports its progress, in bytes. */
export const PROGRESS_EVERY_BYTES = 1024 * 1024;

/**
 * Passes bytes through unchanged, counting them and hashing them with SHA-256 as they go by, and telling `onProgress`
 * the count every `PROGRESS_EVERY_BYTES`. A resumed write starts it from the hash of the bytes already stored and their
 * count, or with no hash when the whole is hashed afterwards.
 */
export class DigestingStream extends Transform {
  #hash: Hash | null;
  #bytes: number;
  #reported: number;
  readonly #onProgress: ((bytes: number) => void) | undefined;

  constructor(start: { hash: Hash | null; bytes: number } = { hash: createHash('sha256'), bytes: 0 }, onProgress?: (bytes: number) => void) {
    super();
    this.#hash = start.hash;
    this.#bytes = start.bytes;
    this.#reported = start.bytes;
    this.#onProgress = onProgress;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash?.update(chunk);
    this.#bytes += chunk.length;
    if (this.#onProgress && this.#bytes - this.#reported >= PROGRESS_EVERY_BYTES) {
      this.#reported = this.#bytes;
      this.#onProgress(this.#bytes);
    }
    callback(null, chunk);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Call once the stream has ended (and only when it hashed). */
  result(): { bytes: number; sha256: string } {
    if (!this.#hash) throw new Error('This digest only counted.');
    return { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
  }
}

/** Stops reading a source the write will not use: the error its stream raises for being cut short is expected. */
export function dropSource(body: Readable): void {
  body.once('error', () => {});
  body.destroy();
}
