/** Google's error envelope (google.rpc.Status over HTTP) and the bearer-token checks every API shares. */
import type { Request, Response } from 'express';

const HTTP_BY_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 400, OUT_OF_RANGE: 400, UNAUTHENTICATED: 401, PERMISSION_DENIED: 403,
  NOT_FOUND: 404, ALREADY_EXISTS: 409, ABORTED: 409, RESOURCE_EXHAUSTED: 429, CANCELLED: 499, INTERNAL: 500, UNKNOWN: 500,
  UNIMPLEMENTED: 501, UNAVAILABLE: 503, DEADLINE_EXCEEDED: 504,
};

export const STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED', 429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL', 501: 'UNIMPLEMENTED', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

export function googleError(res: Response, status: string, message: string, options: { reason?: string; method?: string; httpStatus?: number } = {}): void {
  const code = options.httpStatus ?? HTTP_BY_STATUS[status] ?? 500;
  res.status(code).json({
    error: {
      code,
      message,
      status,
      ...(options.reason
        ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: options.reason, domain: 'googleapis.com', metadata: { service: 'photospicker.googleapis.com', ...(options.method ? { method: options.method } : {}) } }] }
        : {}),
    },
  });
}

export function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

export function unauthenticated(res: Response, presented: boolean, method: string): void {
  if (presented) res.set('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
  googleError(
    res,
    'UNAUTHENTICATED',
    presented
      ? 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
      : 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { reason: presented ? 'ACCESS_TOKEN_TYPE_UNSUPPORTED' : 'CREDENTIALS_MISSING', method },
  );
}
