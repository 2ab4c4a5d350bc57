/**
 * A faithful offline Google for the gateway and its tests: OAuth 2.0 (consent
 * page, token, revoke, userinfo), OpenID Connect (discovery, JWKS, signed
 * id_tokens), the Photos Picker API, the picker page and
 * media bytes, on one origin of its own. Knobs, injected faults and a request
 * log make it easy to drive; the same controls are served under /__emulator/.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { STATUS_BY_HTTP, bearer, googleError } from './google-errors.ts';
import { MediaRenderer, mediaRoutes } from './media.ts';
import { oauthRoutes } from './oauth.ts';
import { IdTokenSigner, OPENID_PATHS, openidRoutes } from './openid.ts';
import { pickerApiRoutes } from './picker-api.ts';
import { pickerUiRoutes } from './picker-ui.ts';
import { ACCOUNTS, EmulatorState } from './state.ts';

export { directAccessToken } from './direct-token.ts';
export { PICKER_SCOPE } from './state.ts';

export interface EmulatorClient { clientId: string; clientSecret: string; redirectUris: string[] }

export interface EmulatorKnobs {
  accessTokenTtlSeconds: number;
  authCodeTtlSeconds: number;
  pollIntervalSeconds: number;
  pickingTimeoutSeconds: number;
  sessionTtlSeconds: number;
  baseUrlTtlSeconds: number;
  maxOpenSessionsPerUser: number;
  latencyMs: number;
  /** Media bodies are sent at most this fast (0: as fast as the client reads), so a test can catch a copy mid-way. */
  mediaBytesPerSecond: number;
  /** Show the consent page on every sign-in, as if each asked with prompt=consent (Google asks only when the grant changes). */
  alwaysShowConsent: boolean;
  /** sessions.create skips names a PickingSession does not have instead of answering INVALID_ARGUMENT (Google refuses them). */
  acceptUnknownFields: boolean;
  /** The next media body is cut off (its connection dropped) after this many bytes, once; 0: none is. */
  mediaCutAfterBytes: number;
  /**
   * The picker's pages send this Cross-Origin-Opener-Policy ('': none, as now): whether Google's picker page severs
   * the opener of the window it opens in is not documented, and `same-origin` shows what a client sees if it does.
   */
  pickerOpenerPolicy: string;
}

export const DEFAULT_KNOBS: Readonly<EmulatorKnobs> = {
  accessTokenTtlSeconds: 3599,
  authCodeTtlSeconds: 600,
  pollIntervalSeconds: 5,
  pickingTimeoutSeconds: 1800,
  sessionTtlSeconds: 3600,
  baseUrlTtlSeconds: 3600,
  maxOpenSessionsPerUser: 10,
  latencyMs: 0,
  mediaBytesPerSecond: 0,
  alwaysShowConsent: false,
  acceptUnknownFields: false,
  mediaCutAfterBytes: 0,
  pickerOpenerPolicy: '',
};

export interface EmulatorFault {
  method?: string;
  path: string;
  status?: number;
  googleStatus?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
  hang?: boolean;
  drop?: boolean;
  times?: number;
}

export interface RequestLogEntry {
  seq: number;
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  kind: 'oauth' | 'picker' | 'media' | 'ui';
  status: number | null;
  account?: string;
  authorization: 'none' | 'valid' | 'invalid';
  aborted?: boolean;
  durationMs?: number;
  /** Media only: the Range the request asked for, and how many bytes of body were sent. */
  range?: string;
  bytes?: number;
}

/** An item a test adds to a library: bytes given as text (UTF-8) or base64. */
export interface AddedItem {
  id?: string;
  type?: 'PHOTO' | 'VIDEO';
  filename?: string;
  mimeType: string;
  text?: string;
  base64?: string;
}

export interface EmulatorOptions {
  publicUrl?: string;
  mediaUrl?: string;
  clients?: EmulatorClient[];
  knobs?: Partial<EmulatorKnobs>;
  librarySize?: number;
  /** Synthetic READY videos of this size at the end of every library, streamed (for benchmarks and large copies). */
  largeVideoBytes?: number;
  /** How many such videos (default 1), each with bytes of its own. */
  largeVideoCount?: number;
  /** Accounts user1@example.com … userN@example.com besides the demo ones, for load tests of many people. */
  extraAccounts?: number;
  logger?: { info(obj: object, msg?: string): void };
}

