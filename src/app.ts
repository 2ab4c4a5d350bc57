/**
 * Builds the Express application from its dependencies. No listening, no
 * process concerns: src/server.ts runs it, tests build it directly.
 */
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { Store as SessionStore } from 'express-session';
import type { Store as RateLimitStore } from 'express-rate-limit';
import type { Logger } from 'pino';
import { GoogleAccounts } from './auth/google-account.ts';
import { TokenVault } from './auth/token-vault.ts';
import type { Config } from './config.ts';
import { GoogleOAuth } from './google/oauth.ts';
import { integerLiteralsOnly } from './http/inputs.ts';
import { createCsrf } from './http/middleware/csrf.ts';
import { errorHandler, notFoundHandler } from './http/middleware/error-handler.ts';
import { localeMiddleware } from './http/middleware/locale.ts';
import { createLimiter } from './http/middleware/rate-limit.ts';
import { securityHeaders } from './http/middleware/security.ts';
import { saveSessionNow, sessionMiddleware } from './http/middleware/session.ts';
import { authRoutes } from './http/routes/auth.ts';
import { healthRoutes, type Readiness } from './http/routes/health.ts';
import { homeRoutes } from './http/routes/home.ts';
import { pickerSessionRoutes } from './http/routes/picker-sessions.ts';
import { createViews } from './http/views.ts';
import { createHttpLogger } from './logger.ts';
import { MediaItems } from './picker/media-items.ts';
import { BufferReclaimer, minorCollector } from './picker/buffer-reclaimer.ts';
import { MediaProxy } from './picker/media-proxy.ts';
import { PickerSessions } from './picker/picker-sessions.ts';
import { Reaper } from './picker/reaper.ts';
import { createSessionPage } from './http/session-page.ts';
import { Metrics } from './observability/metrics.ts';
import type { GoogleInstrumentation } from './google/instrumentation.ts';
import type { SharedCache } from './store/shared-cache.ts';
import './auth/session-data.ts';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  sessionStore: SessionStore;
  sharedCache: SharedCache;
  readiness: Readiness;
  /** Shared rate-limit counters (Redis with replicas); in memory when absent. */
  rateLimitStore?: (name: string) => RateLimitStore | undefined;
  /** Subscribes to store connections dropped because the store stopped answering (counted in /metrics). */
  onStoreStall?: (listener: () => void) => void;
  /** A young-generation collection, run after every few MiB of media streamed; V8's own by default. */
  collectYoungGarbage?: () => void;
}

export interface App {
  app: Express;
  services: { accounts: GoogleAccounts; pickerSessions: PickerSessions; oauth: GoogleOAuth; reaper: Reaper; metrics: Metrics };
}

const STATIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

export function createApp(deps: AppDependencies): App {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  // Every dynamic answer is per user and no-store (pages carry a fresh nonce): an ETag would only cost a hash of each
  // body. Static files keep theirs (express.static sets its own).
  app.set('etag', false);

  const metrics = new Metrics();
  const instrumentation: GoogleInstrumentation = {
    onCall: (method, outcome, seconds) => metrics.observeGoogleCall(method, outcome, seconds),
    onRetry: (method) => metrics.googleRetries.inc({ method }),
  };
  const onPickerEvent = (event: string) => metrics.pickerSessions.inc({ event });
  deps.onStoreStall?.(() => metrics.storeStalls.inc());
  const oauth = new GoogleOAuth(config, instrumentation);
  const accounts = new GoogleAccounts(config, oauth, new TokenVault(config.tokenKeys), {
    instrumentation,
    onRefresh: (outcome) => metrics.tokenRefreshes.inc({ outcome }),
  });
  const pickerSessions = new PickerSessions(accounts, deps.sharedCache, {
    completedGraceMs: config.reaper.completedGraceMs,
    saveSession: saveSessionNow,
    onEvent: onPickerEvent,
  });
  const mediaItems = new MediaItems(accounts, pickerSessions, deps.sharedCache);
  const mediaProxy = new MediaProxy(config, accounts, mediaItems, new BufferReclaimer(deps.collectYoungGarbage ?? minorCollector()));
  const reaper = new Reaper({ store: deps.sessionStore, cache: deps.sharedCache, accounts, logger: deps.logger, onEvent: onPickerEvent });
  const csrf = createCsrf(config);
  const views = createViews({ cache: config.isProduction, csrfToken: csrf.tokenFor });
  const sessionPage = createSessionPage(views, mediaItems);

  app.use(createHttpLogger(deps.logger));
  app.use(metrics.middleware());
  app.use(healthRoutes(deps.readiness));
  app.get('/metrics', metrics.handler());
  app.use('/static', express.static(STATIC_DIR, { index: false, maxAge: config.isProduction ? '1h' : 0 }));
  app.use(securityHeaders(config));
  app.use(express.urlencoded({ extended: false, limit: config.bodyLimitBytes, parameterLimit: 50 }));
  app.use(express.json({ limit: config.bodyLimitBytes, reviver: integerLiteralsOnly }));
  app.use(localeMiddleware(config));
  app.use(sessionMiddleware(config, deps.sessionStore));
  app.use(csrf.protect);

  const signInLimiter = createLimiter({
    name: 'signin', windowMs: 15 * 60_000, limit: config.rateLimits.signInPer15Min, key: 'ip',
    ...(deps.rateLimitStore?.('signin') ? { store: deps.rateLimitStore('signin')! } : {}),
  });
  const sessionLimiter = createLimiter({
    name: 'sessions', windowMs: 60_000, limit: config.rateLimits.sessionsPerMinute, key: 'user',
    ...(deps.rateLimitStore?.('sessions') ? { store: deps.rateLimitStore('sessions')! } : {}),
  });

  app.use(homeRoutes({ accounts, pickerSessions, views }));
  app.use(authRoutes({ oauth, accounts, pickerSessions, signInLimiter, cookieName: config.session.cookieName }));
  app.use(pickerSessionRoutes({ accounts, pickerSessions, mediaItems, mediaProxy, sessionPage, views, createLimiter: sessionLimiter }));

  app.use(notFoundHandler);
  app.use(errorHandler(views));
  return { app, services: { accounts, pickerSessions, oauth, reaper, metrics } };
}
