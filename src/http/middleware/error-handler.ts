/**
 * The one error handler: RFC 9457 problem details for JSON clients, a page in
 * the user's language that says what happened and what to do for browsers.
 * 5xx details are logged, never shown.
 */
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, notFound, toAppError } from '../../errors.ts';
import type { Translate } from '../../i18n/core.ts';
import { wantsJson } from '../negotiate.ts';
import type { Views } from '../views.ts';

/** Which explanation a code gets when the thrower did not choose one. */
const MESSAGE_BY_CODE: Record<string, string> = {
  NOT_FOUND: 'error.notFound',
  CSRF_REJECTED: 'error.csrf',
  INVALID_STATE: 'error.invalidState',
  ACCESS_DENIED: 'error.accessDenied',
  SCOPE_NOT_GRANTED: 'error.scopeNotGranted',
  RESOURCE_EXHAUSTED: 'error.tooManySessions',
  PERMISSION_DENIED: 'error.permissionDenied',
  FAILED_PRECONDITION: 'error.notDone',
  UNAUTHENTICATED: 'error.notSignedIn',
  UNAVAILABLE: 'error.googleUnavailable',
  DEADLINE_EXCEEDED: 'error.googleTimeout',
  RATE_LIMITED: 'error.rateLimited',
  SERVICE_UNAVAILABLE: 'error.serviceUnavailable',
  MEDIA_HOST_NOT_ALLOWED: 'error.mediaHostNotAllowed',
  VIDEO_NOT_READY: 'error.videoNotReady',
  PAYLOAD_TOO_LARGE: 'error.payloadTooLarge',
  INTERNAL: 'error.internal',
  INVALID_ARGUMENT: 'error.badRequest',
  BAD_REQUEST: 'error.badRequest',
  MALFORMED_BODY: 'error.badRequest',
};

/** What a person can do next, by explanation. */
function actionsFor(messageKey: string, t: Translate, req: Request) {
  const home = { href: '/', label: t('error.action.home'), primary: false };
  const connect = { href: '/auth/google', label: t('error.action.connect'), primary: true };
  switch (messageKey) {
    case 'error.accessDenied':
    case 'error.scopeNotGranted':
    case 'error.invalidState':
      return [{ href: '/auth/google', label: t('error.action.retry'), primary: true }, home];
    case 'error.signedOutByGoogle':
    case 'error.permissionDenied':
    case 'error.notSignedIn':
    case 'error.noPhotosAccount':
      return [connect, home];
    case 'error.sessionExpired':
      return [{ href: '/', label: t('error.action.newSession'), primary: true }];
    case 'error.googleUnavailable':
    case 'error.googleTimeout':
    case 'error.serviceUnavailable':
    case 'error.tooManySessions':
    case 'error.rateLimited':
      return [{ href: req.method === 'GET' ? req.originalUrl : '/', label: t('error.action.retry'), primary: true }, home];
    default:
      return [{ ...home, primary: true }];
  }
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

export function errorHandler(views: Views): ErrorRequestHandler {
  return (thrown, req, res, next) => {
    const error = toAppError(thrown);
    if (error.isServerError) req.log?.error({ err: thrown, code: error.code }, 'request failed');
    else req.log?.warn({ code: error.code, detail: error.detail }, 'request refused');
    if (res.headersSent) {
      // A stream already started: all that is left is to cut it.
      res.destroy();
      return;
    }
    if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
    res.set('Cache-Control', 'no-store');

    const t = res.locals.t as Translate | undefined;
    const messageKey = error.messageKey ?? MESSAGE_BY_CODE[error.code] ?? (error.isServerError ? 'error.internal' : 'error.generic');
    const values = { seconds: error.retryAfterSeconds ?? 60 };
    const title = t ? t(`${messageKey}.title`, values) : error.code;
    const detail = error.isServerError && error.code === 'INTERNAL' ? 'Something went wrong on our side.' : error.detail;

    if (wantsJson(req) || !t) {
      res.status(error.status).type('application/problem+json').send(JSON.stringify({
        type: 'about:blank',
        title,
        status: error.status,
        detail: detail ?? title,
        code: error.code,
        ...(req.id ? { requestId: String(req.id) } : {}),
      }));
      return;
    }
    try {
      views.render(req, res, 'error', {
        title,
        message: t(`${messageKey}.body`, values),
        actions: actionsFor(messageKey, t, req),
        requestId: error.isServerError ? String(req.id ?? '') : '',
      }, error.status);
    } catch (renderError) {
      next(renderError);
    }
  };
}

export { AppError };
