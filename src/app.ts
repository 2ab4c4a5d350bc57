/**
 * Builds the Express application from its dependencies: the domain services
 * over their adapters, and the HTTP layer over the domain. No listening, no
 * process concerns: src/server.ts runs it, tests build it directly.
 */
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { Store as SessionStore } from 'express-session';
import type { Store as RateLimitStore } from 'express-rate-limit';
import type { Logger } from 'pino';
import { CopyThread } from './adapters/copy-thread/copy-thread.ts';
import { createMediaClient, mediaFailure, type MediaClient } from './adapters/google/media-client.ts';
import { GoogleOAuth } from './adapters/google/oauth.ts';
import { isInvalidGrant, toGoogleAppError } from './adapters/google/google-error.ts';
import type { GoogleInstrumentation } from './adapters/google/instrumentation.ts';
import { PickerApi } from './adapters/google/picker-api.ts';
import type { Config } from './config.ts';
import { GoogleAccounts } from './domain/accounts.ts';
import { PickedMedia } from './domain/media.ts';
import { PickerSessions } from './domain/picker-sessions.ts';
import type { JobQueue, SharedStore } from './domain/ports.ts';
import { BackgroundWork } from './jobs/background-work.ts';
import { DomainEvents } from './domain/events.ts';
import { Imports } from './domain/imports.ts';
import { PickRequests } from './domain/pick-requests.ts';
import { Picks } from './domain/picks.ts';
import { Webhooks } from './domain/webhooks.ts';
import { createWebhookSender } from './adapters/webhooks/standard-webhook-sender.ts';
import { createDestination } from './adapters/storage/destinations.ts';
import { DestinationWatch } from './adapters/storage/destination-watch.ts';
import { SignIns } from './domain/sign-in.ts';
import { TokenVault } from './domain/token-vault.ts';
import { integerLiteralsOnly } from './http/inputs.ts';
import { createCsrf } from './http/middleware/csrf.ts';
import { errorHandler, notFoundHandler } from './http/middleware/error-handler.ts';
import { localeMiddleware } from './http/middleware/locale.ts';
import { serveMetrics, timeRequests } from './http/middleware/metrics.ts';
import { createLimiter } from './http/middleware/rate-limit.ts';
import { securityHeaders } from './http/middleware/security.ts';
import { sessionMiddleware } from './http/middleware/session.ts';
import { pickBinding } from './http/pick-binding.ts';
import { authRoutes } from './http/routes/auth.ts';
import { healthRoutes, type Readiness } from './http/routes/health.ts';
import { homeRoutes } from './http/routes/home.ts';
import { appsApiRoutes } from './http/routes/apps-api.ts';
import { embedRoutes } from './http/routes/embed.ts';
import { API_VERSION, openApiRoutes } from './http/openapi.ts';
import { importRoutes } from './http/routes/imports.ts';
import { pickFollowRoutes } from './http/routes/pick-follow.ts';
import { pickRoutes } from './http/routes/picks.ts';
import { pickerSessionRoutes } from './http/routes/picker-sessions.ts';
import { createSessionPage } from './http/session-page.ts';
import { createViews } from './http/views.ts';
import './http/session-data.ts';
import { createHttpLogger } from './logger.ts';
import { runWithLogger } from './observability/context.ts';
import { Metrics } from './observability/metrics.ts';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  sessionStore: SessionStore;
  sharedStore: SharedStore;
  /** Background work: imports, following sessions, deleting them at Google. Worked once `services.background.start()` runs. */
  jobs: JobQueue;
  readiness: Readiness;
  /** Shared rate-limit counters (Redis with replicas); in memory when absent. */
  rateLimitStore?: (name: string) => RateLimitStore | undefined;
  /** Subscribes to store connections dropped because the store stopped answering (counted in /metrics). */
  onStoreStall?: (listener: () => void) => void;
}

