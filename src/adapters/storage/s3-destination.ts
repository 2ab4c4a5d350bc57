/**
 * An S3 bucket (AWS or any S3-compatible store) as the import destination. A write of more than one part is a
 * multipart upload fed by the stream, completed only once every part is in and aborted otherwise, so an object appears
 * whole or not at all; a smaller one is one PUT. Transient failures (5xx, throttling, dropped connections) are retried
 * by the SDK's default retry strategy, part by part; credentials come from the SDK's default provider chain.
 *
 * The multipart upload is driven here rather than by lib-storage's Upload, for two reasons: a resumable write keeps
 * its uploaded parts when the source breaks off, and a later try (in any process) lists them (ListParts) and goes on
 * from the last one, which Upload cannot; and each upload holds exactly two part buffers, reused, where Upload holds
 * the chunks of the part it fills, a concatenated copy of them, and the parts in flight.
 *
 * The SDK is loaded on first use, so a deployment that writes to a folder never loads it.
 */
import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Destination, PutOptions, StoredContent, StoredObject } from '../../domain/ports.ts';
import { AppError } from '../../errors.ts';
import { DigestingStream, dropSource } from './digesting-stream.ts';
import { assertSafeKey, assertSafePrefix, isReservedName, reservedName } from './keys.ts';
import { destinationUnavailable, rangeNotSatisfiable, unfinishedGone } from './storage-errors.ts';

/**
 * S3's smallest part: an upload holds two (one filling, one going out), so four copies hold 40 MiB. S3's 10,000 parts
 * make 50 GB at most, five times the largest video Google Photos keeps.
 */
const PART_SIZE = 5 * 1024 * 1024;

type Sdk = typeof import('@aws-sdk/client-s3');

/** Part buffers kept for the next uploads: two for each of the four copies at once a deployment runs by default. */
const SPARE_PARTS = 8;

/**
 * Part buffers, kept from one upload for the next. Buffers this large that are freed and allocated again grow the
 * process: the allocator serves the next ones from memory it keeps rather than from the system
 * (docs/decisions/0011). Reused, the same few serve every upload.
 */
class PartBuffers {
  readonly #spare: Buffer[] = [];

  take(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(PART_SIZE);
  }

  /** Only once nothing reads them any more: no part of theirs is in flight. */
  give(buffers: readonly Buffer[]): void {
    for (const buffer of buffers) if (this.#spare.length < SPARE_PARTS) this.#spare.push(buffer);
  }
}

export interface S3DestinationOptions {
  bucket: string;
  /** Folder inside the bucket, without leading or trailing slash; empty for the bucket's root. */
  prefix?: string;
  region: string;
  /** An S3-compatible endpoint; addressing is then path-style, which such stores expect. */
  endpoint?: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** The source's failure, told apart from S3's while the upload reads it. */
class SourceFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

export class S3Destination implements Destination {
  readonly description: string;
  /** What it was made with: another thread makes the same destination from it. */
  readonly options: S3DestinationOptions;
  readonly #bucket: string;
  readonly #prefix: string;
  #s3: Promise<{ sdk: Sdk; client: S3Client }> | undefined;
  #client: S3Client | undefined;
  readonly #partBuffers = new PartBuffers();

  constructor(options: S3DestinationOptions) {
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix !== '') assertSafePrefix(`${prefix}/`);
    this.options = options;
    this.#bucket = options.bucket;
    this.#prefix = prefix === '' ? '' : `${prefix}/`;
    this.description = `s3://${options.bucket}${prefix === '' ? '' : `/${prefix}`}`;
  }

