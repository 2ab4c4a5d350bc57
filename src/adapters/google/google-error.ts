/**
 * Maps whatever a Google call throws (an HTTP error with Google's error
 * envelope or an OAuth error body, a timeout, a refused connection) onto the
 * contract's statuses, keeping Google's status name as the code.
 */
import { AppError } from '../../errors.ts';

/** Contract mapping of Google's canonical status names to our HTTP statuses. */
const STATUS_BY_GOOGLE_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  OUT_OF_RANGE: 400,
  FAILED_PRECONDITION: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
};

const GOOGLE_CODE_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 501: 'UNIMPLEMENTED', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

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
    return new AppError({ status: 504, code: 'DEADLINE_EXCEEDED', detail: `Google did not answer ${what} in time.`, cause: error });
  }
  const httpStatus = e?.response?.status ?? e?.status;
  if (!httpStatus) {
    return new AppError({ status: 502, code: 'UNAVAILABLE', detail: `Google could not be reached for ${what}.`, cause: error });
  }
  const body = googleErrorBody(e.response?.data);
  // A 3xx is not followed (see http-client.ts): to us it is Google failing to answer.
  const code = body.status ?? GOOGLE_CODE_BY_HTTP[httpStatus] ?? (httpStatus >= 400 && httpStatus < 500 ? 'INVALID_ARGUMENT' : 'UNAVAILABLE');
  const status = httpStatus >= 500 ? 502 : (STATUS_BY_GOOGLE_CODE[code] ?? 502);
  const retryAfter = status === 429 ? (retryAfterSeconds(e.response?.headers) ?? 30) : undefined;
  return new AppError({
    status,
    code,
    detail: body.message ? `Google answered ${what} with ${code}: ${body.message}` : `Google answered ${what} with ${code}.`,
    cause: error,
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  });
}

export function isInvalidGrant(error: unknown): boolean {
  return googleErrorBody((error as HttpLikeError)?.response?.data).oauthError === 'invalid_grant';
}