export interface Services {
  accounts: GoogleAccounts;
  pickerSessions: PickerSessions;
  media: PickedMedia;
  /** Absent when imports are off (no IMPORT_DESTINATION in production). */
  imports?: Imports;
  background: BackgroundWork;
  /** Host apps' picks, from the signed request to the webhook. */
  picks: Picks;
  /** Whether the import destination takes writes (for readiness); absent when imports are off. */
  destinationWatch?: DestinationWatch;
  metrics: Metrics;
}

export interface App {
  app: Express;
  services: Services;
}

const STATIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
/** An app's page asks about its pick about once a second; several people behind one address share the limit. */
const PICK_FOLLOW_PER_MINUTE = 600;

/** The domain over its adapters: what a request handler or a background job calls, with a user id. */
export function createServices(deps: Pick<AppDependencies, 'config' | 'logger' | 'sharedStore' | 'jobs'>, metrics: Metrics) {
  const { config, logger, sharedStore: store, jobs } = deps;
  // What the domain reports happened; the jobs layer (BackgroundWork) hears it and queues what follows.
  const events = new DomainEvents();
  const instrumentation: GoogleInstrumentation = {
    onCall: (method, outcome, seconds) => metrics.observeGoogleCall(method, outcome, seconds),
    onRetry: (method) => metrics.googleRetries.inc({ method }),
  };
  const oauth = new GoogleOAuth(config, instrumentation);
  const accounts = new GoogleAccounts({
    store,
    vault: new TokenVault(config.tokenKeys),
    oauth,
    pickerApi: (accessToken) => new PickerApi(config, accessToken, instrumentation),
    isInvalidGrant,
    refreshError: (error) => toGoogleAppError(error, 'the token refresh'),
    tokenTtlMs: config.session.absoluteTimeoutMs,
    logger,
    onRefresh: (outcome) => metrics.tokenRefreshes.inc({ outcome }),
  });
  const pickerSessions = new PickerSessions({
    store,
    accounts,
    events,
    logger,
    pollLockMs: config.upstreamTimeoutMs + 5_000,
    onEvent: (event) => metrics.pickerSessions.inc({ event }),
  });
  const pickedMedia = (client: MediaClient) => new PickedMedia({ store, accounts, sessions: pickerSessions, media: client, mediaFailure, mediaHosts: config.mediaHosts });
  const media = pickedMedia(createMediaClient({ timeoutMs: config.upstreamTimeoutMs }));
  const signIns = new SignIns({ store, api: oauth, accounts });
  const { destination: spec, s3Endpoint, s3Region } = config.imports;
  const destination = spec === null ? undefined : createDestination(spec, { s3Region, ...(s3Endpoint ? { s3Endpoint } : {}) });
  // Copies run on a thread of their own, downloads included (docs/decisions/0010); it starts with the first copy.
  const copyThread = new CopyThread({ timeoutMs: config.upstreamTimeoutMs });
  const imports = destination && new Imports({
    store,
    media: pickedMedia(copyThread.media),
    sessions: pickerSessions,
    destination: copyThread.destination(destination),
    logger,
    maxQueuedPerOwner: config.imports.maxQueuedPerOwner,
    onItem: ({ outcome, bytes, seconds }) => {
      metrics.importedItems.inc({ outcome });
      metrics.importedBytes.inc(bytes);
      metrics.importItemDuration.observe({ outcome }, seconds);
    },
  });
  const pickRequests = new PickRequests({ apps: config.apps, audience: config.publicUrl.href, store });
  const picks = new Picks({ store, sessions: pickerSessions, events });
  const webhooks = new Webhooks({
    picks,
    apps: config.apps,
    sender: createWebhookSender({ timeoutMs: config.webhooks.timeoutMs, apiVersion: API_VERSION }),
    ...(imports ? { imports } : {}),
    logger,
    onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
  });
  const background = new BackgroundWork({
    queue: jobs,
    events,
    sessions: pickerSessions,
    ...(imports ? { imports } : {}),
    picks,
    webhooks,
    logger,
    concurrency: config.imports.concurrency,
    attempts: config.imports.attempts,
    backoffMs: config.imports.backoffMs,
    completedGraceMs: config.reaper.completedGraceMs,
    webhookBackoffMs: config.webhooks.backoffMs,
  });
  metrics.watchQueue(jobs);
  const destinationWatch = destination && new DestinationWatch(destination, logger, (writable) => metrics.destinationWritable.set(writable ? 1 : 0), {
    minFreeBytes: config.imports.minFreeBytes,
  });
  return { accounts, pickerSessions, media, signIns, imports, background, destinationWatch, pickRequests, picks };
}