export interface Emulator {
  readonly url: string;
  listen(port?: number, host?: string): Promise<void>;
  close(): Promise<void>;
  readonly app: Express;
  knobs: EmulatorKnobs;
  registerClient(client: EmulatorClient): void;
  injectFault(fault: EmulatorFault): void;
  clearFaults(): void;
  readonly requests: readonly RequestLogEntry[];
  clearRequests(): void;
  pick(sessionId: string, selection: { count?: number; itemIds?: string[] }): void;
  expireSession(sessionId: string): void;
  expireAccessTokens(account?: string): void;
  revokeGrants(account: string): void;
  /** The baseUrls handed out so far (for one session, or all) stop working now, as they do after 60 minutes. */
  expireBaseUrls(sessionId?: string): void;
  /** A video still PROCESSING becomes READY: its next listing says so and =dv serves it. */
  finishProcessing(itemId: string): void;
  /** A synthetic video's bytes change (as an edit would change them): a new version, with an ETag of its own. */
  changeBytes(itemId: string): void;
  /** The account's library in picker order, to pick particular items by id. */
  library(account: string): Array<{ id: string; type: 'PHOTO' | 'VIDEO'; filename?: string; processingStatus?: string }>;
  /**
   * Adds an item with bytes of its own at the end of the account's library, listed and served as Google would with
   * the type given (text/html, image/svg+xml, …) and the id given (any text), without a filename when none is given.
   * Answers its id.
   */
  addItem(account: string, item: AddedItem): { id: string };
  sessionsOf(account: string): Array<{ id: string; deleted: boolean; mediaItemsSet: boolean; expireTime: string }>;
  readonly accounts: ReadonlyArray<{ email: string; name: string; hasPhotos: boolean }>;
}

const OPENID_ENDPOINTS = new Set<string>(Object.values(OPENID_PATHS));

