/**
 * An S3 bucket (AWS or any S3-compatible store) as the import destination. Writes are multipart uploads fed by the
 * stream, completed only once every part is in and aborted otherwise, so an object appears whole or not at all.
 * Transient failures (5xx, throttling, dropped connections) are retried by the SDK's default retry strategy, part
 * by part; credentials come from the SDK's default provider chain.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, pipeline } from 'node:stream';
import type { Destination, StoredContent, StoredObject } from '../../domain/ports.ts';
import { DigestingStream } from './digesting-stream.ts';
import { assertSafeKey, assertSafePrefix, isReservedName, reservedName } from './keys.ts';
import { destinationUnavailable, rangeNotSatisfiable } from './storage-errors.ts';

/** Above S3's 5 MiB minimum; with QUEUE_SIZE it bounds the memory one upload holds (2 × 8 MiB). */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

export interface S3DestinationOptions {
  bucket: string;
  /** Folder inside the bucket, without leading or trailing slash; empty for the bucket's root. */
  prefix?: string;
  region: string;
  /** An S3-compatible endpoint; addressing is then path-style, which such stores expect. */
  endpoint?: string;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

export class S3Destination implements Destination {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3DestinationOptions) {
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix !== '') assertSafePrefix(`${prefix}/`);
    this.#bucket = options.bucket;
    this.#prefix = prefix === '' ? '' : `${prefix}/`;
    this.description = `s3://${options.bucket}${prefix === '' ? '' : `/${prefix}`}`;
    this.#client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    });
  }

  #objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.#prefix}${key}`;
  }

  async put(key: string, body: Readable, options: { contentType?: string; signal?: AbortSignal } = {}): Promise<StoredObject> {
    const objectKey = this.#objectKey(key);
    options.signal?.throwIfAborted();
    const digest = new DigestingStream();
    // The source's failure reaches the upload through the digest, and the upload pulls only as fast as parts go out.
    pipeline(body, digest, () => undefined);
    // Aborting destroys the source rather than calling Upload.abort(): abort() makes done() reject at once while the
    // AbortMultipartUpload is still to be sent, whereas a failed source makes done() wait until it is sent.
    const onAbort = () => digest.destroy(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Upload({
        client: this.#client,
        params: { Bucket: this.#bucket, Key: objectKey, Body: digest, ...(options.contentType ? { ContentType: options.contentType } : {}) },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      }).done();
      if (options.signal?.aborted) {
        // The last part went out as the signal came: the copy was not wanted after all.
        await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
        throw options.signal.reason;
      }
    } catch (error) {
      body.destroy();
      if (options.signal?.aborted) throw options.signal.reason;
      // A source that broke is the source's failure; anything else is S3 refusing the object.
      throw digest.errored ? error : this.#refusal(error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    return { key, ...digest.result() };
  }

  async get(key: string, options: { range?: { start: number; end?: number } } = {}): Promise<StoredContent | undefined> {
    const range = options.range ? `bytes=${options.range.start}-${options.range.end ?? ''}` : undefined;
    try {
      const answer = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key), ...(range ? { Range: range } : {}) }),
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
    const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
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
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
  }

  async list(prefix: string): Promise<string[]> {
    assertSafePrefix(prefix);
    const keys: string[] = [];
    const pages = paginateListObjectsV2({ client: this.#client }, { Bucket: this.#bucket, Prefix: `${this.#prefix}${prefix}` });
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
      await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: probe, Body: 'probe' }));
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: probe }));
    } catch (error) {
      throw this.#refusal(error);
    }
  }

  /** S3's answer as the destination's refusal: its description and the reason, for people and operators. */
  #refusal(error: unknown) {
    const { name, message } = error as Error;
    const status = statusOf(error);
    return destinationUnavailable(this.description, `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`, error);
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }
}
