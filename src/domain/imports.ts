/**
 * Imports: the items picked in a session copied into the deployment's
 * destination, each beside a preview of at most 512 px, then a manifest, then
 * the Picker session deleted at Google. Work is split so a job queue can run
 * it (src/jobs/ runs it as one flow per round): `plan` once, `copy` per item
 * (retried by the queue), `finish` once every copy of the round has settled,
 * however it ended. The state of an import lives in the shared store, one
 * field per item, so concurrent copies never overwrite each other.
 *
 * Fair share: each owner's items waiting for a copy are counted in a hash of
 * their own, and each planned item answers its rank in its owner's queued
 * work, which the queue runs by (a 1-item import of one owner runs before the
 * 500th item of another's); an owner may have at most `maxQueuedPerOwner`
 * items queued at once.
 *
 * Nothing from a client names a file: keys come from the import's folder (its
 * owner and the Picker session id, or a host app's pick id) and Google's
 * filename made safe (file-names.ts). No token or Google URL is written to
 * storage.
 */
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { AppError, notFound } from '../errors.ts';
import { logFor } from '../observability/context.ts';
import { itemFileName, safeFileName, uniqueFileName } from './file-names.ts';
import { contentUrls, type MediaItemView, type PickedMedia } from './media.ts';
import type { PickerSessions } from './picker-sessions.ts';
import { PermanentJobFailure, type Destination, type MediaResponse, type PickedMediaItem, type PutOptions, type SharedStore, type StoredContent, type UserId } from './ports.ts';

/** An item to copy, and its place in its owner's queued work (1: next): the queue runs lower ranks first. */
export interface PlannedCopy {
  id: string;
  rank: number;
}

/** A round of copies to run (the first one, or a Retry's), each ending in a finish of its own. */
export interface ImportRound {
  round: number;
  copies: PlannedCopy[];
}

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
  /** The preview's type as Google sent it (a JPEG or PNG), once copied. */
  previewMimeType?: string | null;
  /** When the running copy of the original began (epoch ms), for its rate and time left. */
  copyStartedAt?: number;
  /** Where the running copy began: past 0 when it went on from what an earlier try stored. */
  resumedFrom?: number;
  status: ImportItemStatus;
  bytes: number;
  totalBytes: number | null;
  sha256: string | null;
  error: string | null;
  /**
   * The unfinished write of the original a later try continues (a destination's name for it), and the version of
   * Google's bytes it holds (their validators and length): absent or null when there is none.
   */
  upload?: { id: string; version: string } | null;
}

export interface ImportRecord {
  pickingSessionId: string;
  owner: string;
  /** The folder of the import's files, relative to the destination's root. */
  folder: string;
  /** The host app's pick this import is for; absent for a person's own. */
  pick?: string;
  createdAt: string;
  completedAt: string | null;
  status: ImportStatus;
  items: ImportedItem[];
  manifestKey: string | null;
}

interface ImportMeta {
  owner: string;
  /** Absent in records planned before imports had folders of their own: `{owner}/{sessionId}`. */
  folder?: string;
  pick?: string;
  createdAt: string;
  completedAt: string | null;
  manifestKey: string | null;
  itemCount: number;
  /** How many times a Retry queued failed items again: each round ends in a finish of its own. Absent: 0. */
  round?: number;
}

/** What the owner's queue was too full to take: the import fails with this, and Retry is refused while it lasts. */
export const ownerQueueFull = (max: number) => new AppError({
  status: 429,
  code: 'RESOURCE_EXHAUSTED',
  detail: `You have too many items waiting to be copied (at most ${max}); try again once your other imports have finished.`,
  messageKey: 'error.importQueueFull',
});

