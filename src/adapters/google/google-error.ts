/**
 * Maps whatever a Google call throws (an HTTP error with Google's error
 * envelope or an OAuth error body, a timeout, a refused connection) onto the
 * contract's statuses, keeping Google's status name as the code. Every error
 * carries its own messageKey: Google's status names must not pick the
 * gateway's explanations (Google's INTERNAL is not "something went wrong on
 * our side").
 */
import { AppError } from '../../errors.ts';

/** Contract mapping of Google's canonical status names to our HTTP statuses, and what a person is told. */
const BY_GOOGLE_CODE: Record<string, { status: number; messageKey: string }> = {
  INVALID_ARGUMENT: { status: 400, messageKey: 'error.badRequest' },
  OUT_OF_RANGE: { status: 400, messageKey: 'error.badRequest' },
  FAILED_PRECONDITION: { status: 409, messageKey: 'error.notDone' },
  UNAUTHENTICATED: { status: 401, messageKey: 'error.signedOutByGoogle' },
  PERMISSION_DENIED: { status: 403, messageKey: 'error.permissionDenied' },
  NOT_FOUND: { status: 404, messageKey: 'error.notFound' },
  ALREADY_EXISTS: { status: 409, messageKey: 'error.badRequest' },
  ABORTED: { status: 409, messageKey: 'error.googleUnavailable' },
  RESOURCE_EXHAUSTED: { status: 429, messageKey: 'error.tooManySessions' },
};

const GOOGLE_CODE_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 501: 'UNIMPLEMENTED', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

/** A Google failure on its side, or one we cannot place: 502, "Google is unavailable, try again". */
const UNAVAILABLE = { status: 502, messageKey: 'error.googleUnavailable' };

interface HttpLikeError {
  name?: string;
  code?: string | number;
  message?: string;
  status?: number;
  response?: { status?: number; data?: unknown; headers?: unknown };
  cause?: unknown;
}

function readHeader(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

export function retryAfterSeconds(headers: unknown): number | undefined {
  const raw = readHeader(headers, 'retry-after');
  if (!raw) return undefined;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : Math.ceil((Date.parse(raw) - Date.now()) / 1000);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

const TIMEOUT = /^(TimeoutError|HeadersTimeoutError|BodyTimeoutError|ETIMEDOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/;

/** True when the error, or one it wraps (gaxios and fetch wrap the real one), is a timeout. */
export function isTimeout(error: unknown): boolean {
  for (let e = error as HttpLikeError | undefined, depth = 0; e && depth < 4; e = e.cause as HttpLikeError | undefined, depth++) {
    if (TIMEOUT.test(String(e.name)) || TIMEOUT.test(String(e.code))) return true;
  }
  return false;
}

/** Google's error envelope {error:{code,status,message}} or an OAuth body {error, error_description}. */
function googleErrorBody(data: unknown): { status?: string; message?: string; oauthError?: string } {
  if (!data || typeof data !== 'object') return {};
  const error = (data as { error?: unknown }).error;
  if (error && typeof error === 'object') {
    const envelope = error as { status?: unknown; message?: unknown };
    return {
      ...(typeof envelope.status === 'string' ? { status: envelope.status } : {}),
      ...(typeof envelope.message === 'string' ? { message: envelope.message } : {}),
    };
  }
  if (typeof error === 'string') {
    const description = (data as { error_description?: unknown }).error_description;
    return { oauthError: error, ...(typeof description === 'string' ? { message: description } : {}) };
  }
  return {};
}

export function toGoogleAppError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const e = error as HttpLikeError;
  if (isTimeout(error)) {
    return new AppError({
      status: 504, code: 'DEADLINE_EXCEEDED', detail: `Google did not answer ${what} in time.`, messageKey: 'error.googleTimeout', cause: error,
    });
  }
  const httpStatus = e?.response?.status ?? e?.status;
  if (!httpStatus) {
    return new AppError({ code: 'UNAVAILABLE', detail: `Google could not be reached for ${what}.`, ...UNAVAILABLE, cause: error });
  }
  const body = googleErrorBody(e.response?.data);
  // A 3xx is not followed (see http-client.ts): to us it is Google failing to answer.
  const code = body.status ?? GOOGLE_CODE_BY_HTTP[httpStatus] ?? (httpStatus >= 400 && httpStatus < 500 ? 'INVALID_ARGUMENT' : 'UNAVAILABLE');
  const { status, messageKey } = httpStatus >= 500 ? UNAVAILABLE : (BY_GOOGLE_CODE[code] ?? UNAVAILABLE);
  const retryAfter = status === 429 ? (retryAfterSeconds(e.response?.headers) ?? 30) : undefined;
  return new AppError({
    status,
    code,
    detail: body.message ? `Google answered ${what} with ${code}: ${body.message}` : `Google answered ${what} with ${code}.`,
    messageKey,
    cause: error,
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  });
}

export function isInvalidGrant(error: unknown): boolean {
  return googleErrorBody((error as HttpLikeError)?.response?.data).oauthError === 'invalid_grant';
}
