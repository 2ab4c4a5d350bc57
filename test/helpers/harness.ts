/**
 * The one test helper: starts the Google emulator and the gateway on
 * ephemeral loopback ports, captures the gateway's log lines, and gives tests
 * HTTP clients with a cookie jar and a programmatic Google sign-in that goes
 * through the emulator's real consent form.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmulator, type Emulator, type EmulatorOptions } from '@photos-picker-gateway/google-emulator';
import { createApp, startWork, type App } from '../../src/app.ts';
import { loadConfig, PICKER_SCOPE, type Config, type Env } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createStores, type Stores } from '../../src/adapters/stores.ts';

export const TEST_CLIENT = { clientId: 'test-client.apps.example', clientSecret: 'test-client-secret' };
/** Every test gateway signs cookies with it, so replicas of one site (a child process among them) accept each other's. */
export const TEST_SESSION_SECRET = 'test-session-secret-that-is-long-enough-0123456789';

export interface HarnessOptions {
  env?: Env;
  emulator?: EmulatorOptions;
  /** Start no emulator of its own but use this one (two gateways on one Google). */
  sharedEmulator?: Emulator;
}

export interface Harness {
  emulator: Emulator;
  config: Config;
  url: string;
  app: App;
  stores: Stores;
  server: Server;
  /** Every log line the gateway wrote, as raw JSON text. */
  logs: string[];
  client(): Client;
  /** A client already signed in as `account` (default alice@example.com). */
  signedInClient(options?: SignInOptions): Promise<Client>;
  close(): Promise<void>;
}

export interface SignInOptions {
  account?: string;
  /** Scopes ticked on the consent page; default: all requested. */
  grant?: 'all' | 'without-picker';
  decision?: 'allow' | 'deny';
  returnTo?: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string | string[]>;
  /** Send the page's CSRF token (default true for unsafe methods). */
  csrf?: boolean;
  /** Origin header for unsafe methods (default: the gateway's own origin; null sends none). */
  origin?: string | null;
  accept?: 'json' | 'html';
  signal?: AbortSignal;
}

export class Client {
  readonly #base: string;
  readonly #origin: string;
  readonly #jar: Map<string, string>;
  csrfToken: string | undefined;

  /** `origin`: the site's public origin (differs from `base` when talking to one replica behind a balancer). */
  constructor(base: string, options: { origin?: string; jar?: Map<string, string> } = {}) {
    this.#base = base;
    this.#origin = options.origin ?? new URL(base).origin;
    this.#jar = options.jar ?? new Map();
  }

  /** The same browser (cookies, CSRF token) talking to another replica of the same site. */
  via(base: string): Client {
    const other = new Client(base, { origin: this.#origin, jar: this.#jar });
    other.csrfToken = this.csrfToken;
    return other;
  }

  get cookies(): ReadonlyMap<string, string> {
    return this.#jar;
  }

  /** The server-side session id inside the signed `sid` cookie (`s:<id>.<signature>`), as the store keys it. */
  get sessionId(): string | undefined {
    const cookie = this.#jar.get('sid');
    return cookie ? decodeURIComponent(cookie).slice(2).split('.')[0] : undefined;
  }

  setCookie(name: string, value: string) {
    this.#jar.set(name, value);
  }

  #remember(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#jar.delete(name);
      else this.#jar.set(name, value);
    }
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.#base}${path}`;
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method);
    if (unsafe && options.csrf !== false && !this.csrfToken) await this.refreshCsrf();
    const headers: Record<string, string> = { ...options.headers };
    if (this.#jar.size > 0 && url.startsWith(this.#base)) headers.cookie = [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (options.accept === 'json') headers.accept = 'application/json';
    if (options.accept === 'html') headers.accept = 'text/html';
    if (unsafe && options.origin !== null) headers.origin = options.origin ?? this.#origin;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
      if (unsafe && options.csrf !== false && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    } else if (options.form !== undefined || unsafe) {
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(options.form ?? {})) {
        for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
      }
      if (unsafe && options.csrf !== false && this.csrfToken) form.set('_csrf', this.csrfToken);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = form.toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual', ...(options.signal ? { signal: options.signal } : {}) });
    this.#remember(response);
    return response;
  }

  get(path: string, options?: RequestOptions) {
    return this.request('GET', path, options);
  }

  post(path: string, options?: RequestOptions) {
    return this.request('POST', path, options);
  }

  delete(path: string, options?: RequestOptions) {
    return this.request('DELETE', path, options);
  }

  /**
   * Loads a page and keeps the CSRF token it exposes in <meta name="csrf-token">: none for a visitor with nothing
   * in their session (no sign-in, none started), whose pages store nothing.
   */
  async refreshCsrf(): Promise<string | undefined> {
    const response = await this.get('/', { accept: 'html' });
    const html = await response.text();
    const token = html.match(/<meta name="csrf-token" content="([^"]*)"/)?.[1];
    if (token === undefined) throw new Error('no csrf-token meta tag on the home page');
    this.csrfToken = token || undefined;
    return this.csrfToken;
  }
}

/**
 * Starts sign-in and answers the emulator's consent form like a browser; returns the callback URL Google sends back.
 * Google asks only when it must: when it sends the browser straight back, there is no form to answer.
 */