  /** The SDK and the client, made on first use. */
  #connect(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.#s3 ??= import('@aws-sdk/client-s3').then((sdk) => {
      const { region, endpoint } = this.options;
      this.#client = new sdk.S3Client({
        region,
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        // The SDK would add a CRC32 of every part, which many S3-compatible servers do not take, at the cost of another
        // pass over every byte; the import keeps its own SHA-256 of the whole (docs/decisions/0010).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return { sdk, client: this.#client };
    });
    return this.#s3;
  }

  #objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.#prefix}${key}`;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObject> {
    const { signal, resumable, contentType, onProgress } = options;
    const objectKey = this.#objectKey(key);
    if (signal?.aborted) {
      dropSource(body);
      throw signal.reason;
    }
    const { sdk, client } = await this.#connect();
    const Bucket = this.#bucket;
    const Key = objectKey;
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    let uploadId: string | undefined;
    let digest: DigestingStream;
    if (resumable?.from) {
      uploadId = resumable.from.upload;
      const stored = await this.#storedParts(objectKey, uploadId).catch((error: unknown) => {
        dropSource(body);
        throw this.#refusal(error);
      });
      if (stored.length * PART_SIZE !== resumable.from.offset) {
        dropSource(body);
        throw unfinishedGone(key);
      }
      parts.push(...stored);
      await resumable.onUpload(uploadId);
      // The stored parts cannot be read before the upload completes, and Node cannot carry a SHA-256's state between
      // processes: the object is hashed once it is whole (see below).
      digest = new DigestingStream({ hash: null, bytes: resumable.from.offset }, onProgress);
    } else {
      digest = new DigestingStream(undefined, onProgress);
    }
    // The source's failure reaches the reader below through the digest, which pulls only as fast as parts go out.
    pipeline(body, digest, () => undefined);
    const onAbort = () => digest.destroy(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const refused = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        throw this.#refusal(error);
      }
    };
    // The second buffer only once the first is full: most writes (previews, small photos) fit in one.
    const buffers = [this.#partBuffers.take()];
    let filling = 0;
    let filled = 0;
    let inFlight: Promise<void> | undefined;
    let nextPart = parts.length + 1;
    const uploadPart = (buffer: Buffer, length: number, PartNumber: number) =>
      refused(() => client.send(new sdk.UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: buffer.subarray(0, length), ContentLength: length })))
        .then(({ ETag }) => void parts.push({ PartNumber, ETag: ETag ?? '' }));
    try {
      const chunks = digest[Symbol.asyncIterator]();
      for (;;) {
        const next = await chunks.next().catch((error: unknown) => {
          throw new SourceFailure(error);
        });
        if (next.done) break;
        const chunk = next.value as Buffer;
        for (let offset = 0; offset < chunk.length;) {
          const copied = chunk.copy(buffers[filling]!, filled, offset);
          filled += copied;
          offset += copied;
          if (filled < PART_SIZE) continue;
          if (uploadId === undefined) {
            const created = await refused(() => client.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key, ...(contentType ? { ContentType: contentType } : {}) })));
            uploadId = created.UploadId!;
            await resumable?.onUpload(uploadId);
          }
          // One part goes out while the next fills: the other buffer is free once it has gone.
          await inFlight;
          inFlight = uploadPart(buffers[filling]!, PART_SIZE, nextPart++);
          inFlight.catch(() => undefined); // met at the next await
          filling ^= 1;
          buffers[filling] ??= this.#partBuffers.take();
          filled = 0;
        }
      }
      await inFlight;
      inFlight = undefined;
      if (uploadId === undefined) {
        await refused(() => client.send(new sdk.PutObjectCommand({
          Bucket, Key, Body: buffers[filling]!.subarray(0, filled), ContentLength: filled, ...(contentType ? { ContentType: contentType } : {}),
        })));
      } else {
        if (filled > 0 || parts.length === 0) await uploadPart(buffers[filling]!, filled, nextPart++);
        parts.sort((a, b) => a.PartNumber - b.PartNumber);
        await refused(() => client.send(new sdk.CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } })));
      }
      if (signal?.aborted) {
        // The last part went out as the signal came: the copy was not wanted after all.
        await client.send(new sdk.DeleteObjectCommand({ Bucket, Key })).catch(() => undefined);
        throw signal.reason;
      }
    } catch (failure) {
      digest.destroy();
      dropSource(body);
      await inFlight?.catch(() => undefined);
      const aborted = signal?.aborted === true;
      const sourceBroke = failure instanceof SourceFailure && !aborted;
      // A source that broke off leaves the parts in for the next try to continue; nothing else leaves anything.
      if (uploadId !== undefined && !(sourceBroke && resumable)) {
        await client.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
      }
      if (aborted) throw signal.reason;
      throw failure instanceof SourceFailure ? failure.error : failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#partBuffers.give(buffers);
    }
    if (!resumable?.from) return { key, ...digest.result() };
    return { key, ...(await this.#digestOf(objectKey)) };
  }

  /** The object's size and SHA-256, read back whole. */
  async #digestOf(objectKey: string): Promise<{ bytes: number; sha256: string }> {
    const { sdk, client } = await this.#connect();
    const answer = await client.send(new sdk.GetObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of answer.Body as Readable) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  /** The upload's parts from the first on, as long as they follow each other whole: what a resumed write goes on from. */
  async #storedParts(objectKey: string, uploadId: string): Promise<Array<{ PartNumber: number; ETag: string }>> {
    const { sdk, client } = await this.#connect();
    const listed: Array<{ PartNumber: number; ETag: string; Size: number }> = [];
    let marker: string | undefined;
    try {
      do {
        const page = await client.send(new sdk.ListPartsCommand({ Bucket: this.#bucket, Key: objectKey, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }));
        for (const part of page.Parts ?? []) {
          if (part.PartNumber !== undefined && part.ETag !== undefined) listed.push({ PartNumber: part.PartNumber, ETag: part.ETag, Size: part.Size ?? 0 });
        }
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (error) {
      if (statusOf(error) === 404) return []; // NoSuchUpload: completed, aborted or expired
      throw error;
    }
    listed.sort((a, b) => a.PartNumber - b.PartNumber);
    const whole = [];
    for (const [index, part] of listed.entries()) {
      if (part.PartNumber !== index + 1 || part.Size !== PART_SIZE) break;
      whole.push({ PartNumber: part.PartNumber, ETag: part.ETag });
    }
    return whole;
  }

  async unfinished(key: string, upload: string): Promise<number> {
    return (await this.#storedParts(this.#objectKey(key), upload)).length * PART_SIZE;
  }

  async discard(key: string, upload: string): Promise<void> {
    const { sdk, client } = await this.#connect();
    await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#objectKey(key), UploadId: upload })).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
  }

  /** Every object under the folder, and every multipart upload begun under it. */
  async removeAll(prefix: string): Promise<void> {
    assertSafePrefix(prefix);
    const { sdk, client } = await this.#connect();
    const Prefix = `${this.#prefix}${prefix}`;
    for await (const page of sdk.paginateListObjectsV2({ client }, { Bucket: this.#bucket, Prefix })) {
      await Promise.all((page.Contents ?? []).map(({ Key }) => Key && client.send(new sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key }))));
    }
    const uploads = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix }));
    await Promise.all((uploads.Uploads ?? []).map(({ Key, UploadId }) =>
      Key?.startsWith(Prefix) && UploadId && client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId }))));
  }

  async room(): Promise<undefined> {
    return undefined;
  }

  async get(key: string, options: { range?: { start: number; end?: number } } = {}): Promise<StoredContent | undefined> {
    const range = options.range ? `bytes=${options.range.start}-${options.range.end ?? ''}` : undefined;
    const { sdk, client } = await this.#connect();
    try {
      const answer = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key), ...(range ? { Range: range } : {}) }),
      );
      const bytes = answer.ContentLength ?? 0;
      const total = /\/(\d+)$/.exec(answer.ContentRange ?? '')?.[1];
      return {
        body: answer.Body as Readable,
        size: total === undefined ? bytes : Number(total),
        bytes,
        ...(answer.ContentType ? { contentType: answer.ContentType } : {}),
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      if (statusOf(error) === 416) throw rangeNotSatisfiable(key, await this.#size(key), error);
      throw error;
    }
  }

  async #size(key: string): Promise<number> {
    const { sdk, client } = await this.#connect();
    const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
    return head.ContentLength ?? 0;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.#size(key);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    const objectKey = this.#objectKey(key);
    const { sdk, client } = await this.#connect();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
  }

  async list(prefix: string): Promise<string[]> {
    assertSafePrefix(prefix);
    const { sdk, client } = await this.#connect();
    const keys: string[] = [];
    const pages = sdk.paginateListObjectsV2({ client }, { Bucket: this.#bucket, Prefix: `${this.#prefix}${prefix}` });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        // A probe left by a check that died between its two requests is no key of the domain's.
        if (object.Key !== undefined && !isReservedName(object.Key.slice(object.Key.lastIndexOf('/') + 1))) {
          keys.push(object.Key.slice(this.#prefix.length));
        }
      }
    }
    return keys;
  }

  async check(): Promise<void> {
    const probe = `${this.#prefix}${reservedName('check')}`;
    try {
      const { sdk, client } = await this.#connect();
      await client.send(new sdk.PutObjectCommand({ Bucket: this.#bucket, Key: probe, Body: 'probe' }));
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key: probe }));
    } catch (error) {
      throw this.#refusal(error);
    }
  }

  /** S3's answer as the destination's refusal: its description and the reason, for people and operators. */
  #refusal(error: unknown) {
    if (error instanceof AppError) return error;
    const { name, message } = error as Error;
    const status = statusOf(error);
    return destinationUnavailable(this.description, `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`, error);
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client?.destroy();
  }
}
