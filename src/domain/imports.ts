/**
 * Imports: the items picked in a session copied into the deployment's
 * destination, each beside a preview of at most 512 px, then a manifest, then
 * the Picker session deleted at Google. Work is split so a job queue can run
 * it: `plan` once, `copy` per item (retried by the queue), `finish` once all
 * items are settled. The state of an import lives in the shared store, one
 * field per item, so concurrent copies never overwrite each other.
 *
 * Nothing from a client names a file: keys come from the owner, the session
 * id and Google's filename made safe (file-names.ts). No token or Google URL
 * is written to storage.
 */
import { pipeline, Readable, Transform } from 'node:stream';
import type { Logger } from 'pino';
import { AppError, notFound } from '../errors.ts';
import { logFor } from '../observability/context.ts';
import { safeFileName, uniqueFileName } from './file-names.ts';
import type { PickedMedia } from './media.ts';
import type { PickerSessions } from './picker-sessions.ts';
import { PermanentJobFailure, type Destination, type PickedMediaItem, type SharedStore, type UserId } from './ports.ts';

/** `waiting` (nothing picked yet) is the HTTP layer's word for a session with no import planned. */
export type ImportStatus = 'waiting' | 'running' | 'done' | 'partial' | 'failed';
export type ImportItemStatus = 'queued' | 'copying' | 'done' | 'failed';

export interface ImportedItem {
  id: string;
  filename: string;
  mimeType: string | null;
  type: PickedMediaItem['type'];
  createTime: string | null;
  width: number | null;
  height: number | null;
  key: string;
  previewKey: string;
  status: ImportItemStatus;
  bytes: number;
  totalBytes: number | null;
  sha256: string | null;
  error: string | null;
}

export interface ImportRecord {
  pickingSessionId: string;
  owner: string;
  createdAt: string;
  completedAt: string | null;
  status: ImportStatus;
  items: ImportedItem[];
  manifestKey: string | null;
}

interface ImportMeta {
  owner: string;
  createdAt: string;
  completedAt: string | null;
  manifestKey: string | null;
}

const META = 'meta';
const itemField = (id: string) => `item:${id}`;
const importKey = (sessionId: string) => `import:${sessionId}`;
/** How often a running copy reports its progress, in bytes. */
const PROGRESS_EVERY_BYTES = 1024 * 1024;
const PREVIEW_SIZE = 512;
/** An import's state outlives its end by this long, for its page and the API. */
const RETAIN_MS = 30 * 86_400_000;

/** Where a person's own imports go: an opaque, stable id, never their email. */
export const userOwner = (userId: UserId) => `users/${userId}`;

function fallbackName(item: PickedMediaItem): string {
  return `${item.id}${item.type === 'VIDEO' ? '.mp4' : '.jpg'}`;
}

/** Answers Google gives that trying again cannot change: the item is gone, or access to it ended. */
function isPermanent(error: unknown): boolean {
  return error instanceof AppError && error.status >= 400 && error.status < 500 && ![409, 429, 401].includes(error.status);
}

function reason(error: unknown): string {
  return error instanceof AppError ? (error.detail ?? error.code) : 'The copy failed.';
}

export interface ImportsOptions {
  store: SharedStore;
  media: PickedMedia;
  sessions: PickerSessions;
  destination: Destination;
  logger: Logger;
}

export class Imports {
  readonly #options: ImportsOptions;

  constructor(options: ImportsOptions) {
    this.#options = options;
  }

