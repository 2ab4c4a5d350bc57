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

/** A field a request got wrong, as google.rpc.BadRequest lists it (`field` is the proto path, when there is one). */
export interface FieldViolation { field?: string; description: string }

export function googleError(
  res: Response,
  status: string,
  message: string,
  options: { reason?: string; method?: string; httpStatus?: number; fieldViolations?: FieldViolation[] } = {},
): void {
  const code = options.httpStatus ?? HTTP_BY_STATUS[status] ?? 500;
  const details = [
    ...(options.reason
      ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: options.reason, domain: 'googleapis.com', metadata: { service: 'photospicker.googleapis.com', ...(options.method ? { method: options.method } : {}) } }]
      : []),
    ...(options.fieldViolations ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: options.fieldViolations }] : []),
  ];
  res.status(code).json({ error: { code, message, status, ...(details.length > 0 ? { details } : {}) } });
}

export function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/**
 * The challenge Google sends with a 401 or a scope 403 (RFC 6750 §3): the realm alone when no token came, `invalid_token`
 * for a bad one, `insufficient_scope` with the scope needed.
 */
export function bearerChallenge(error?: 'invalid_token' | 'insufficient_scope', scope?: string): string {
  return ['Bearer realm="https://accounts.google.com/"', ...(error ? [`error="${error}"`] : []), ...(scope ? [`scope="${scope}"`] : [])].join(', ');
}

export function unauthenticated(res: Response, presented: boolean, method: string): void {
  res.set('WWW-Authenticate', bearerChallenge(presented ? 'invalid_token' : undefined));
  googleError(
    res,
    'UNAUTHENTICATED',
    presented
      ? 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
      : 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { reason: presented ? 'ACCESS_TOKEN_TYPE_UNSUPPORTED' : 'CREDENTIALS_MISSING', method },
  );
}
