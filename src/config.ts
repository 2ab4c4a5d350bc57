/**
 * The one place the environment is read. Every variable of the contract is
 * parsed and validated here once, at startup; the rest of the code receives a
 * typed, frozen Config. In production a missing or malformed value stops the
 * start with a message that names the variable.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppsConfigError, loadApps, type HostApp } from './config-apps.ts';

export const PICKER_SCOPE = 'https://www.googleapis.com/auth/photospicker.mediaitems.readonly';

const DEFAULTS = {
  GOOGLE_AUTH_URL: 'https://accounts.google.com/o/oauth2/v2/auth',
  GOOGLE_TOKEN_URL: 'https://oauth2.googleapis.com/token',
  GOOGLE_REVOKE_URL: 'https://oauth2.googleapis.com/revoke',
  GOOGLE_API_ROOT_URL: 'https://www.googleapis.com/',
  PICKER_API_URL: 'https://photospicker.googleapis.com',
  MEDIA_HOSTS: 'googleusercontent.com',
} as const;

/** The picker page lives here; browsers pass through it after the form POST to /sessions. */
const GOOGLE_PICKER_ORIGINS = ['https://photos.google.com'];

/** Client id the built-in emulator registers for the gateway when no Google client is configured. */
export const EMULATOR_CLIENT = { clientId: 'picker-gateway-emulator', clientSecret: 'emulator-secret' } as const;

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = z.preprocess(blankToUndefined, z.string().optional());
const url = z.preprocess(
  blankToUndefined,
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
);
const integer = (min: number, max: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).optional());
const port = integer(0, 65535);

