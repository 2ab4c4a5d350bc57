/**
 * Opens a picked item's bytes at Google as a Node stream, on the process's
 * one HTTP client. The bearer token goes to exactly the URL given (the caller
 * checks it against MEDIA_HOSTS) and no redirect is followed, so the token
 * cannot travel on. UPSTREAM_TIMEOUT_MS bounds the wait for the answer and
 * then every gap between bytes, never the whole download: a long video may
 * stream for as long as it keeps flowing. (undici checks these timers about
 * twice a second, so one fires up to a second late.)
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { AppError } from '../../errors.ts';
import { retryAfterSeconds, toGoogleAppError } from './google-error.ts';
import { googleHttp } from './http-client.ts';

export interface MediaResponse {
  status: number;
  headers: Record<string, string>;
  /** Read it to the end or destroy it: until then it holds a connection. Destroying it stops the download. */
  body: Readable;
}

export interface MediaOpenOptions {
  method?: 'GET' | 'HEAD';
  /** The client's Range header; passed on only when it is one well-formed byte range. */
  range?: string;
  /** With a range: the validator (an ETag or a date) the bytes must still match, else the whole answer comes (If-Range). */
  ifRange?: string;
  /** Aborting it rejects the open with its reason, or cuts the body mid-stream and closes the connection. */
  signal?: AbortSignal;
}

export interface MediaClient {
  /** Any status comes back as is (including 3xx); see mediaFailure for the answers that are refusals. */
  open(url: URL, accessToken: string, options?: MediaOpenOptions): Promise<MediaResponse>;
}

/** bytes=first-last, bytes=first- or bytes=-suffix. */
const BYTE_RANGE = /^bytes=(?:(\d+)-(\d*)|-\d+)$/;

function wellFormedRange(range: string | undefined): string | undefined {
  const match = range?.match(BYTE_RANGE);
  if (!match) return undefined;
  const [, first, last] = match;
  return last && Number(last) < Number(first) ? undefined : range;
}

function flat(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]])),
  );
}

export function createMediaClient(options: { timeoutMs: number; dispatcher?: Dispatcher }): MediaClient {
  const dispatcher = options.dispatcher ?? googleHttp(options.timeoutMs).agent;
  return {
    async open(url, accessToken, { method = 'GET', range, ifRange, signal } = {}) {
      const passedRange = wellFormedRange(range);
      const condition = passedRange && ifRange && !/[\r\n]/.test(ifRange) ? { 'if-range': ifRange } : {};
      try {
        const response = await request(url, {
          dispatcher,
          method,
          headers: { authorization: `Bearer ${accessToken}`, ...(passedRange ? { range: passedRange } : {}), ...condition },
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          signal,
        });
        return { status: response.statusCode, headers: flat(response.headers), body: response.body };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw toGoogleAppError(error, 'the media download');
      }
    },
  };
}

/**
 * The error for a media answer Google refused (anything but 200, 206 and
 * 416). A 401 is final only the second time: the caller refreshes the token
 * once and opens again before it throws this.
 */
export function mediaFailure(status: number, headers: Record<string, string>): AppError {
  const detail = `Google answered the media download with HTTP ${status}.`;
  switch (status) {
    case 401:
      return new AppError({ status: 401, code: 'UNAUTHENTICATED', detail, messageKey: 'error.signedOutByGoogle' });
    case 403:
      return new AppError({ status: 403, code: 'PERMISSION_DENIED', detail, messageKey: 'error.permissionDenied' });
    case 404:
      return new AppError({ status: 404, code: 'NOT_FOUND', detail, messageKey: 'error.notFound' });
    case 429:
      return new AppError({
        status: 429, code: 'RESOURCE_EXHAUSTED', detail, messageKey: 'error.mediaBusy', retryAfterSeconds: retryAfterSeconds(headers) ?? 30,
      });
    default:
      return new AppError({ status: 502, code: 'UNAVAILABLE', detail, messageKey: 'error.googleUnavailable' });
  }
}
