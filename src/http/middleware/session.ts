/**
 * Server-side sessions: HttpOnly, SameSite=Lax (Strict would drop the cookie
 * on Google's cross-site redirect back to the callback), Secure with the
 * __Host- prefix under https. Rolling idle timeout from the cookie's maxAge;
 * express-session has no absolute lifetime, so sign-ins older than the
 * absolute timeout are ended here. A session is stored only once something
 * is put in it (a started sign-in), never for an anonymous page view.
 */
import type { RequestHandler } from 'express';
import session, { type Store } from 'express-session';
import type { Config } from '../../config.ts';

export function sessionMiddleware(config: Config, store: Store): RequestHandler[] {
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

  const absoluteLifetime: RequestHandler = (req, _res, next) => {
    const user = req.session?.user;
    if (user && Date.now() - user.authenticatedAt > config.session.absoluteTimeoutMs) {
      req.session.regenerate((error) => next(error));
      return;
    }
    next();
  };

  return [sessions, absoluteLifetime];
}
