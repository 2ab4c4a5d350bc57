/**
 * The one error handler: RFC 9457 problem details for JSON clients, a page in
 * the user's language that says what happened and what to do for browsers,
 * also for errors raised before the locale middleware ran (a malformed body).
 * 5xx details are logged, never shown. Errors raised once the answer has gone
 * out (express-session saving the session as the answer ends) are logged
 * here too, through pino, rather than by Express's default handler on stderr.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError, notFound, toAppError } from '../../errors.ts';
import type { Translate } from '../../i18n/core.ts';
import { localize } from './locale.ts';
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
  UNSUPPORTED_MEDIA_TYPE: 'error.unsupportedMediaType',
  MALFORMED_BODY: 'error.malformedBody',
  INTERNAL: 'error.internal',
  INVALID_ARGUMENT: 'error.badRequest',
  BAD_REQUEST: 'error.badRequest',
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
    case 'error.mediaBusy':
    case 'error.rateLimited':
      return [{ href: req.method === 'GET' ? req.originalUrl : '/', label: t('error.action.retry'), primary: true }, home];
    default:
      return [{ ...home, primary: true }];
  }
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

/**
 * After the answer's headers went out only the log is left; a body still being sent is cut short, so the client
 * sees the failure rather than a truncated answer that looks whole.
 */
function afterAnswer(thrown: unknown, req: Request, res: Response): void {
  req.log?.error({ err: thrown }, 'request failed after its answer was sent');
  if (!res.writableEnded) res.destroy();
}

export function errorHandler(views: Views): ErrorRequestHandler[] {
  const answer: ErrorRequestHandler = (thrown, req, res, next) => {
    if (res.headersSent) {
      afterAnswer(thrown, req, res);
      return;
    }
    const error = toAppError(thrown);
    if (error.isServerError) req.log?.error({ err: thrown, code: error.code }, 'request failed');
    else req.log?.warn({ code: error.code, detail: error.detail }, 'request refused');
    if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
    res.set('Cache-Control', 'no-store');

    const t = (res.locals.t as Translate | undefined) ?? localize(req, res);
    const messageKey = error.messageKey ?? MESSAGE_BY_CODE[error.code] ?? (error.isServerError ? 'error.internal' : 'error.generic');
    const values = { seconds: error.retryAfterSeconds ?? 60 };
    const title = t(`${messageKey}.title`, values);
    // Our own failures are logged, not described; an error from Google carries its own explanation.
    const detail = error.isServerError && error.code === 'INTERNAL' && !error.messageKey ? 'Something went wrong on our side.' : error.detail;

    if (wantsJson(req)) {
      res.status(error.status).type('application/problem+json').send(JSON.stringify({
        type: 'about:blank',
        title,
        status: error.status,
        detail: detail ?? title,
        code: error.code,
        // For people, in their language: what to do, and where to go (a page's script shows them as the page would).
        advice: t(`${messageKey}.body`, values),
        actions: actionsFor(messageKey, t, req).map(({ href, label }) => ({ href, label })),
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

  /** Last in line: errors from after the answer, or from rendering the error page itself. */
  const last: ErrorRequestHandler = (thrown, req, res, _next) => {
    if (res.headersSent) {
      afterAnswer(thrown, req, res);
      return;
    }
    req.log?.error({ err: thrown }, 'the error page could not be rendered');
    res.status(500).set('Cache-Control', 'no-store').type('text/plain').send('Something went wrong on our side.');
  };

  return [answer, last];
}