const META = 'meta';
const itemField = (id: string) => `item:${id}`;
const importKey = (sessionId: string) => `import:${sessionId}`;
/** An owner's items waiting for a copy, one field per item (`session/item`), whatever import they belong to. */
const ownerQueueKey = (owner: string) => `import-queue:${owner}`;
const queuedField = (sessionId: string, itemId: string) => `${sessionId}/${itemId}`;
const cancelledKey = (sessionId: string) => `import:${sessionId}:cancelled`;
const cancelChannel = (sessionId: string) => `import:${sessionId}:cancel`;
const PREVIEW_SIZE = 512;
/** An import's state outlives its end by this long, for its page and the API. */
const RETAIN_MS = 30 * 86_400_000;

/** Asked of a deployment that has no destination. */
export const importsOff = () => notFound('Imports are off on this deployment: no IMPORT_DESTINATION is set.');

/** Where a person's own imports go: an opaque, stable id, never their email. */
export const userOwner = (userId: UserId) => `users/${userId}`;

/**
 * Where an import's files go: the owner's folder, and in it one folder per import, named by the id its reader
 * knows (a person's Picker session id; a host app's pick id, never Google's session id, which the app never sees).
 */
export interface ImportPlace {
  owner: string;
  folder: string;
  pick?: string;
}

/** A person's own import: `users/{id}/{sessionId}`. */
export const userPlace = (userId: UserId, sessionId: string): ImportPlace => ({ owner: userOwner(userId), folder: `${userOwner(userId)}/${sessionId}` });

const folderOf = (sessionId: string, meta: Pick<ImportMeta, 'owner' | 'folder'>) => meta.folder ?? `${meta.owner}/${sessionId}`;

/** A preview's extension by its type; the plan reserves every one of them, so whichever Google sends is free. */
const PREVIEW_EXTENSIONS: Record<string, string> = { 'image/jpeg': '.jpg', 'image/png': '.png', 'image/webp': '.webp', 'image/gif': '.gif' };
const PLANNED_PREVIEW_EXTENSION = '.jpg';

/** `{filename}.preview.jpg` (planned as a JPEG, what Google sends), its name free in every preview extension. */
function previewName(filename: string, taken: Set<string>): string {
  const extensions = Object.values(PREVIEW_EXTENSIONS);
  const stem = safeFileName(`${filename}.preview`, 'preview');
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? stem : `${stem} (${n})`;
    if (extensions.some((extension) => taken.has(`${candidate}${extension}`.toLowerCase()))) continue;
    for (const extension of extensions) taken.add(`${candidate}${extension}`.toLowerCase());
    return `${candidate}${PLANNED_PREVIEW_EXTENSION}`;
  }
}

/** The planned preview key with the extension of what was sent. */
function previewKeyFor(planned: string, contentType: string | null): string {
  const extension = PREVIEW_EXTENSIONS[(contentType ?? '').split(';')[0]!.trim().toLowerCase()] ?? PLANNED_PREVIEW_EXTENSION;
  return `${planned.slice(0, -PLANNED_PREVIEW_EXTENSION.length)}${extension}`;
}

/** Answers Google gives that trying again cannot change: the item is gone, or access to it ended. */
function isPermanent(error: unknown): boolean {
  return error instanceof AppError && error.status >= 400 && error.status < 500 && ![409, 429, 401].includes(error.status);
}

function reason(error: unknown): string {
  return error instanceof AppError ? (error.detail ?? error.code) : 'The copy failed.';
}

/** The folder a key is in, as a prefix. */
const folderOfKey = (key: string) => key.slice(0, key.lastIndexOf('/') + 1);

/** Drops an answer's body unread; the error its stream raises for being cut short is expected, not a failure. */
function discard(body: Readable): void {
  body.once('error', () => {});
  body.destroy();
}

const BYTE_RANGE_ANSWER = /^bytes (\d+)-\d+\/(\d+)$/;

/**
 * Which version of the item's bytes Google answered with: its strong validators (ETag, Last-Modified) and its whole
 * length, as one string (`id`, undefined when Google gave no validator: then no copy of it can be continued), and
 * where the answer starts.
 */
