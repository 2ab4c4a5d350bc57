/**
 * The gateway's API for apps, from the app's server: a pick's outcome and its
 * imported items' bytes, with the app's secret as a bearer token. Answers
 * that say "try again" (429, 5xx) and network errors are retried with
 * exponential backoff and full jitter, waiting what Retry-After asks when the
 * gateway says; every route only reads, so a retry is always safe. Redirects
 * are never followed: they would carry the secret elsewhere.
 */
import {
  GatewayError, GatewayUnavailableError, GatewayUnreachableError, NotFoundError, RangeNotSatisfiableError, UnauthenticatedError,
} from './errors.ts';
import { assertSecret } from './secrets.ts';
import type { GatewayPick, Problem } from './types.ts';

export interface RetryOptions {
  /** Tries after the first (default 3). */
  retries?: number;
  /** The first backoff's ceiling in ms (default 500); each later one doubles it. */
  baseDelayMs?: number;
  /** The longest wait between tries in ms (default 20 000); a Retry-After longer than this is not waited for. */
  maxDelayMs?: number;
}

export interface PicksClientOptions {
  /** The gateway's PUBLIC_URL. */
  gatewayUrl: string | URL;
  /** One of the app's secrets (`whsec_…`). Keep it on the server. */
  secret: string;
  retry?: RetryOptions;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** How to wait between tries (default a timer); tests pass their own clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ByteRange {
  /** The first byte, from 0. */
  start: number;
  /** The last byte, included; absent: to the end. */
  end?: number;
}

export interface ContentOptions {
  /** One byte range: `{start, end}`, or a Range header's value as a browser sent it (`bytes=0-1023`). */
  range?: ByteRange | string;
  /** Ask for `Content-Disposition: attachment` with the item's filename. */
  download?: boolean;
  signal?: AbortSignal;
}

export interface ItemContent {
  /** 200 (the whole item) or 206 (the range asked for). */
  status: 200 | 206;
  /** The bytes, as a web stream: pipe it on (Readable.fromWeb in Node) or read it; cancel it when not needed. */
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** The bytes in this answer. */
  contentLength: number | undefined;
  /** For a 206: which bytes of how many. */
  contentRange: { start: number; end: number; size: number } | undefined;
  /** Every header of the answer (Content-Disposition, Cache-Control, ETag, …) for passing on. */
  headers: Headers;
}

const DEFAULT_RETRY: Required<RetryOptions> = { retries: 3, baseDelayMs: 500, maxDelayMs: 20_000 };
const RETRYABLE = (status: number) => status === 429 || status === 500 || status === 502 || status === 503 || status === 504;

function timer(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    };
    const handle = setTimeout(done, ms);
    const aborted = () => {
      clearTimeout(handle);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** Retry-After in seconds: a number of seconds or an HTTP date. */
function retryAfterOf(response: Response, now = Date.now()): number | undefined {
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

async function problemOf(response: Response): Promise<Problem | undefined> {
  if (!/^application\/(problem\+)?json/i.test(response.headers.get('content-type') ?? '')) {
    await response.body?.cancel();
    return undefined;
  }
  try {
    const body = (await response.json()) as Partial<Problem>;
    return typeof body.code === 'string' ? (body as Problem) : undefined;
  } catch {
    return undefined;
  }
}

function rangeHeader(range: ByteRange | string): string {
  if (typeof range === 'string') {
    if (!/^bytes=/.test(range)) throw new TypeError('range must be a bytes range, e.g. bytes=0-1023.');
    return range;
  }
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new RangeError('range must have an integer start ≥ 0 and, if any, an end ≥ start.');
  }
  return `bytes=${start}-${end ?? ''}`;
}

function contentRangeOf(value: string | null): ItemContent['contentRange'] {
  const match = value?.match(/^bytes (\d+)-(\d+)\/(\d+)$/);
  return match ? { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) } : undefined;
}

export class PicksClient {
  readonly #base: string;
  readonly #secret: string;
  readonly #retry: Required<RetryOptions>;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: PicksClientOptions) {
    assertSecret(options.secret);
    const base = new URL(options.gatewayUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('gatewayUrl must be an http(s) URL.');
    this.#base = base.href.replace(/\/+$/, '');
    this.#secret = options.secret;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? timer;
  }

  /** The pick, as the gateway knows it now. Throws NotFoundError for a pick that is not this app's. */
  async get(pick: string, options: { signal?: AbortSignal } = {}): Promise<GatewayPick> {
    const response = await this.#call(`/api/v1/picks/${encodeURIComponent(pick)}`, { accept: 'application/json' }, options.signal);
    return (await response.json()) as GatewayPick;
  }

  /**
   * An imported item's bytes, or one range of them. Throws NotFoundError for an item not imported in this pick,
   * RangeNotSatisfiableError for a range past its end.
   */
  async content(pick: string, itemId: string, options: ContentOptions = {}): Promise<ItemContent> {
    const headers: Record<string, string> = {};
    if (options.range !== undefined) headers.range = rangeHeader(options.range);
    const query = options.download ? '?download=1' : '';
    const response = await this.#call(`/api/v1/picks/${encodeURIComponent(pick)}/items/${encodeURIComponent(itemId)}/content${query}`, headers, options.signal);
    const length = response.headers.get('content-length');
    return {
      status: response.status as 200 | 206,
      body: response.body ?? new ReadableStream({ start: (controller) => controller.close() }),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      contentLength: length === null ? undefined : Number(length),
      contentRange: contentRangeOf(response.headers.get('content-range')),
      headers: response.headers,
    };
  }

  /** One call with its retries; a 2xx answer is returned with its body unread, anything else thrown as an error. */
  async #call(path: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response> {
    const { retries, baseDelayMs, maxDelayMs } = this.#retry;
    for (let attempt = 0; ; attempt++) {
      const backoff = () => Math.round(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt));
      let response: Response;
      try {
        response = await this.#fetch(`${this.#base}${path}`, {
          headers: { ...headers, authorization: `Bearer ${this.#secret}` },
          redirect: 'manual',
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted || attempt >= retries) throw signal?.aborted ? error : new GatewayUnreachableError(error);
        await this.#sleep(backoff(), signal);
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      if (RETRYABLE(response.status)) {
        const retryAfter = retryAfterOf(response);
        const wait = retryAfter === undefined ? backoff() : retryAfter * 1000;
        if (attempt < retries && wait <= maxDelayMs) {
          await response.body?.cancel();
          await this.#sleep(wait, signal);
          continue;
        }
        throw new GatewayUnavailableError(response.status, await problemOf(response), { retryAfterSeconds: retryAfter });
      }
      throw await errorOf(response);
    }
  }
}

async function errorOf(response: Response): Promise<GatewayError> {
  const { status } = response;
  if (status === 416) {
    await response.body?.cancel();
    const size = response.headers.get('content-range')?.match(/^bytes \*\/(\d+)$/)?.[1];
    return new RangeNotSatisfiableError(status, size === undefined ? undefined : Number(size));
  }
  if (status >= 300 && status < 400) {
    await response.body?.cancel();
    return new GatewayError(status, undefined, { message: `The gateway answered ${status} (a redirect, not followed: it would carry the secret elsewhere). Is gatewayUrl its PUBLIC_URL?` });
  }
  const problem = await problemOf(response);
  if (status === 401) return new UnauthenticatedError(status, problem);
  if (status === 404) return new NotFoundError(status, problem);
  return new GatewayError(status, problem);
}
