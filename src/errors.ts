/**
 * The one error type of the service. Anything thrown in a request ends up in
 * the content-negotiated error handler as an AppError: `status` is the HTTP
 * status, `code` the machine-readable reason (Google's status name where one
 * applies) and `messageKey` the catalogue entry that explains it to a person.
 */
export interface AppErrorInit {
  status: number;
  code: string;
  /** Safe to show to the client (developers reading problem details). */
  detail?: string;
  /** i18n key of the page body explaining what happened and what to do; defaults by code. */
  messageKey?: string;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly code: string;
  readonly detail: string | undefined;
  readonly messageKey: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(init: AppErrorInit) {
    super(init.detail ?? init.code, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.messageKey = init.messageKey;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  get isServerError(): boolean {
    return this.status >= 500;
  }
}

export const notFound = (detail = 'Not found.') => new AppError({ status: 404, code: 'NOT_FOUND', detail });
export const badRequest = (detail: string, code = 'INVALID_ARGUMENT') => new AppError({ status: 400, code, detail });

/** body-parser's errors by type (its status stays): what went wrong with the body, said plainly. */
const BODY_PARSER_ERRORS = new Map<unknown, { code: string; detail: string }>([
  ['entity.parse.failed', { code: 'MALFORMED_BODY', detail: 'The request body is not well-formed JSON or form data.' }],
  ['entity.too.large', { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is larger than this service accepts.' }],
  ['parameters.too.many', { code: 'PAYLOAD_TOO_LARGE', detail: 'The form has more fields than this service accepts.' }],
  ['charset.unsupported', { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'The request body\'s charset is not supported; send UTF-8.' }],
  ['encoding.unsupported', { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'The request body\'s Content-Encoding is not supported.' }],
]);

/** Turns anything thrown into an AppError, keeping the original as the cause. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if ((error as { name?: unknown })?.name === 'ZodError') {
    return new AppError({ status: 400, code: 'INVALID_ARGUMENT', detail: 'A parameter of the request is not valid.', cause: error });
  }
  if (isStoreUnavailable(error)) {
    return new AppError({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: 'Session storage is unavailable; try again shortly.', cause: error });
  }
  const bodyError = BODY_PARSER_ERRORS.get((error as { type?: unknown })?.type);
  if (bodyError) return new AppError({ status: (error as { status: number }).status, ...bodyError, cause: error });
  const candidate = error as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
  const status = Number(candidate?.status ?? candidate?.statusCode);
  // Other http-errors (express, serve-static) with an exposed 4xx status.
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    const code = status === 403 ? 'FORBIDDEN' : 'BAD_REQUEST';
    const detail = candidate.expose === true && typeof candidate.message === 'string' ? candidate.message : undefined;
    return new AppError({ status, code, cause: error, ...(detail ? { detail } : {}) });
  }
  return new AppError({ status: 500, code: 'INTERNAL', detail: 'Something went wrong on our side.', cause: error });
}

/**
 * Redis (ioredis) failures while it is away or silent: the service is briefly unavailable, not broken. ioredis's
 * errors carry no codes, so they are known by their messages (src/adapters/redis/client.ts sets the options behind
 * each): no connection and no offline queue, a connection dropped under a command, a command unanswered in time.
 */
export function isStoreUnavailable(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  const text = `${String(e?.name ?? '')} ${String(e?.code ?? '')} ${String(e?.message ?? '')}`;
  return /RedisUnavailableError|MaxRetriesPerRequestError|max retries per request|Stream isn't writeable|Connection is closed|Command timed out|Command aborted due to connection close|Socket timeout|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/i.test(text);
}