export async function consentToSignIn(client: Client, options: SignInOptions = {}): Promise<string> {
  const start = await client.get(`/auth/google${options.returnTo ? `?return_to=${encodeURIComponent(options.returnTo)}` : ''}`);
  if (start.status !== 302) throw new Error(`GET /auth/google answered ${start.status}`);
  const authUrl = new URL(start.headers.get('location')!);
  const consent = await fetch(authUrl, { headers: { accept: 'text/html' }, redirect: 'manual' });
  if (consent.status === 302) return consent.headers.get('location')!;
  const html = await consent.text();
  const transaction = html.match(/name="transaction" value="([^"]+)"/)?.[1];
  if (!transaction) throw new Error(`no consent transaction in the emulator page (${consent.status})`);
  const requested = (authUrl.searchParams.get('scope') ?? '').split(' ');
  const scopes = options.grant === 'without-picker' ? requested.filter((s) => s !== PICKER_SCOPE) : requested;
  const form = new URLSearchParams({ transaction, account: options.account ?? 'alice@example.com', decision: options.decision ?? 'allow' });
  for (const scope of scopes) form.append('scope', scope);
  const decision = await fetch(new URL('/o/oauth2/v2/auth/decision', authUrl), {
    method: 'POST',
    body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
  const callback = decision.headers.get('location');
  if (decision.status !== 302 || !callback) throw new Error(`consent decision answered ${decision.status}`);
  return callback;
}

/** The whole sign-in through the emulator's consent form; returns the gateway's answer to the callback. */
export async function signIn(client: Client, options: SignInOptions = {}): Promise<Response> {
  const response = await client.get(await consentToSignIn(client, options));
  client.csrfToken = undefined; // the session id changed at sign-in; the token goes with it
  return response;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = options.sharedEmulator ?? createEmulator(options.emulator);
  if (!options.sharedEmulator) await emulator.listen(0, '127.0.0.1');

  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  // The embedded store asked for without a DATA_DIR gets a fresh one of its own, removed at close.
  const ownDataDir = options.env?.SESSION_STORE === 'embedded' && !options.env.DATA_DIR ? mkdtempSync(join(tmpdir(), 'ppg-harness-')) : undefined;

  const config = loadConfig({
    NODE_ENV: 'test',
    PUBLIC_URL: url,
    GOOGLE_CLIENT_ID: TEST_CLIENT.clientId,
    GOOGLE_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    SESSION_SECRET: TEST_SESSION_SECRET,
    GOOGLE_AUTH_URL: `${emulator.url}/o/oauth2/v2/auth`,
    GOOGLE_TOKEN_URL: `${emulator.url}/token`,
    GOOGLE_REVOKE_URL: `${emulator.url}/revoke`,
    GOOGLE_API_ROOT_URL: `${emulator.url}/`,
    PICKER_API_URL: emulator.url,
    MEDIA_HOSTS: '127.0.0.1',
    LOG_LEVEL: 'debug',
    UPSTREAM_TIMEOUT_MS: '5000',
    // Off unless a test asks for a destination: background following would add Google calls to tests that count them.
    IMPORT_DESTINATION: 'off',
    // Nothing on disk unless a test asks for the embedded store (with its own DATA_DIR).
    SESSION_STORE: 'memory',
    ...options.env,
    ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}),
  });
  emulator.registerClient({ ...TEST_CLIENT, redirectUris: [config.redirectUri] });

  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const stores = await createStores(config, logger);
  const app = createApp({
    config,
    logger,
    sessionStore: stores.sessionStore,
    sharedStore: stores.sharedStore,
    jobs: stores.jobs,
    ...(stores.rateLimitStore ? { rateLimitStore: stores.rateLimitStore } : {}),
    onStoreStall: (listener) => stores.onStall?.(listener),
    readiness: { isReady: async () => (app.services.destinationWatch?.writable ?? true) && (await stores.ping()) },
  });
  await app.services.destinationWatch?.start();
  startWork(config, app.services);
  server.on('request', app.app);

  const harness: Harness = {
    emulator,
    config,
    url,
    app,
    stores,
    server,
    logs,
    client: () => new Client(url),
    async signedInClient(signInOptions) {
      const client = new Client(url);
      const response = await signIn(client, signInOptions);
      if (response.status !== 303) throw new Error(`sign-in callback answered ${response.status}: ${await response.text()}`);
      return client;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      app.services.destinationWatch?.stop();
      await stores.close();
      if (!options.sharedEmulator) await emulator.close();
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Creates a Picker session through the gateway's JSON API and returns its id. */
export async function createPickerSession(client: Client, body: Record<string, unknown> = {}): Promise<string> {
  const response = await client.post('/sessions', { accept: 'json', json: body });
  if (response.status !== 201) throw new Error(`POST /sessions answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** Polls GET /sessions/{id} until it reports `status` (the gateway honours pollInterval, so this may take a moment). */
export async function waitForStatus(client: Client, id: string, status: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await client.get(`/sessions/${id}`, { accept: 'json' })).json()) as Record<string, unknown>;
    if (body.status === status) return body;
    if (Date.now() > deadline) throw new Error(`session ${id} stayed ${String(body.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until `condition` holds (checked every 50 ms), for work that happens in the background; fails after `timeoutMs`. */
export async function eventually<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the gateway's job queue has nothing waiting, delayed or running. */
export async function jobsSettled(h: Harness, timeoutMs?: number): Promise<void> {
  await eventually(async () => {
    const counts = await h.stores.jobs.counts();
    return counts.waiting + counts.active + counts.delayed === 0;
  }, 'the job queue is empty', timeoutMs);
}
