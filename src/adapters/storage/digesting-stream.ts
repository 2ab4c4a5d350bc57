import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged, counting them and hashing them with SHA-256 as they go by. A resumed write starts it
 * from the hash of the bytes already stored and their count, or with no hash when the whole is hashed afterwards.
 */
export class DigestingStream extends Transform {
  #hash: Hash | null;
  #bytes: number;

  constructor(start: { hash: Hash | null; bytes: number } = { hash: createHash('sha256'), bytes: 0 }) {
    super();
    this.#hash = start.hash;
    this.#bytes = start.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash?.update(chunk);
    this.#bytes += chunk.length;
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