/** Starts this process's share of the background work: the job queue's workers, except in a web process (ROLE=web). */
export function startWork(config: Config, services: Services): void {
  if (config.role !== 'web') services.background.start();
}

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
  deps.onStoreStall?.(() => metrics.storeStalls.inc());
  const { accounts, pickerSessions, media, signIns, imports, background, destinationWatch, pickRequests, picks } = createServices(deps, metrics);
  const csrf = createCsrf(config);
  const views = createViews({ cache: config.isProduction, csrfToken: csrf.tokenFor });
  const sessionPage = createSessionPage({ views, media, picks, appName: (id) => pickRequests.app(id)?.name ?? id, ...(imports ? { imports } : {}) });

  app.use(createHttpLogger(deps.logger));
  app.use((req, _res, next) => runWithLogger(req.log, next));
  app.use(timeRequests(metrics));
  app.use(healthRoutes(deps.readiness));
  app.get('/metrics', serveMetrics(metrics));
  const services: Services = { accounts, pickerSessions, media, background, picks, metrics, ...(imports ? { imports } : {}), ...(destinationWatch ? { destinationWatch } : {}) };
  if (config.role === 'worker') {
    // A worker process serves nobody: its probes and metrics above, and 404 for everything else.
    app.use(securityHeaders(config));
    app.use(notFoundHandler);
    app.use(errorHandler(views));
    return { app, services };
  }
  app.use('/static', express.static(STATIC_DIR, { index: false, maxAge: config.isProduction ? '1h' : 0 }));
  app.use(securityHeaders(config));
  app.use(embedRoutes());
  // The API's document is public: before the API's authentication.
  app.use(openApiRoutes(config.publicUrl));
  // Host apps' API: a bearer secret, no cookies, no CSRF; before sessions, so it never touches one.
  app.use('/api/v1', appsApiRoutes({ apps: config.apps, picks, ...(imports ? { imports } : {}) }));
  const limiter = (name: string, windowMs: number, limit: number, key: 'ip' | 'user') => {
    const store = deps.rateLimitStore?.(name);
    return createLimiter({ name, windowMs, limit, key, ...(store ? { store } : {}) });
  };
  // An app's page following its pick with the pick's ticket: no cookie, no session, so before them.
  app.use(pickFollowRoutes({ apps: config.apps, picks, ...(imports ? { imports } : {}), limiter: limiter('pick-follow', 60_000, PICK_FOLLOW_PER_MINUTE, 'ip') }));
  app.use(express.urlencoded({ extended: false, limit: config.bodyLimitBytes, parameterLimit: 50 }));
  app.use(express.json({ limit: config.bodyLimitBytes, reviver: integerLiteralsOnly }));
  app.use(localeMiddleware(config));
  app.use(sessionMiddleware(config, deps.sessionStore));
  app.use(csrf.protect);

  const home = { accounts, pickerSessions, ...(imports ? { imports } : {}), views };
  app.use(homeRoutes(home));
  app.use(authRoutes({
    signIns,
    accounts,
    pickerSessions,
    signInLimiter: limiter('signin', 15 * 60_000, config.rateLimits.signInPer15Min, 'ip'),
    cookieName: config.session.cookieName,
  }));
  app.use(pickRoutes({ pickRequests, picks, views, binding: pickBinding({ secure: config.secureCookies }) }));
  app.use(importRoutes({ ...(imports ? { imports } : {}), background }));
  app.use(pickerSessionRoutes({
    pickerSessions,
    media,
    ...(imports ? { imports } : {}),
    sessionPage,
    views,
    home,
    createLimiter: limiter('sessions', 60_000, config.rateLimits.sessionsPerMinute, 'user'),
  }));

  app.use(notFoundHandler);
  app.use(errorHandler(views));
  return { app, services };
}
