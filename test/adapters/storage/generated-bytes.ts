/** Large, reproducible test content made on the fly, so a test can stream many MiB without holding them. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** The byte at `offset` of every generated stream: varies within and across chunks, so a misplaced range shows. */
function fill(chunk: Buffer, offset: number): void {
  for (let i = 0; i < chunk.length; i += 1) {
    const at = offset + i;
    chunk[i] = (at * 31 + (at >>> 13)) & 0xff;
  }
}

export interface GeneratedOptions {
  /** The stream holds the bytes from here to `size` (the tail a resumed copy reads); 0 by default. */
  start?: number;
  /** Fails the stream with this error once that many bytes have been read. */
  failAfter?: { bytes: number; error: Error };
  /** Called with the running total each time a chunk is handed out. */
  onRead?: (bytesRead: number) => void;
}

export function generatedStream(size: number, options: GeneratedOptions = {}): Readable {
  let offset = options.start ?? 0;
  return new Readable({
    read() {
      if (options.failAfter && offset >= options.failAfter.bytes) {
        this.destroy(options.failAfter.error);
        return;
      }
      if (offset >= size) {
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - offset));
      fill(chunk, offset);
      offset += chunk.length;
      options.onRead?.(offset);
      this.push(chunk);
    },
  });
}

export function generatedBytes(start: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  fill(bytes, start);
  return bytes;
}

export async function sha256Of(stream: AsyncIterable<Buffer>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