function versionOf(status: number, headers: Record<string, string>): { id: string | undefined; start: number; total: number | undefined } {
  const range = status === 206 ? BYTE_RANGE_ANSWER.exec(headers['content-range'] ?? '') : null;
  const length = Number(headers['content-length']);
  const total = range ? Number(range[2]) : status === 200 && headers['content-length'] !== undefined && Number.isSafeInteger(length) ? length : undefined;
  const etag = headers.etag && !headers.etag.startsWith('W/') ? headers.etag : undefined;
  const modified = headers['last-modified'];
  const id = (etag || modified) && total !== undefined ? JSON.stringify([etag ?? null, modified ?? null, total]) : undefined;
  return { id, start: range ? Number(range[1]) : 0, total };
}

/** The If-Range validator of a version: its ETag, else its date. */
function validatorOf(version: string): string | undefined {
  try {
    const [etag, modified] = JSON.parse(version) as [string | null, string | null];
    return etag ?? modified ?? undefined;
  } catch {
    return undefined;
  }
}

const isVideoNotReady = (error: unknown) => error instanceof AppError && error.code === 'VIDEO_NOT_READY';

/** What an item that never settled says: its copy was cut off (its worker died) more often than the queue allows. */
const INTERRUPTED = 'The copy was interrupted too many times; try again.';
const cancelled = () => new PermanentJobFailure('The session was deleted; its import was stopped.');

export interface ImportsOptions {
  store: SharedStore;
  media: PickedMedia;
  sessions: PickerSessions;
  destination: Destination;
  logger: Logger;
  /** At most this many items of one owner wait for a copy at once (fair share); past it an import is refused. */
  maxQueuedPerOwner: number;
  /** Told of every item that is done or has failed for good (for metrics). */
  onItem?: (event: { outcome: 'done' | 'failed'; bytes: number; seconds: number }) => void;
}

export class Imports {
  readonly #options: ImportsOptions;

  constructor(options: ImportsOptions) {
    this.#options = options;
  }