  /**
   * Lists the session's items and gives each a key and a preview key, once: planning again answers the same plan.
   * Answers the ids of the items still to copy.
   */
  async plan(userId: UserId, sessionId: string, owner = userOwner(userId)): Promise<string[]> {
    const { store, media } = this.#options;
    const existing = await this.state(userId, sessionId);
    if (existing) return existing.items.filter((item) => item.status !== 'done').map((item) => item.id);

    const { items } = await media.all(userId, sessionId);
    const folder = `${owner}/${sessionId}`;
    const taken = new Set<string>(['manifest.json']);
    const planned = items.map((item): ImportedItem => {
      const filename = uniqueFileName(safeFileName(item.mediaFile.filename, fallbackName(item)), taken);
      const preview = uniqueFileName(safeFileName(`${filename}.preview.jpg`, `${item.id}.preview.jpg`), taken);
      const meta = item.mediaFile.mediaFileMetadata;
      return {
        id: item.id,
        filename,
        mimeType: item.mediaFile.mimeType ?? null,
        type: item.type,
        createTime: item.createTime ?? null,
        width: meta?.width ?? null,
        height: meta?.height ?? null,
        key: `${folder}/${filename}`,
        previewKey: `${folder}/${preview}`,
        status: 'queued',
        bytes: 0,
        totalBytes: null,
        sha256: null,
        error: null,
      };
    });
    const meta: ImportMeta = { owner, createdAt: new Date().toISOString(), completedAt: null, manifestKey: null };
    // The meta field last: an import is visible only once every item is in it.
    await Promise.all(planned.map((item) => store.hashSet(importKey(sessionId), itemField(item.id), JSON.stringify(item), RETAIN_MS)));
    await store.hashSet(importKey(sessionId), META, JSON.stringify(meta), RETAIN_MS);
    return planned.map((item) => item.id);
  }

  /** The import of a session the user owns, or undefined when none has been planned. */
  async state(userId: UserId, sessionId: string): Promise<ImportRecord | undefined> {
    await this.#options.sessions.owned(userId, sessionId);
    const fields = await this.#options.store.hashGetAll(importKey(sessionId));
    const rawMeta = fields.get(META);
    if (!rawMeta) return undefined;
    const meta = JSON.parse(rawMeta) as ImportMeta;
    const items = [...fields].filter(([field]) => field !== META).map(([, raw]) => JSON.parse(raw) as ImportedItem);
    return { pickingSessionId: sessionId, ...meta, status: statusOf(items, meta), items };
  }

