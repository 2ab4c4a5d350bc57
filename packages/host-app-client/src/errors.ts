/**
 * What the gateway's API can answer besides success, as errors an app can
 * tell apart with `instanceof`: each carries the answer's status and, when
 * the gateway sent problem details (RFC 9457), its `code`, `title`, `detail`
 * and `requestId` (quote it when asking the gateway's operators for help).
 */
import type { Problem } from './types.ts';

export class GatewayError extends Error {
  override name = 'GatewayError';
  /** The HTTP status. */
  readonly status: number;
  /** The problem's machine-readable code (e.g. NOT_FOUND), or `HTTP_{status}` when the answer had none. */
  readonly code: string;
  readonly problem: Problem | undefined;
  /** Seconds the gateway asked to wait (Retry-After), when it did. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, problem: Problem | undefined, options: { retryAfterSeconds?: number | undefined; message?: string; cause?: unknown } = {}) {
    super(options.message ?? `The gateway answered ${status}${problem ? ` ${problem.code}: ${problem.detail}` : ''}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.problem = problem;
    this.code = problem?.code ?? `HTTP_${status}`;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get requestId(): string | undefined {
    return this.problem?.requestId;
  }
}

/** 401: the secret is not one of the app's (or none was sent). */
export class UnauthenticatedError extends GatewayError {
  override name = 'UnauthenticatedError';
}

/** 404: no such pick of this app (another app's pick is one), or no such imported item in it. */
export class NotFoundError extends GatewayError {
  override name = 'NotFoundError';
}

/** 416: the range starts past the item's end; `size` is the item's size in bytes. */
export class RangeNotSatisfiableError extends GatewayError {
  override name = 'RangeNotSatisfiableError';
  readonly size: number | undefined;

  constructor(status: number, size: number | undefined) {
    super(status, undefined, { message: `The range starts past the item's end${size === undefined ? '' : ` (${size} bytes)`}.` });
    this.size = size;
  }
}

/** 429 or 5xx, still so after the retries (or with a Retry-After longer than the client waits). */
export class GatewayUnavailableError extends GatewayError {
  override name = 'GatewayUnavailableError';
}

/** No answer at all (a network error, a refused connection, a timeout), after the retries. */
export class GatewayUnreachableError extends Error {
  override name = 'GatewayUnreachableError';

  constructor(cause: unknown) {
    super(`The gateway could not be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