const envSchema = z.object({
  NODE_ENV: z.preprocess(blankToUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: port,
  HOST: optionalString,
  PUBLIC_URL: url,
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  SESSION_SECRET: optionalString,
  SESSION_STORE: z.preprocess(blankToUndefined, z.enum(['embedded', 'memory', 'redis']).default('embedded')),
  DATA_DIR: optionalString,
  ROLE: z.preprocess(blankToUndefined, z.enum(['all', 'web', 'worker']).default('all')),
  REDIS_URL: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  ),
  REDIS_KEY_PREFIX: z.preprocess(blankToUndefined, z.string().regex(/^[\w:.-]{1,64}$/, 'letters, digits and : . - _ only').default('ppg:')),
  TOKEN_ENCRYPTION_KEY: optionalString,
  TRUST_PROXY: optionalString,
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  GOOGLE_AUTH_URL: url,
  GOOGLE_TOKEN_URL: url,
  GOOGLE_REVOKE_URL: url,
  GOOGLE_API_ROOT_URL: url,
  PICKER_API_URL: url,
  MEDIA_HOSTS: optionalString,
  EMULATOR_PORT: port,
  UPSTREAM_TIMEOUT_MS: integer(100, 600_000),
  RATE_LIMIT_SIGNIN: integer(1, 1_000_000),
  RATE_LIMIT_SESSIONS: integer(1, 1_000_000),
  SHUTDOWN_GRACE_MS: integer(0, 600_000),
  SESSION_IDLE_TIMEOUT_MS: integer(1_000, 90 * 86_400_000),
  SESSION_ABSOLUTE_TIMEOUT_MS: integer(1_000, 365 * 86_400_000),
  BODY_LIMIT_BYTES: integer(1024, 10 * 1024 * 1024),
  PICKER_COMPLETED_GRACE_MS: integer(0, 7 * 86_400_000),
  // The syntax only; src/adapters/storage/destinations.ts checks the rest (the bucket name) when it builds the destination.
  IMPORT_DESTINATION: z.preprocess(
    blankToUndefined,
    z.string().regex(/^(off|file:.+|s3:\/\/[^/]+(\/.*)?)$/, 'must be file:PATH, s3://BUCKET[/PREFIX] or off').optional(),
  ),
  S3_ENDPOINT: url,
  S3_REGION: z.preprocess(blankToUndefined, z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be a region name such as us-east-1').default('us-east-1')),
  APPS: optionalString,
  APPS_FILE: optionalString,
  IMPORT_CONCURRENCY: integer(1, 64),
  IMPORT_ATTEMPTS: integer(1, 100),
  IMPORT_BACKOFF_MS: integer(10, 3_600_000),
  IMPORT_MAX_QUEUED_PER_OWNER: integer(1, 1_000_000),
  IMPORT_MIN_FREE_MB: integer(0, 100_000_000),
  JOB_LOCK_MS: integer(1_000, 600_000),
  // Neither above its default: with both at most that, the last of a webhook's tries starts within 24 hours.
  WEBHOOK_TIMEOUT_MS: integer(100, 10_000),
  WEBHOOK_BACKOFF_MS: integer(10, 10_500),
});

/** Every environment variable the service reads. */
export const ENV_VARIABLES = Object.keys(envSchema.shape);

export type Env = Record<string, string | undefined>;

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly publicUrl: URL;
  readonly publicOrigin: string;
  readonly secureCookies: boolean;
  readonly redirectUri: string;
  readonly google: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly authUrl: string;
    readonly tokenUrl: string;
    readonly revokeUrl: string;
    readonly apiRootUrl: string;
    readonly pickerApiUrl: string;
    /** Origins a browser visits after POST /sessions redirects it to the pickerUri (for CSP form-action). */
    readonly browserOrigins: readonly string[];
  };
  readonly mediaHosts: readonly string[];
  /**
   * What this process runs: `all` serves HTTP and works the job queue; `web` serves HTTP and only queues work;
   * `worker` works the queue and serves only the probes and metrics. A split needs SESSION_STORE=redis.
   */
  readonly role: 'all' | 'web' | 'worker';
  /** Set when the built-in emulator stands in for Google (no client configured, outside production). */
  readonly emulator: { readonly port: number; readonly url: string } | null;
  /** Where the embedded store keeps its file (and the default `file:` destination its folder). */
  readonly dataDir: string;
  readonly session: {
    readonly secrets: readonly string[];
    /** `embedded`: one process, everything in a file under dataDir; `redis`: replicas; `memory`: tests (nothing survives). */
    readonly store: 'embedded' | 'memory' | 'redis';
    readonly redisUrl: string;
    /** Prefix of every Redis key the gateway writes, so one Redis can serve several deployments. */
    readonly redisKeyPrefix: string;
    readonly cookieName: string;
    readonly idleTimeoutMs: number;
    readonly absoluteTimeoutMs: number;
  };
  /** AES-256-GCM keys; the first encrypts, all decrypt. */
  readonly tokenKeys: readonly Buffer[];
  readonly trustProxy: boolean | number | string;
  readonly logLevel: string;
  readonly upstreamTimeoutMs: number;
  readonly rateLimits: { readonly signInPer15Min: number; readonly sessionsPerMinute: number };
  readonly shutdownGraceMs: number;
  readonly bodyLimitBytes: number;
  /** How long a finished session's results stay at Google before it is deleted there (when imports are off). */
  readonly reaper: { readonly completedGraceMs: number };
  /** Where completed Picker sessions are copied; `destination` null turns imports off (production without a setting). */
  readonly imports: {
    readonly destination: string | null;
    readonly s3Endpoint?: string;
    readonly s3Region: string;
    readonly concurrency: number;
    readonly attempts: number;
    /** The wait before an item's second try; each later one doubles it. */
    readonly backoffMs: number;
    /** Items one owner (a person, or a host app's user) may have waiting for a copy at once; past it an import is refused. */
    readonly maxQueuedPerOwner: number;
    /** Readiness needs at least this much room on a `file:` destination's disk. */
    readonly minFreeBytes: number;
  };
  /**
   * How long a running job's claim lasts unrenewed (its process renews it while alive), and how often workers look
   * for claims that ran out: a job whose process died is taken over by another within about twice this.
   */
  readonly jobs: { readonly lockMs: number };
  /** The host apps that may send their users here to pick (APPS or APPS_FILE); none by default. */
  readonly apps: readonly HostApp[];
  readonly webhooks: {
    /** The longest one try may take, connecting to reading the answer. */
    readonly timeoutMs: number;
    /** The wait before a delivery's second try; each later one doubles it (src/domain/webhooks.ts has the schedule). */
    readonly backoffMs: number;
  };
  /** Things an operator should know about, logged once at startup. */
  readonly warnings: readonly string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function issuesToMessage(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`).join('; ');
}

function parseTrustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw; // a subnet list or express keyword such as 'loopback'
}

function parseKeys(raw: string, problems: string[]): Buffer[] {
  return raw.split(',').map((part, index) => {
    const key = Buffer.from(part.trim(), 'base64');
    if (key.length !== 32) problems.push(`TOKEN_ENCRYPTION_KEY: key ${index + 1} must be 32 bytes, base64-encoded`);
    return key;
  });
}

function hostSuffixes(raw: string): string[] {
  return raw
    .split(',')
    .map((host) => host.trim().toLowerCase().replace(/^\.+/, ''))
    .filter(Boolean);
}

function withTrailingSlash(value: string): string {
  return value.endsWith('/') ? value : `${value}/`;
}

export function loadConfig(env: Env = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${issuesToMessage(parsed.error.issues)}`);
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const problems: string[] = [];
  const warnings: string[] = [];

  const port = e.PORT ?? 3000;
  const publicUrl = new URL(e.PUBLIC_URL ?? `http://localhost:${port}`);
  const publicOrigin = publicUrl.origin;
  const secureCookies = publicUrl.protocol === 'https:';
  if (isProduction && !secureCookies) {
    warnings.push('PUBLIC_URL is http: cookies are not Secure. Use https outside private networks and local trials.');
  }
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if (secureCookies && (trustProxy === false || trustProxy === 0)) {
    // The gateway speaks plain http, so an https PUBLIC_URL means a proxy ends TLS in front of it. Unless Express
    // trusts that proxy's X-Forwarded-Proto, every request looks like http, express-session never sets its Secure
    // cookie, and every sign-in ends in a 400 at the callback.
    const message =
      'PUBLIC_URL is https but TRUST_PROXY is not set: behind the TLS-terminating proxy no session cookie would ever be set. ' +
      'Set TRUST_PROXY to the number of proxies in front of the gateway (e.g. TRUST_PROXY=1).';
    if (isProduction) problems.push(message);
    else warnings.push(message);
  }

  if (e.ROLE !== 'all' && e.SESSION_STORE !== 'redis') {
    problems.push(
      `ROLE=${e.ROLE} needs SESSION_STORE=redis (it is ${e.SESSION_STORE}): web and worker processes share sign-ins, state and ` +
      'the job queue only through Redis. Set SESSION_STORE=redis and REDIS_URL, or leave ROLE unset for one process that does both.',
    );
  }

  const useEmulator = !e.GOOGLE_CLIENT_ID && !isProduction;
  if (isProduction) {
    if (!e.GOOGLE_CLIENT_ID) problems.push('GOOGLE_CLIENT_ID is required in production');
    if (!e.GOOGLE_CLIENT_SECRET) problems.push('GOOGLE_CLIENT_SECRET is required in production');
    if (!e.SESSION_SECRET) problems.push('SESSION_SECRET is required in production');
    if (e.SESSION_STORE !== 'memory' && !e.TOKEN_ENCRYPTION_KEY) {
      problems.push(`TOKEN_ENCRYPTION_KEY is required in production: the ${e.SESSION_STORE === 'redis' ? 'Redis' : 'embedded'} store keeps Google tokens, sealed with it`);
    }
  } else if (e.GOOGLE_CLIENT_ID && !e.GOOGLE_CLIENT_SECRET) {
    problems.push('GOOGLE_CLIENT_SECRET is required when GOOGLE_CLIENT_ID is set');
  }

  let secrets: string[];
  if (e.SESSION_SECRET) {
    secrets = e.SESSION_SECRET.split(',').map((s) => s.trim());
    secrets.forEach((secret, index) => {
      if (secret.length < 32) problems.push(`SESSION_SECRET: secret ${index + 1} must be at least 32 characters`);
    });
  } else {
    secrets = [randomBytes(32).toString('base64url')];
    if (!isProduction) warnings.push('SESSION_SECRET is not set: using a random secret, so sessions end when the process stops.');
  }

  let tokenKeys: Buffer[];
  if (e.TOKEN_ENCRYPTION_KEY) {
    tokenKeys = parseKeys(e.TOKEN_ENCRYPTION_KEY, problems);
  } else {
    tokenKeys = [randomBytes(32)];
    if (e.SESSION_STORE !== 'memory' && !isProduction) {
      warnings.push('TOKEN_ENCRYPTION_KEY is not set: using a random key, so stored Google tokens are unreadable after a restart.');
    }
  }
  if (e.SESSION_STORE === 'memory') {
    warnings.push('SESSION_STORE=memory keeps everything in this process: a restart signs everyone out and forgets the imports in flight. It is meant for tests; leave SESSION_STORE unset to keep state on disk.');
  }
  const dataDir = e.DATA_DIR ?? './data';

  const emulatorPort = e.EMULATOR_PORT ?? port + 1;
  const emulatorUrl = `${publicUrl.protocol === 'https:' ? 'http:' : publicUrl.protocol}//${publicUrl.hostname}:${emulatorPort}`;

  let apps: HostApp[] = [];
  try {
    apps = loadApps(e);
  } catch (error) {
    if (!(error instanceof AppsConfigError)) throw error;
    problems.push(error.message);
  }
  const importDestination = e.IMPORT_DESTINATION === 'off' ? null : (e.IMPORT_DESTINATION ?? (isProduction ? null : `file:${dataDir.replace(/\/+$/, '')}/imports`));
  if (apps.length > 0 && importDestination === null) {
    problems.push('APPS: host apps receive their picks through imports; set IMPORT_DESTINATION');
  }

  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);

  const googleEndpoints = useEmulator
    ? {
        authUrl: e.GOOGLE_AUTH_URL ?? `${emulatorUrl}/o/oauth2/v2/auth`,
        tokenUrl: e.GOOGLE_TOKEN_URL ?? `${emulatorUrl}/token`,
        revokeUrl: e.GOOGLE_REVOKE_URL ?? `${emulatorUrl}/revoke`,
        apiRootUrl: withTrailingSlash(e.GOOGLE_API_ROOT_URL ?? `${emulatorUrl}/`),
        pickerApiUrl: e.PICKER_API_URL ?? emulatorUrl,
      }
    : {
        authUrl: e.GOOGLE_AUTH_URL ?? DEFAULTS.GOOGLE_AUTH_URL,
        tokenUrl: e.GOOGLE_TOKEN_URL ?? DEFAULTS.GOOGLE_TOKEN_URL,
        revokeUrl: e.GOOGLE_REVOKE_URL ?? DEFAULTS.GOOGLE_REVOKE_URL,
        apiRootUrl: withTrailingSlash(e.GOOGLE_API_ROOT_URL ?? DEFAULTS.GOOGLE_API_ROOT_URL),
        pickerApiUrl: e.PICKER_API_URL ?? DEFAULTS.PICKER_API_URL,
      };
  const pickerApiUrl = googleEndpoints.pickerApiUrl.replace(/\/+$/, '');
  const browserOrigins = useEmulator
    ? [new URL(googleEndpoints.authUrl).origin, new URL(pickerApiUrl).origin]
    : [...GOOGLE_PICKER_ORIGINS, new URL(googleEndpoints.authUrl).origin];

  const config: Config = {
    env: e.NODE_ENV,
    isProduction,
    port,
    host: e.HOST ?? '0.0.0.0',
    publicUrl,
    publicOrigin,
    secureCookies,
    redirectUri: new URL('/auth/google/callback', publicUrl).href,
    google: {
      clientId: e.GOOGLE_CLIENT_ID ?? EMULATOR_CLIENT.clientId,
      clientSecret: e.GOOGLE_CLIENT_SECRET ?? EMULATOR_CLIENT.clientSecret,
      ...googleEndpoints,
      pickerApiUrl,
      browserOrigins: [...new Set(browserOrigins)],
    },
    mediaHosts: hostSuffixes(e.MEDIA_HOSTS ?? (useEmulator ? publicUrl.hostname : DEFAULTS.MEDIA_HOSTS)),
    role: e.ROLE,
    emulator: useEmulator ? { port: emulatorPort, url: emulatorUrl } : null,
    dataDir,
    session: {
      secrets,
      store: e.SESSION_STORE,
      redisUrl: e.REDIS_URL,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
      cookieName: secureCookies ? '__Host-sid' : 'sid',
      idleTimeoutMs: e.SESSION_IDLE_TIMEOUT_MS ?? 86_400_000,
      absoluteTimeoutMs: e.SESSION_ABSOLUTE_TIMEOUT_MS ?? 7 * 86_400_000,
    },
    tokenKeys,
    trustProxy,
    logLevel: e.LOG_LEVEL,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS ?? 30_000,
    rateLimits: {
      signInPer15Min: e.RATE_LIMIT_SIGNIN ?? 100,
      sessionsPerMinute: e.RATE_LIMIT_SESSIONS ?? 30,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? 10_000,
    bodyLimitBytes: e.BODY_LIMIT_BYTES ?? 64 * 1024,
    reaper: { completedGraceMs: e.PICKER_COMPLETED_GRACE_MS ?? 30 * 60_000 },
    imports: {
      destination: importDestination,
      ...(e.S3_ENDPOINT ? { s3Endpoint: e.S3_ENDPOINT } : {}),
      s3Region: e.S3_REGION,
      concurrency: e.IMPORT_CONCURRENCY ?? 4,
      attempts: e.IMPORT_ATTEMPTS ?? 5,
      backoffMs: e.IMPORT_BACKOFF_MS ?? 2_000,
      maxQueuedPerOwner: e.IMPORT_MAX_QUEUED_PER_OWNER ?? 10_000,
      minFreeBytes: (e.IMPORT_MIN_FREE_MB ?? 1024) * 1024 * 1024,
    },
    jobs: { lockMs: e.JOB_LOCK_MS ?? 30_000 },
    apps,
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS ?? 10_000,
      backoffMs: e.WEBHOOK_BACKOFF_MS ?? 10_500,
    },
    warnings,
  };
  return Object.freeze(config);
}
