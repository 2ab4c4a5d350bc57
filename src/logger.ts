/**
 * Logging: pino for the process, pino-http for requests. Tokens, codes, state,
 * cookies and Authorization headers never reach a log line: headers are
 * reduced to an allow-list, sensitive query parameters are censored, and
 * redaction paths catch the fields where a secret could sit in anything
 * else we log (a Google error's request config, a tokens object).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp, type Options as PinoHttpOptions } from 'pino-http';

export type { Logger };

const CENSORED = '[REDACTED]';
const SENSITIVE_QUERY_KEYS = new Set([
  'code', 'state', 'token', 'access_token', 'refresh_token', 'id_token', 'client_secret', 'code_verifier',
  'code_challenge', '_csrf', 'request',
]);
const LOGGED_REQUEST_HEADERS = ['host', 'user-agent', 'accept', 'content-type', 'content-length', 'range', 'origin', 'sec-fetch-site'];
const LOGGED_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-range', 'retry-after'];

// Paths name where a secret can sit in what this service logs. None starts with a wildcard: pino applies a
// wildcard-first path to every top-level key of every line, a cost paid on every request. Requests and responses
// need none, because their serializers below keep only allow-listed headers; an error's cause reaches the line only
// as message and stack (pino's err serializer).
const REDACT_PATHS = [
  'access_token', 'refresh_token', 'id_token', 'client_secret', 'code_verifier', 'tokens', 'googleTokens',
  'authorization', 'cookie', 'headers.authorization', 'headers.cookie', 'headers["set-cookie"]',
  'headers["x-csrf-token"]', 'config', 'response', 'err.config', 'err.response',
];

/** Replaces the values of sensitive query parameters, keeping the rest readable. */
export function censorUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  const censored = [...params].map(([key, value]) =>
    `${encodeURIComponent(key)}=${SENSITIVE_QUERY_KEYS.has(key.toLowerCase()) ? CENSORED : encodeURIComponent(value)}`,
  );
  return `${url.slice(0, queryStart)}?${censored.join('&')}`;
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

function prettyTransport(): pino.TransportSingleOptions | undefined {
  // Pretty output only for a person at a terminal, and only where pino-pretty is installed (not in the image).
  if (!process.stdout.isTTY) return undefined;
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } };
  } catch {
    return undefined;
  }
}

/** Also the base logger's, so a request or response logged anywhere shows only allow-listed headers. */
const serializers = {
  req: (req: IncomingMessage & { id?: string; originalUrl?: string }) => ({
    id: req.id,
    method: req.method,
    url: censorUrl(req.originalUrl ?? req.url ?? ''),
    headers: pick((req.headers ?? {}) as Record<string, unknown>, LOGGED_REQUEST_HEADERS),
    remoteAddress: req.socket?.remoteAddress,
  }),
  res: (res: ServerResponse | { statusCode?: number; headers?: Record<string, unknown> }) => ({
    statusCode: res.statusCode,
    headers: pick(('getHeaders' in res ? res.getHeaders() : (res.headers ?? {})) as Record<string, unknown>, LOGGED_RESPONSE_HEADERS),
  }),
  err: pino.stdSerializers.err,
};

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'photos-picker-gateway' },
    serializers,
    redact: { paths: REDACT_PATHS, censor: CENSORED },
  };
  if (destination) return pino(options, destination);
  const transport = prettyTransport();
  return pino(transport ? { ...options, transport } : options);
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Accepts a well-formed incoming X-Request-Id (from the load balancer) or makes one. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

export function createHttpLogger(logger: Logger) {
  const options: PinoHttpOptions = {
    logger,
    genReqId: requestIdFor,
    quietReqLogger: true,
    wrapSerializers: false,
    serializers,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
  };
  return pinoHttp(options);
}
