/**
 * Server-side sessions: HttpOnly, SameSite=Lax (Strict would drop the cookie
 * on Google's cross-site redirect back to the callback), Secure with the
 * __Host- prefix under https. Rolling idle timeout from the cookie's maxAge;
 * express-session has no absolute lifetime, so sign-ins older than the
 * absolute timeout are ended here.
 */
import type { Request, RequestHandler } from 'express';
import session, { type SessionData, type Store } from 'express-session';
import type { Config } from '../../config.ts';

/** The stored expiry of the session as it was loaded; a symbol, so it is never stored itself. */
const STORED_EXPIRY = Symbol('stored session expiry');
type LoadedSession = Partial<SessionData> & { [STORED_EXPIRY]?: number };

/** Records the expiry the store now holds for this session, for the lazy touch to compare against. */
function recordStoredExpiry(session: object, expires: Date | undefined | null): void {
  if (expires) Object.defineProperty(session, STORED_EXPIRY, { value: expires.getTime(), configurable: true });
}

/** How stale the stored expiry may get before a request refreshes it: a tenth of the idle timeout, at most a minute. */
const touchIntervalMs = (idleTimeoutMs: number) => Math.min(60_000, Math.floor(idleTimeoutMs / 10));

/**
 * With a rolling cookie express-session touches the stored session on every
 * request that does not change it: every poll. memorystore does that by
 * parsing and re-serialising the whole session, Redis with an EXPIRE. Here a
 * touch is skipped while the stored expiry is less than `afterMs` older than
 * the new one (connect-mongo's touchAfter), so the store may let an idle
 * session go at most `afterMs` early. The browser's cookie still rolls.
 */
function touchLazily(store: Store, afterMs: number): void {
  const touch = store.touch?.bind(store);
  if (!touch || afterMs <= 0) return;
  store.touch = (sid, data, callback) => {
    const stored = (data as LoadedSession)[STORED_EXPIRY];
    const next = data.cookie.expires?.getTime();
    if (stored !== undefined && next !== undefined && next - stored < afterMs) {
      callback?.();
      return;
    }
    touch(sid, data, callback);
  };
}

/**
 * Stores the session now, with its expiry rolled forward, so that a handler can send this write together with
 * its own store writes: one Redis round trip instead of two in a row. When the answer goes out express-session
 * finds the session saved and unchanged, and neither saves nor touches it again.
 */
export function saveSessionNow(req: Request): Promise<void> {
  req.session.touch();
  recordStoredExpiry(req.session, req.session.cookie.expires);
  return new Promise((resolve, reject) => req.session.save((error: unknown) => (error ? reject(error) : resolve())));
}

export function sessionMiddleware(config: Config, store: Store): RequestHandler[] {
  touchLazily(store, touchIntervalMs(config.session.idleTimeoutMs));
  const sessions = session({
    name: config.session.cookieName,
    secret: [...config.session.secrets],
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: config.trustProxy !== false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      path: '/',
      maxAge: config.session.idleTimeoutMs,
    },
  });

  // express-session rolls the expiry forward only when the answer's headers go out, so here it is still the stored one.
  const rememberStoredExpiry: RequestHandler = (req, _res, next) => {
    if (req.session) recordStoredExpiry(req.session, req.session.cookie?.expires);
    next();
  };

  const absoluteLifetime: RequestHandler = (req, _res, next) => {
    const user = req.session?.user;
    if (user && Date.now() - user.authenticatedAt > config.session.absoluteTimeoutMs) {
      req.session.regenerate((error) => next(error));
      return;
    }
    next();
  };

  return [sessions, rememberStoredExpiry, absoluteLifetime];
}