  /**
   * Lists the session's items and gives each a key and a preview key, once: planning again answers the same plan.
   * Answers the round to run: the items waiting for a copy (queued, or interrupted while copying), each with its rank
   * in its owner's queued work. An owner whose queue cannot take them all gets an import whose items have all
   * failed with the reason, and no copies.
   */
  async plan(userId: UserId, sessionId: string, place: ImportPlace = userPlace(userId, sessionId)): Promise<ImportRound> {
    const { owner } = place;
    const { store, media } = this.#options;
    const existing = await this.state(userId, sessionId);
    if (existing) {
      const waiting = existing.items.filter((item) => item.status === 'queued' || item.status === 'copying').map((item) => item.id);
      return { round: (await this.#meta(sessionId))?.round ?? 0, copies: await this.#ranked(existing.owner, sessionId, waiting) };
    }

    const { items } = await media.all(userId, sessionId);
    const { folder } = place;
    const taken = new Set<string>(['manifest.json']);
    const full = !(await this.#hasRoom(owner, items.length));
    const planned = items.map((item): ImportedItem => {
      const filename = uniqueFileName(itemFileName(item), taken);
      const preview = previewName(filename, taken);
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
        status: full ? 'failed' : 'queued',
        bytes: 0,
        totalBytes: null,
        sha256: null,
        error: full ? (ownerQueueFull(this.#options.maxQueuedPerOwner).detail ?? null) : null,
      };
    });
    const meta: ImportMeta = {
      owner: place.owner, folder, ...(place.pick ? { pick: place.pick } : {}),
      createdAt: new Date().toISOString(), completedAt: null, manifestKey: null, itemCount: planned.length,
    };
    // Counted in the owner's queue before the import is visible, so two imports planned at once both see each other.
    const copies = full ? [] : await this.#ranked(owner, sessionId, planned.map((item) => item.id));
    // The meta field last: an import is visible only once every item is in it.
    await Promise.all(planned.map((item) => store.hashSet(importKey(sessionId), itemField(item.id), JSON.stringify(item), RETAIN_MS)));
    await store.hashSet(importKey(sessionId), META, JSON.stringify(meta), RETAIN_MS);
    if (full) logFor(this.#options.logger).info({ event: 'import_refused', import: sessionId, items: items.length }, 'import refused: its owner has too many items queued');
    return { round: 0, copies };
  }

  /** Whether the owner's queue can take `count` more items. */
  async #hasRoom(owner: string, count: number): Promise<boolean> {
    return (await this.#options.store.hashLength(ownerQueueKey(owner))) + count <= this.#options.maxQueuedPerOwner;
  }

  /**
   * Puts the items in their owner's queue and answers each with its rank there: the owner's queued work before it,
   * plus its place among these (an item queued already counts twice: a rank a little late, never early).
   */
  async #ranked(owner: string, sessionId: string, itemIds: readonly string[]): Promise<PlannedCopy[]> {
    const { store } = this.#options;
    const key = ownerQueueKey(owner);
    const before = await store.hashLength(key);
    await Promise.all(itemIds.map((id) => store.hashSet(key, queuedField(sessionId, id), '1', RETAIN_MS)));
    return itemIds.map((id, index) => ({ id, rank: before + index + 1 }));
  }

  /** The item no longer waits in its owner's queue. */
  async #dequeue(owner: string, sessionId: string, ...itemIds: string[]): Promise<void> {
    if (itemIds.length > 0) await this.#options.store.hashDelete(ownerQueueKey(owner), ...itemIds.map((id) => queuedField(sessionId, id)));
  }

  /** The import of a session the user owns, or undefined when none has been planned. */
  async state(userId: UserId, sessionId: string): Promise<ImportRecord | undefined> {
    await this.#options.sessions.owned(userId, sessionId);
    const fields = await this.#options.store.hashGetAll(importKey(sessionId));
    const rawMeta = fields.get(META);
    if (!rawMeta) return undefined;
    const { itemCount: _count, round: _round, ...meta } = JSON.parse(rawMeta) as ImportMeta;
    const items = [...fields].filter(([field]) => field !== META).map(([, raw]) => JSON.parse(raw) as ImportedItem);
    return { pickingSessionId: sessionId, ...meta, folder: folderOf(sessionId, meta), status: statusOf(items, meta), items };
  }

  async #meta(sessionId: string): Promise<ImportMeta | undefined> {
    const raw = await this.#options.store.hashGet(importKey(sessionId), META);
    return raw ? (JSON.parse(raw) as ImportMeta) : undefined;
  }

  async #save(sessionId: string, item: ImportedItem): Promise<void> {
    await this.#options.store.hashSet(importKey(sessionId), itemField(item.id), JSON.stringify(item), RETAIN_MS);
  }

  /**
   * Copies one item and its preview. A failure worth another try is thrown for the queue to retry (the item stays
   * queued, nothing half-written stays behind); on the last attempt, or for an answer that cannot change, the item
   * is marked failed with the reason. Answers how the item ended: done or failed (for good).
   */
  async copy(userId: UserId, sessionId: string, itemId: string, options: { lastAttempt: boolean; signal?: AbortSignal }): Promise<'done' | 'failed'> {
    const { store } = this.#options;
    const [raw, isCancelled] = await Promise.all([store.hashGet(importKey(sessionId), itemField(itemId)), store.get(cancelledKey(sessionId))]);
    // Gone with its session: a copy still queued has nothing to do, now or on any later try.
    if (!raw || isCancelled) throw cancelled();
    const item = JSON.parse(raw) as ImportedItem;
    if (item.status === 'done' || item.status === 'failed') return item.status;
    const owner = (await this.#meta(sessionId))?.owner;
    const outcome = await this.#copyItem(userId, sessionId, item, options);
    if (owner) await this.#dequeue(owner, sessionId, itemId);
    return outcome;
  }

  /** The copy of one item and its preview into the destination, recorded in the import; throws to be tried again. */
  async #copyItem(userId: UserId, sessionId: string, item: ImportedItem, options: { lastAttempt: boolean; signal?: AbortSignal }): Promise<'done' | 'failed'> {
    const { store, destination } = this.#options;
    const log = logFor(this.#options.logger).child({ import: sessionId, item: item.id });
    // Deleting the session stops this copy wherever it runs.
    const stop = new AbortController();
    const unsubscribe = await store.subscribe(cancelChannel(sessionId), () => stop.abort(cancelled()));
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const started = Date.now();
    // What this try has recorded of the item: its progress, and the unfinished write a later try would continue.
    const { copyStartedAt: _started, resumedFrom: _from, ...fresh } = item;
    const latest: { item: ImportedItem } = { item: { ...fresh, status: 'copying', bytes: 0, totalBytes: null, error: null } };
    try {
      // The progress starts again from nothing (a copy that died may have got further than what is stored).
      await this.#save(sessionId, latest.item);
      // A stopping process cuts only the download, so the destination keeps what it stored for the next try to
      // continue; a deleted session cuts the write too, which then leaves nothing.
      const stored = await this.#copyOriginal(userId, sessionId, latest, { read: signal, write: stop.signal });
      // The preview is named by what Google sent (a JPEG from Google, a PNG from the emulator).
      const preview = await this.#copyBytes(userId, sessionId, item, { w: PREVIEW_SIZE, h: PREVIEW_SIZE }, (type) => previewKeyFor(item.previewKey, type), signal);
      if (await store.get(cancelledKey(sessionId))) {
        // Deleted while the last bytes went in: what this copy wrote goes too.
        await Promise.all([destination.remove(item.key), destination.remove(preview.key)]);
        throw cancelled();
      }
      await this.#save(sessionId, {
        ...item, status: 'done', bytes: stored.bytes, totalBytes: stored.bytes, sha256: stored.sha256, previewKey: preview.key, previewMimeType: preview.contentType, error: null,
        upload: null,
      });
      this.#options.onItem?.({ outcome: 'done', bytes: stored.bytes, seconds: (Date.now() - started) / 1000 });
      log.info({ event: 'import_item_done', bytes: stored.bytes, resumedAt: stored.resumedAt }, 'item imported');
      return 'done';
    } catch (error) {
      if (stop.signal.aborted || error instanceof PermanentJobFailure) {
        // What this copy wrote while the clean-up ran (a folder made again) goes too.
        if (await store.get(cancelledKey(sessionId)).catch(() => undefined)) await destination.removeAll(folderOfKey(item.key)).catch(() => undefined);
        throw cancelled();
      }
      if (options.signal?.aborted) {
        // The process is stopping, which is no failure: the item waits as queued, its unfinished write kept to resume.
        await this.#save(sessionId, { ...latest.item, status: 'queued', bytes: 0, error: null }).catch(() => undefined);
        throw options.signal.reason;
      }
      // Another run of this copy (taken over while this one stalled) finished it, and took this one's partial write.
      const current = await store.hashGet(importKey(sessionId), itemField(item.id));
      if (current && (JSON.parse(current) as ImportedItem).status === 'done') return 'done';
      if (isVideoNotReady(error)) {
        // The listing's processing state is kept for an hour: ask Google again before the next attempt.
        await this.#options.media.all(userId, sessionId, { renew: true }).catch(() => undefined);
      }
      const final = options.lastAttempt || isPermanent(error);
      const { upload } = latest.item;
      // A try that ends for good leaves nothing unfinished; one that will be tried again leaves its write to continue.
      if (final && upload) await destination.discard(item.key, upload.id).catch(() => undefined);
      await this.#save(sessionId, { ...latest.item, status: final ? 'failed' : 'queued', bytes: 0, error: reason(error), upload: final ? null : upload ?? null });
      // One line per try: the queue logs a retry it is told of at debug only.
      log.warn({ event: final ? 'import_item_failed' : 'import_item_retry', reason: reason(error), err: error }, final ? 'item failed for good' : 'item will be tried again');
      if (!final) throw error;
      this.#options.onItem?.({ outcome: 'failed', bytes: 0, seconds: (Date.now() - started) / 1000 });
      return 'failed';
    } finally {
      await unsubscribe().catch(() => undefined);
    }
  }