  async #item(sessionId: string, itemId: string): Promise<ImportedItem> {
    const raw = await this.#options.store.hashGet(importKey(sessionId), itemField(itemId));
    if (!raw) throw notFound('No such item in this import.');
    return JSON.parse(raw) as ImportedItem;
  }

  async #save(sessionId: string, item: ImportedItem): Promise<void> {
    await this.#options.store.hashSet(importKey(sessionId), itemField(item.id), JSON.stringify(item), RETAIN_MS);
  }

  /**
   * Copies one item and its preview. A failure worth another try is thrown for the queue to retry (the item stays
   * queued, nothing half-written stays behind); on the last attempt, or for an answer that cannot change, the item
   * is marked failed with the reason.
   */
  async copy(userId: UserId, sessionId: string, itemId: string, options: { lastAttempt: boolean; signal?: AbortSignal }): Promise<void> {
    const item = await this.#item(sessionId, itemId);
    if (item.status === 'done') return;
    const log = logFor(this.#options.logger).child({ import: sessionId, item: itemId });
    try {
      await this.#save(sessionId, { ...item, status: 'copying', error: null });
      const stored = await this.#copyBytes(userId, sessionId, item, {}, item.key, options.signal);
      await this.#copyBytes(userId, sessionId, item, { w: PREVIEW_SIZE, h: PREVIEW_SIZE }, item.previewKey, options.signal);
      await this.#save(sessionId, { ...item, status: 'done', bytes: stored.bytes, totalBytes: stored.bytes, sha256: stored.sha256, error: null });
      log.info({ event: 'import_item_done', bytes: stored.bytes }, 'item imported');
    } catch (error) {
      const final = options.lastAttempt || isPermanent(error);
      await this.#save(sessionId, { ...item, status: final ? 'failed' : 'queued', bytes: 0, error: reason(error) });
      log.warn({ event: final ? 'import_item_failed' : 'import_item_retry', err: error }, final ? 'item failed for good' : 'item will be tried again');
      throw isPermanent(error) ? new PermanentJobFailure(reason(error)) : error;
    }
  }

  async #copyBytes(userId: UserId, sessionId: string, item: ImportedItem, size: { w?: number; h?: number }, key: string, signal?: AbortSignal) {
    const content = await this.#options.media.open(userId, sessionId, item.id, { ...size, ...(signal ? { signal } : {}) });
    const total = Number(content.headers['content-length']);
    const isOriginal = key === item.key;
    let copied = 0;
    let reported = 0;
    const progress = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        copied += chunk.length;
        if (isOriginal && copied - reported >= PROGRESS_EVERY_BYTES) {
          reported = copied;
          void this.#save(sessionId, { ...item, status: 'copying', bytes: copied, totalBytes: Number.isFinite(total) ? total : null }).catch(() => undefined);
        }
        done(null, chunk);
      },
    });
    // A body that breaks off destroys the progress stream with its error, which fails the destination's write.
    const counted = pipeline(content.body, progress, () => {});
    return this.#options.destination.put(key, counted, {
      ...(content.headers['content-type'] ? { contentType: content.headers['content-type'] } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  /** Makes the failed items of an import queued again, and answers their ids. */
  async retryFailed(userId: UserId, sessionId: string): Promise<string[]> {
    const record = await this.state(userId, sessionId);
    if (!record) throw notFound('This session has not been imported.');
    const failed = record.items.filter((item) => item.status === 'failed');
    await Promise.all(failed.map((item) => this.#save(sessionId, { ...item, status: 'queued', error: null })));
    return failed.map((item) => item.id);
  }

  /**
   * Once every item is done or has failed for good: writes manifest.json beside them and deletes the Picker session
   * at Google (the items now live in the destination). Answers the finished import, or undefined while items remain.
   */
  async finish(userId: UserId, sessionId: string): Promise<ImportRecord | undefined> {
    const record = await this.state(userId, sessionId);
    if (!record || record.items.some((item) => item.status === 'queued' || item.status === 'copying')) return undefined;
    if (record.completedAt) return record; // finished already: the last two items can both ask
    const completedAt = new Date().toISOString();
    const manifestKey = `${record.owner}/${sessionId}/manifest.json`;
    const finished: ImportRecord = { ...record, completedAt, manifestKey, status: statusOf(record.items, { completedAt }) };
    const manifest = {
      pickingSessionId: sessionId,
      owner: record.owner,
      createdAt: record.createdAt,
      completedAt,
      status: finished.status,
      items: record.items.map((item) => ({
        id: item.id, key: item.key, previewKey: item.previewKey, filename: item.filename, mimeType: item.mimeType, type: item.type,
        createTime: item.createTime, width: item.width, height: item.height, bytes: item.bytes, sha256: item.sha256,
        status: item.status, error: item.error,
      })),
    };
    await this.#options.destination.put(manifestKey, Readable.from([JSON.stringify(manifest, null, 2)]), { contentType: 'application/json' });
    const meta: ImportMeta = { owner: record.owner, createdAt: record.createdAt, completedAt, manifestKey };
    await this.#options.store.hashSet(importKey(sessionId), META, JSON.stringify(meta), RETAIN_MS);
    await this.#options.sessions.reap(userId, sessionId);
    logFor(this.#options.logger).info({ event: 'import_finished', import: sessionId, status: finished.status }, 'import finished');
    return finished;
  }
}

function statusOf(items: readonly ImportedItem[], meta: { completedAt: string | null }): ImportStatus {
  if (!meta.completedAt) return 'running';
  const failed = items.filter((item) => item.status === 'failed').length;
  return failed === 0 ? 'done' : failed === items.length ? 'failed' : 'partial';
}
