/**
 * What the domain needs from the outside world, and nothing more. The domain
 * (src/domain/*) is plain TypeScript: no express, no request objects, no Redis
 * client. Adapters (src/adapters/*) implement these ports: in memory for one
 * process, on Redis for replicas.
 */
import type { Readable } from 'node:stream';

/**
 * State that several requests, jobs or replicas touch. Every method is one
 * atomic operation on the backing store, so concurrent callers never lose an
 * update. One caller's calls (all but subscribe, which has a connection of its
 * own) are applied in the order they were made, so calls made together
 * (Promise.all) cost one round trip and still see each other's effects. Values are strings; the domain owns their encoding. Keys are the
 * domain's own names; the adapter adds its deployment prefix.
 */
export interface SharedStore {
  get(key: string): Promise<string | undefined>;
  /**
   * Reads a value and, when there is one, sets its expiry to ttlMs from now, in one step: a lifetime that rolls with
   * each read costs the read alone. Like expire, it never writes the value back.
   */
  getAndExpire(key: string, ttlMs: number): Promise<string | undefined>;
  /** Sets the value; with ttlMs it expires after that long, without it it stays. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets the value only if the key does not exist (a lock, a one-time mark); true when this caller set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Sets a new expiry on a key that exists (a value or a hash), leaving what it holds untouched; false when there is
   * none. Extending a lifetime never writes the value back, so it cannot undo another caller's write.
   */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one step: a one-time value is taken by exactly one caller. */
  take(key: string): Promise<string | undefined>;
  delete(...keys: string[]): Promise<void>;

  /** One field of a hash; ttlMs, when given, (re)sets the expiry of the whole hash. */
  hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void>;
  hashGet(key: string, field: string): Promise<string | undefined>;
  /** Every field of a hash (a Map: field names never meet Object.prototype). */
  hashGetAll(key: string): Promise<Map<string, string>>;
  /** How many fields the hash has. */
  hashLength(key: string): Promise<number>;
  /** Removes fields; answers how many existed. */
  hashDelete(key: string, ...fields: string[]): Promise<number>;