function kindOf(path: string): RequestLogEntry['kind'] {
  if (OPENID_ENDPOINTS.has(path)) return 'oauth';
  if (path.startsWith('/v1/')) return 'picker';
  if (path.startsWith('/lh/')) return 'media';
  if (path.startsWith('/o/oauth2') || path === '/token' || path === '/revoke' || path.startsWith('/oauth2/')) return 'oauth';
  return 'ui';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const largeVideos = options.largeVideoBytes ? { bytes: options.largeVideoBytes, count: options.largeVideoCount ?? 1 } : undefined;
  const state = new EmulatorState(options.librarySize ?? 24, largeVideos, options.extraAccounts);
  const knobs: EmulatorKnobs = { ...DEFAULT_KNOBS, ...options.knobs };
  const faults: Array<EmulatorFault & { remaining: number }> = [];
  const log: RequestLogEntry[] = [];
  let seq = 0;
  let publicUrl = options.publicUrl?.replace(/\/$/, '') ?? '';
  let mediaUrl = options.mediaUrl?.replace(/\/$/, '') ?? '';
  const renderer = new MediaRenderer();
  const signer = new IdTokenSigner();
  for (const client of options.clients ?? []) state.registerClient(client.clientId, client.clientSecret, client.redirectUris);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const controls = express.Router();
  controls.use(express.json());

  const emulator: Emulator = {
    get url() {
      return publicUrl;
    },
    app,
    knobs,
    accounts: ACCOUNTS.map(({ email, name, hasPhotos }) => ({ email, name, hasPhotos })),
    async listen(port = 0, host = '127.0.0.1') {
      await signer.ready();
      server.listen(port, host);
      await once(server, 'listening');
      const address = server.address() as AddressInfo;
      const own = `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
      publicUrl ||= own;
      mediaUrl ||= publicUrl;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    registerClient(client) {
      state.registerClient(client.clientId, client.clientSecret, client.redirectUris);
    },
    injectFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    get requests() {
      return log;
    },
    clearRequests() {
      log.length = 0;
    },
    pick(sessionId, selection) {
      const session = state.sessions.get(sessionId);
      if (!session || session.deleted) throw new Error(`no picker session ${sessionId}`);
      const library = state.library(session.owner);
      const ids = selection.itemIds ?? library.slice(0, selection.count ?? 1).map((item) => item.id);
      if (ids.length === 0 || ids.length > session.maxItemCount) throw new Error(`cannot pick ${ids.length} items (max ${session.maxItemCount})`);
      const unknown = ids.filter((id) => !state.item(session.owner, id));
      if (unknown.length > 0) throw new Error(`not in the library: ${unknown.join(', ')}`);
      session.picked = library.map((item) => item.id).filter((id) => ids.includes(id));
    },
    expireSession(sessionId) {
      const session = state.sessions.get(sessionId);
      if (!session) throw new Error(`no picker session ${sessionId}`);
      state.expireSession(session);
    },
    expireAccessTokens(account) {
      for (const record of state.accessTokens.values()) if (!account || record.grant.account.email === account) record.expiresAt = Date.now();
    },
    revokeGrants(account) {
      for (const grant of state.grants) if (grant.account.email === account) state.killGrant(grant);
      const revoked = state.account(account);
      if (revoked) state.forgetConsents(revoked);
    },
    expireBaseUrls(sessionId) {
      const now = Date.now();
      for (const grant of state.mediaGrants.values()) if (!sessionId || grant.sessionId === sessionId) grant.expiresAt = Math.min(grant.expiresAt, now);
    },
    finishProcessing(itemId) {
      const item = [...state.libraries.values()].flat().find((candidate) => candidate.id === itemId);
      if (item?.type !== 'VIDEO') throw new Error(`no video ${itemId} in any library`);
      item.processingStatus = 'READY';
    },
    changeBytes(itemId) {
      const item = [...state.libraries.values()].flat().find((candidate) => candidate.id === itemId);
      if (item?.syntheticBytes === undefined) throw new Error(`no synthetic video ${itemId} in any library`);
      item.syntheticVariant = (item.syntheticVariant ?? 0) + 1_000;
    },
    library(account) {
      const owner = state.account(account);
      if (!owner) throw new Error(`no account ${account}`);
      return state.library(owner).map(({ id, type, filename, processingStatus }) => ({
        id, type, ...(filename === undefined ? {} : { filename }), ...(processingStatus ? { processingStatus } : {}),
      }));
    },
    addItem(account, added) {
      const owner = state.account(account);
      if (!owner?.hasPhotos) throw new Error(`no library for ${account}`);
      if (typeof added?.mimeType !== 'string' || (typeof added.text !== 'string') === (typeof added.base64 !== 'string')) {
        throw new Error('an added item needs a mimeType and either text or base64');
      }
      const library = state.library(owner);
      const id = added.id ?? `AF1Qip${randomBytes(24).toString('base64url')}`;
      if (typeof id !== 'string' || id === '' || library.some((item) => item.id === id)) throw new Error(`the id ${id} is taken or empty`);
      const type = added.type === 'VIDEO' ? 'VIDEO' : 'PHOTO';
      library.push({
        id, index: library.length, type, mimeType: added.mimeType, width: 320, height: 240, createTime: new Date().toISOString(),
        ...(typeof added.filename === 'string' ? { filename: added.filename } : {}),
        ...(type === 'VIDEO' ? { processingStatus: 'READY' as const } : {}),
        bytes: typeof added.text === 'string' ? Buffer.from(added.text, 'utf8') : Buffer.from(added.base64!, 'base64'),
      });
      return { id };
    },
    sessionsOf(account) {
      return [...state.sessions.values()]
        .filter((session) => session.owner.email === account)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((session) => ({ id: session.id, deleted: session.deleted, mediaItemsSet: session.picked !== null, expireTime: new Date(session.expireAt).toISOString() }));
    },
  };

  // ---- control API, outside the log and the faults ----
  controls.get('/requests', (req, res) => {
    const { method, path } = req.query;
    res.json(log.filter((entry) => (typeof method !== 'string' || entry.method === method.toUpperCase()) && (typeof path !== 'string' || entry.path === path)));
  });
  controls.delete('/requests', (_req, res) => {
    emulator.clearRequests();
    res.status(204).end();
  });
  controls.get('/knobs', (_req, res) => void res.json(knobs));
  controls.post('/knobs', (req, res) => {
    for (const [key, value] of Object.entries(req.body as Record<string, unknown>)) {
      if (!(key in knobs) || typeof value !== typeof knobs[key as keyof EmulatorKnobs]) continue;
      if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) Object.assign(knobs, { [key]: value });
    }
    res.json(knobs);
  });
  controls.post('/faults', (req, res) => {
    const fault = req.body as EmulatorFault;
    if (typeof fault?.path !== 'string') return void res.status(400).json({ error: 'path is required' });
    emulator.injectFault(fault);
    res.status(204).end();
  });
  controls.delete('/faults', (_req, res) => {
    emulator.clearFaults();
    res.status(204).end();
  });
  /** Runs a control: 204, or its answer as JSON when it has one; 400 with the reason when it throws. */
  const control = (action: (req: Request) => unknown) => (req: Request, res: Response) => {
    try {
      const answer = action(req);
      if (answer === undefined) res.status(204).end();
      else res.json(answer);
    } catch (error) {
      res.status(400).json({ error: (error as Error).message });
    }
  };
  controls.post('/sessions/:id/pick', control((req) => emulator.pick(String(req.params.id), req.body as { count?: number; itemIds?: string[] })));
  controls.post('/sessions/:id/expire', control((req) => emulator.expireSession(String(req.params.id))));
  controls.post('/tokens/expire', control((req) => emulator.expireAccessTokens((req.body as { account?: string })?.account)));
  controls.post('/grants/revoke', control((req) => emulator.revokeGrants(String((req.body as { account?: string })?.account))));
  controls.post('/base-urls/expire', control((req) => emulator.expireBaseUrls((req.body as { sessionId?: string })?.sessionId)));
  controls.post('/items/:id/finish-processing', control((req) => emulator.finishProcessing(String(req.params.id))));
  controls.get('/library', control((req) => emulator.library(String(req.query.account ?? 'alice@example.com'))));
  controls.post('/library/items', control((req) => {
    const { account = 'alice@example.com', ...item } = (req.body ?? {}) as AddedItem & { account?: string };
    return emulator.addItem(String(account), item);
  }));
  app.use('/__emulator', controls);

  // ---- every other request: logged, delayed, maybe faulted ----
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const started = Date.now();
    const presented = bearer(req);
    const access = state.validToken(presented);
    const entry: RequestLogEntry = {
      seq: ++seq,
      at: started,
      method: req.method,
      path: req.path,
      query: Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)])),
      kind: kindOf(req.path),
      status: null,
      authorization: !presented ? 'none' : access ? 'valid' : 'invalid',
      ...(access ? { account: access.grant.account.email } : {}),
      ...(req.get('range') ? { range: req.get('range') } : {}),
    };
    log.push(entry);
    const bodyBytes = () => (typeof res.locals.bodyBytes === 'number' ? { bytes: res.locals.bodyBytes } : {});
    res.once('finish', () => {
      entry.status = res.statusCode;
      entry.durationMs = Date.now() - started;
      Object.assign(entry, bodyBytes());
    });
    res.once('close', () => {
      if (!res.writableFinished) {
        entry.aborted = true;
        entry.status ??= res.headersSent ? res.statusCode : null;
        entry.durationMs = Date.now() - started;
        Object.assign(entry, bodyBytes());
      }
    });
    options.logger?.info({ method: req.method, path: req.path }, 'emulator request');

    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    const fault = faults.find((f) => f.remaining > 0 && req.path.startsWith(f.path) && (!f.method || f.method.toUpperCase() === req.method));
    if (!fault) return next();
    fault.remaining--;
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.hang) return; // never answer; the caller gives up
    if (fault.drop) return void req.socket.destroy();
    if (!fault.status) return next();
    if (fault.retryAfterSeconds !== undefined) res.set('Retry-After', String(fault.retryAfterSeconds));
    const status = fault.googleStatus ?? STATUS_BY_HTTP[fault.status] ?? (fault.status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
    if (entry.kind === 'oauth') {
      res.status(fault.status).json({ error: fault.status >= 500 ? 'internal_failure' : status.toLowerCase(), error_description: 'Injected fault' });
      return;
    }
    if (entry.kind === 'media') return void res.status(fault.status).type('text/plain').send('Injected fault');
    googleError(res, status, `Injected fault (${status}).`, { httpStatus: fault.status });
  });

  app.use(oauthRoutes(state, knobs, signer, () => publicUrl));
  app.use(openidRoutes(state, signer, () => publicUrl));
  app.use(pickerApiRoutes(state, knobs, () => ({ publicUrl, mediaUrl })));
  app.use(pickerUiRoutes(state, renderer, knobs));
  app.use(mediaRoutes(state, renderer, knobs));
  app.use((_req, res) => void res.status(404).type('text/plain').send('Not Found'));
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    res.status(400).json({ error: { code: 400, message: error.message, status: 'INVALID_ARGUMENT' } });
  });

  const server: Server = createServer(app);
  // Google keeps idle connections open for minutes, not Node's default 5 s: a client that reuses one after a few idle
  // seconds (a benchmark between rounds) must not meet a reset Google would not send.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return emulator;
}