  /**
   * Copies the item's original. A try after one that broke off continues the unfinished write it left, asking Google
   * only for the bytes from there on, when Google answers them for the same version of the item (same validators and
   * length; If-Range asks Google to send the whole otherwise); in every other case it copies the whole again.
   */
  async #copyOriginal(userId: UserId, sessionId: string, latest: { item: ImportedItem }, signals: { read: AbortSignal; write: AbortSignal }) {
    const signal = signals.read;
    const { destination, media } = this.#options;
    const { item } = latest;
    const previous = item.upload ?? undefined;
    const offset = previous ? await destination.unfinished(item.key, previous.id).catch(() => 0) : 0;
    const validator = previous && offset > 0 ? validatorOf(previous.version) : undefined;
    let content = await media.open(userId, sessionId, item.id, { signal, ...(previous && offset > 0 ? { range: `bytes=${offset}-`, ...(validator ? { ifRange: validator } : {}) } : {}) });
    let version = versionOf(content.status, content.headers);
    const resumes = previous !== undefined && offset > 0 && content.status === 206 && version?.start === offset && version.id === previous.version;
    if (!resumes && content.status !== 200) {
      // A range of other bytes, or of bytes that changed: the whole, from the start.
      discard(content.body);
      content = await media.open(userId, sessionId, item.id, { signal });
      version = versionOf(content.status, content.headers);
    }
    if (!resumes && previous) await destination.discard(item.key, previous.id).catch(() => undefined);
    const from = resumes ? offset : 0;
    const total = version?.total ?? null;
    await this.#checkRoom(item, total === null ? undefined : total - from);
    // The size is known from the start, so the page's bar is determinate from the first byte; its rate counts the bytes
    // of this try only.
    latest.item = { ...latest.item, bytes: from, totalBytes: total, copyStartedAt: Date.now(), resumedFrom: from, upload: resumes ? previous : null };
    await this.#save(sessionId, latest.item);
    const resumable = version?.id === undefined ? undefined : {
      ...(resumes ? { from: { upload: previous!.id, offset } } : {}),
      onUpload: async (upload: string) => {
        latest.item = { ...latest.item, upload: { id: upload, version: version!.id! } };
        await this.#save(sessionId, latest.item);
      },
    };
    const stored = await this.#write(sessionId, latest, content, () => item.key, signals.write, resumable);
    return { ...stored, resumedAt: resumes ? offset : undefined };
  }

  /** Refuses a copy the destination has no room for, before its first byte (a disk that fills up fails every copy on it). */
  async #checkRoom(item: ImportedItem, bytes: number | undefined): Promise<void> {
    if (bytes === undefined) return;
    const room = await this.#options.destination.room();
    if (room !== undefined && room < bytes) {
      throw new AppError({
        status: 507,
        code: 'INSUFFICIENT_STORAGE',
        detail: `${this.#options.destination.description} cannot be written: ENOSPC (${room} bytes free, ${bytes} needed for ${item.filename}).`,
      });
    }
  }

  async #copyBytes(userId: UserId, sessionId: string, item: ImportedItem, size: { w?: number; h?: number }, keyFor: (contentType: string | null) => string, signal: AbortSignal) {
    const content = await this.#options.media.open(userId, sessionId, item.id, { ...size, signal });
    return this.#write(sessionId, undefined, content, keyFor, signal);
  }

  /** Streams an answer of Google's into the destination, recording the original's progress as the destination reports it. */
  async #write(
    sessionId: string, latest: { item: ImportedItem } | undefined, content: MediaResponse, keyFor: (contentType: string | null) => string, signal: AbortSignal,
    resumable?: PutOptions['resumable'],
  ) {
    const onProgress = latest && ((bytes: number) => {
      latest.item = { ...latest.item, bytes };
      void this.#save(sessionId, latest.item).catch(() => undefined);
    });
    const contentType = content.headers['content-type'] ?? null;
    const key = keyFor(contentType);
    const stored = await this.#options.destination.put(key, content.body, {
      ...(contentType ? { contentType } : {}), signal, ...(resumable ? { resumable } : {}), ...(onProgress ? { onProgress } : {}),
    });
    return { ...stored, key, contentType };
  }

  /**
   * Makes the failed items of an import queued again, in a new round (the import running again), and answers the
   * round. The new round finishes on its own: a finish of the last round that runs late (the manifest could not be
   * written) sees it is not the current round and leaves the import to it. Refused while the owner's queue cannot
   * take the items.
   */
  async retryFailed(userId: UserId, sessionId: string): Promise<ImportRound> {
    const { store } = this.#options;
    const record = await this.state(userId, sessionId);
    const meta = await this.#meta(sessionId);
    if (!record || !meta) throw notFound('This session has not been imported.');
    const failed = record.items.filter((item) => item.status === 'failed');
    const round = (meta.round ?? 0) + 1;
    if (failed.length === 0) return { round: meta.round ?? 0, copies: [] };
    if (!(await this.#hasRoom(record.owner, failed.length))) throw ownerQueueFull(this.#options.maxQueuedPerOwner);
    await Promise.all(failed.map((item) => this.#save(sessionId, { ...item, status: 'queued', error: null })));
    const next: ImportMeta = { ...meta, completedAt: null, manifestKey: null, round };
    await store.hashSet(importKey(sessionId), META, JSON.stringify(next), RETAIN_MS);
    return { round, copies: await this.#ranked(record.owner, sessionId, failed.map((item) => item.id)) };
  }

  /**
   * The user deleted the session: running copies stop, and everything written for an import that had not finished
   * is removed. A finished import's files stay in the destination (they are the deployment's now); its state goes.
   */
  async cancel(sessionId: string): Promise<void> {
    const { store, destination } = this.#options;
    const meta = await this.#meta(sessionId);
    if (!meta) return;
    if (!meta.completedAt) {
      await store.set(cancelledKey(sessionId), '1', 86_400_000);
      await store.publish(cancelChannel(sessionId), '');
      // Unfinished writes go whoever left them: the ones the items name, then everything under the folder, and the
      // folder itself (with its owner's, when nothing else is in them).
      const record = await this.#options.store.hashGetAll(importKey(sessionId));
      const uploads = [...record].filter(([field]) => field !== META).map(([, raw]) => JSON.parse(raw) as ImportedItem).filter((item) => item.upload);
      await Promise.all(uploads.map((item) => destination.discard(item.key, item.upload!.id).catch(() => undefined)));
      await destination.removeAll(`${folderOf(sessionId, meta)}/`);
    }
    const itemIds = [...(await store.hashGetAll(importKey(sessionId))).keys()].filter((field) => field !== META).map((field) => field.slice(itemField('').length));
    await this.#dequeue(meta.owner, sessionId, ...itemIds);
    await store.delete(importKey(sessionId));
    logFor(this.#options.logger).info({ event: 'import_cancelled', import: sessionId }, 'import stopped: the session was deleted');
  }

  /** The item as imported, once it is done: from then on its bytes come from the destination, never Google. */
  async stored(userId: UserId, sessionId: string, itemId: string): Promise<ImportedItem | undefined> {
    const [, raw] = await Promise.all([this.#options.sessions.owned(userId, sessionId), this.#options.store.hashGet(importKey(sessionId), itemField(itemId))]);
    const item = raw ? (JSON.parse(raw) as ImportedItem) : undefined;
    return item?.status === 'done' ? item : undefined;
  }

  /** An imported item's bytes (its preview when asked), a byte range when asked. */
  read(item: ImportedItem, options: { preview?: boolean; range?: { start: number; end: number } } = {}): Promise<StoredContent | undefined> {
    return this.#options.destination.get(options.preview ? item.previewKey : item.key, options.range ? { range: options.range } : {});
  }

  /** The imported items once the import has finished (they are then served from the destination); undefined before. */
  async listing(userId: UserId, sessionId: string): Promise<MediaItemView[] | undefined> {
    const record = await this.state(userId, sessionId);
    return record?.completedAt ? importedItems(record) : undefined;
  }

  /**
   * Once every copy of `round` has settled: items that never settled (their copies were cut off more often than the
   * queue allows, so no handler marked them) fail with that reason, manifest.json is written beside the items and,
   * when every item is done, the Picker session is deleted at Google (the items now live in the destination; with
   * failures it waits for Retry until its expiry). Answers the finished import; undefined when there is none (the
   * session was deleted) or a later round (a Retry) has taken it over. Running it again answers the same.
   */
  async finish(userId: UserId, sessionId: string, round = 0): Promise<ImportRecord | undefined> {
    const meta = await this.#meta(sessionId);
    if (!meta || (meta.round ?? 0) > round) return undefined;
    let record = await this.state(userId, sessionId);
    if (!record) return undefined;
    if (record.completedAt) return record; // finished already: this finish runs again
    const unsettled = record.items.filter((item) => item.status === 'queued' || item.status === 'copying');
    // Every item leaves its owner's queue, not only these: one whose copy died between recording it and leaving goes too.
    await this.#dequeue(record.owner, sessionId, ...record.items.map((item) => item.id));
    if (unsettled.length > 0) {
      await Promise.all(unsettled.map((item) => this.#save(sessionId, { ...item, status: 'failed', bytes: 0, error: INTERRUPTED })));
      logFor(this.#options.logger).warn({ event: 'import_items_interrupted', import: sessionId, items: unsettled.length }, 'items failed: their copies were interrupted too often');
      record = (await this.state(userId, sessionId))!;
    }
    const completedAt = new Date().toISOString();
    const manifestKey = `${record.folder}/manifest.json`;
    const finished: ImportRecord = { ...record, completedAt, manifestKey, status: statusOf(record.items, { completedAt }) };
    const manifest = {
      pickingSessionId: sessionId,
      ...(record.pick ? { pick: record.pick } : {}),
      owner: record.owner,
      createdAt: record.createdAt,
      completedAt,
      status: finished.status,
      items: record.items.map(manifestItem),
    };
    await this.#options.destination.put(manifestKey, Readable.from([JSON.stringify(manifest, null, 2)]), { contentType: 'application/json' });
    const next: ImportMeta = { ...meta, completedAt, manifestKey };
    await this.#options.store.hashSet(importKey(sessionId), META, JSON.stringify(next), RETAIN_MS);
    // With items failed, the session stays at Google until its expiry, so Retry can still read them.
    if (finished.status === 'done') await this.#options.sessions.reap(userId, sessionId);
    logFor(this.#options.logger).info({ event: 'import_finished', import: sessionId, status: finished.status }, 'import finished');
    return finished;
  }
}

/** A finished import's items that are in the destination, as the session's list shows them. */
export function importedItems(record: ImportRecord): MediaItemView[] {
  return record.items.filter((item) => item.status === 'done').map((item) => ({
    id: item.id,
    type: item.type,
    createTime: item.createTime,
    mimeType: item.mimeType,
    filename: item.filename,
    width: item.width,
    height: item.height,
    ...contentUrls(record.pickingSessionId, item.id),
  }));
}

/** An item as manifest.json (and a host app's API) describes it. */
export function manifestItem(item: ImportedItem) {
  return {
    id: item.id, key: item.key, previewKey: item.previewKey, filename: item.filename, mimeType: item.mimeType, type: item.type,
    createTime: item.createTime, width: item.width, height: item.height, bytes: item.bytes, sha256: item.sha256,
    status: item.status, error: item.error,
  };
}

function statusOf(items: readonly ImportedItem[], meta: { completedAt: string | null }): ImportStatus {
  const failed = items.filter((item) => item.status === 'failed').length;
  const copying = items.some((item) => item.status === 'queued' || item.status === 'copying');
  // Failures are final until a Retry, so they show once nothing is left to copy, even while the manifest cannot be
  // written yet (a destination that refuses writes refuses it too).
  if (copying || (failed === 0 && !meta.completedAt)) return 'running';
  return failed === 0 ? 'done' : failed === items.length ? 'failed' : 'partial';
}