  /** Tells every subscriber of `channel`, in every process, that something happened. */
  publish(channel: string, message: string): Promise<void>;
  /** Listens on `channel` until the returned function is called. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;

  /** True when the store answers within a short time. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Google's sealed tokens for one user, as the store keeps them (encrypted by the TokenVault). */
export interface GoogleTokens {
  access_token: string;
  refresh_token?: string;
  /** Epoch milliseconds. */
  expiry_date?: number;
  scope?: string;
}

/** The gateway's opaque, stable id of a person: derived from their Google account, never their email. */
export type UserId = string;

/** Google's Picker REST API on behalf of one user (one access token). */
export interface PickerApi {
  createSession(input: { requestId?: string; maxItemCount?: number }): Promise<PickingSession>;
  getSession(id: string): Promise<PickingSession>;
  deleteSession(id: string): Promise<void>;
  listMediaItems(sessionId: string, page?: { pageSize?: number; pageToken?: string }): Promise<MediaItemsPage>;
}

/** Google's OAuth endpoints the domain calls after sign-in. */
export interface GoogleOAuthApi {
  /** The new access token merged over `tokens`: Google sends no new refresh token. */
  refresh(tokens: GoogleTokens): Promise<GoogleTokens>;
  revoke(tokens: GoogleTokens): Promise<void>;
}

/** Downloads media bytes from a URL the domain has checked, with the user's bearer token. */
export interface MediaClient {
  open(url: URL, accessToken: string, options?: { method?: 'GET' | 'HEAD'; range?: string; ifRange?: string; signal?: AbortSignal }): Promise<MediaResponse>;
}

export interface MediaResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

export interface PollingConfig {
  pollInterval?: string;
  timeoutIn?: string;
}

/** A Picker session as Google describes it. */
export interface PickingSession {
  id: string;
  pickerUri: string;
  pollingConfig?: PollingConfig;
  expireTime: string;
  pickingConfig?: { maxItemCount?: string };
  mediaItemsSet: boolean;
}

/** One picked item as Google lists it; baseUrl lives 60 minutes. */
export interface PickedMediaItem {
  id: string;
  createTime?: string;
  type: 'PHOTO' | 'VIDEO' | 'TYPE_UNSPECIFIED';
  mediaFile: {
    baseUrl: string;
    mimeType?: string;
    filename?: string;
    mediaFileMetadata?: {
      width?: number;
      height?: number;
      cameraMake?: string;
      cameraModel?: string;
      photoMetadata?: Record<string, unknown>;
      videoMetadata?: { fps?: number; processingStatus?: string };
    };
  };
}

export interface MediaItemsPage {
  mediaItems: PickedMediaItem[];
  nextPageToken?: string;
}

/**
 * Where imported items are written: a folder or an S3 bucket. Keys are relative to the destination's root, made by
 * the domain (never from client input), with `/` between folders.
 */
export interface Destination {
  /** What operators read in logs and readiness: `file:/data/imports` or `s3://bucket/prefix`, never a credential. */
  readonly description: string;
  /**
   * Writes the stream under `key` whole or not at all (a temporary name then a rename; an S3 multipart upload
   * completed or aborted), reading it only as fast as the destination takes it. Answers the bytes written and their
   * SHA-256 (hex), computed while the bytes stream (after a resume, over the stored bytes too). Aborting `signal`
   * stops the copy and leaves nothing behind.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject>;
  /**
   * How many bytes of the unfinished write `upload` (a name a resumable put reported) are stored and can be continued:
   * 0 when it is gone or holds nothing worth continuing. Whoever wrote it, in whatever process.
   */
  unfinished(key: string, upload: string): Promise<number>;
  /** Drops the unfinished write `upload`, if it is still there. */
  discard(key: string, upload: string): Promise<void>;
  /** Removes everything under a folder: objects, unfinished writes, whoever made them, and (where there are folders) the emptied folders. */
  removeAll(prefix: string): Promise<void>;
  /** Bytes the destination can still take, where it has a limit it can tell (a disk); undefined otherwise (S3). */
  room(): Promise<number | undefined>;
  /** The object's bytes (a byte range when asked), or undefined when there is none. */
  get(key: string, options?: { range?: { start: number; end?: number } }): Promise<StoredContent | undefined>;
  exists(key: string): Promise<boolean>;
  /** Removes the object if it exists. */
  remove(key: string): Promise<void>;
  /** Keys under a prefix (a folder), for unique names and clean-ups. */
  list(prefix: string): Promise<string[]>;
  /** Writes and removes a probe; rejects with a reason an operator can act on when the destination takes no writes. */
  check(): Promise<void>;
}

export interface PutOptions {
  contentType?: string;
  /** Aborting it stops the copy and leaves nothing behind. */
  signal?: AbortSignal;
  /** Told the bytes stored so far (a resumed write's included) as they go in, at most once per `PROGRESS_EVERY_BYTES`. */
  onProgress?: (bytes: number) => void;
  /**
   * Makes the write resumable: when the source breaks off, what was stored stays (named by the `upload` given to
   * `onUpload`, before the first byte goes in) for a later try to continue with `from`. When the destination refuses or
   * the signal aborts, nothing stays, as without it.
   */
  resumable?: {
    onUpload(upload: string): Promise<void>;
    /** Continues that unfinished write: the body carries the bytes from `offset` on (what `unfinished` answered). */
    from?: { upload: string; offset: number };
  };
}

export interface StoredObject {
  key: string;
  bytes: number;
  sha256: string;
}

export interface StoredContent {
  body: Readable;
  /** The whole object's size, whatever range was read. */
  size: number;
  /** The bytes this answer carries (the range's, or the whole object's). */
  bytes: number;
  contentType?: string;
}

/** One webhook message for a host app: the body as sent, and what signs it. */
export interface WebhookMessage {
  url: string;
  /** The same on every attempt, so the receiver can tell a retry from a new event. */
  id: string;
  /** The JSON body, exactly the bytes that are signed. */
  payload: string;
  /** The app's Standard Webhooks secret (`whsec_…`) that signs it; never logged. */
  secret: string;
}

/** How a receiver answered: its status and the start of its body (a few KB at most), or why there was no answer. */
export type WebhookReply = { status: number; body: string } | { error: string };

/** Sends a signed webhook once (no redirects followed, within a time limit); retrying is the caller's business. */
export interface WebhookSender {
  send(message: WebhookMessage): Promise<WebhookReply>;
}

/** How a job is queued: what the domain asks of a queue beside its name and data. */
export interface JobOptions {
  /** The same id twice is one job while the first is waiting, delayed or running; once it has finished, a new one. */
  jobId?: string;
  /** Starts it this much later. */
  delayMs?: number;
  /** Tries (default 1), with exponential backoff from `backoffMs` between them, while the handler throws. */
  attempts?: number;
  backoffMs?: number;
  /**
   * Among the jobs of its name that are due, a lower number runs first (1 first; ties in the order added); jobs
   * without one run before any that has one. At most MAX_JOB_PRIORITY.
   */
  priority?: number;
}

/** The largest priority a queue accepts (BullMQ's limit, 2^21). */
export const MAX_JOB_PRIORITY = 2_097_152;

/** One job of a flow: its name, its data and how it is queued. */
export interface FlowJob extends JobOptions {
  name: string;
  data: Record<string, unknown>;
}

/**
 * Work that outlives a request: imports, following sessions, delayed deletions, webhooks. Two implementations:
 * src/adapters/queue/memory-queue.ts (one process; jobs die with it) and bullmq-queue.ts (replicas on Redis); both
 * pass test/adapters/queue/job-queue-contract.ts, which a third one (a durable embedded queue) must pass too.
 */
export interface JobQueue {
  /** Adds a job (see JobOptions). */
  add(name: string, data: Record<string, unknown>, options?: JobOptions): Promise<void>;
  /**
   * Adds a flow: `children` are due now, and `parent` runs once, after every child has settled: done, or failed for
   * good (its attempts spent, a PermanentJobFailure, or its process dying more often than the queue allows, when
   * its handler is not even called). A failed child never blocks nor fails the parent: the parent's handler finds
   * out what each child did from what the children recorded. With no children the parent is due at once. The
   * parent's jobId names the flow: adding it again while it is pending adds nothing.
   */
  addFlow(parent: FlowJob, children: readonly FlowJob[]): Promise<void>;
  /**
   * Runs `handler` for jobs named `name`, at most `concurrency` at once in this process. A job whose handler throws
   * `PermanentJobFailure` is not retried; one whose process dies is taken over by another worker (with Redis).
   */
  work(name: string, handler: (job: QueuedJob) => Promise<void>, options: { concurrency: number }): void;
  /** How many jobs are in each state, for metrics (a flow's parent counts once its children have settled). */
  counts(): Promise<Record<'waiting' | 'active' | 'delayed' | 'failed', number>>;
  /** Stops taking jobs, asks running ones to stop (their signal) and waits for them, closes connections. */
  close(): Promise<void>;
}

export interface QueuedJob {
  id: string;
  name: string;
  data: Record<string, unknown>;
  /** 1 on the first try. */
  attempt: number;
  /**
   * Aborted when this process stops working the queue (a shutdown): a handler that honours it stops at once and
   * throws; the job is then not counted as failed and runs again (at the next start, or on another replica).
   */
  signal?: AbortSignal;
}

/** Thrown by a job handler for a failure that trying again cannot change (a 404, a refused permission). */
export class PermanentJobFailure extends Error {
  override name = 'PermanentJobFailure';
}
