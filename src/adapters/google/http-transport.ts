/**
 * The transport under google-auth-library (gaxios's `fetchImplementation`):
 * a small fetch over node:http and node:https with keep-alive agents.
 *
 * Why not Node's own fetch: every Google call went through undici's WHATWG
 * machinery (Request, Headers and web streams for a few hundred bytes of
 * JSON), a quarter of the gateway's CPU per POST /sessions in the benchmark
 * (docs/benchmarks.md). Google's JSON answers are small, so they are read
 * whole (bounded) and handed back as a Response-shaped object that gaxios
 * reads like a fetch Response.
 *
 * The deadline is a plain timer cleared when the answer is in, not gaxios's
 * AbortSignal.timeout(): each of those keeps a signal and its timer alive
 * until the timeout would fire, long after the call (tens of thousands at a
 * time at a thousand calls a second).
 *
 * What it does not do, on purpose: follow redirects (Google's APIs answer
 * without them; a 3xx is returned as is and gaxios treats it as an error) or
 * stream request bodies (the gateway only sends JSON and form bodies).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

/** Google's largest answer here is a page of 100 media items (~100 KB); anything far bigger is refused. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' }),
};

/** What gaxios hands to fetch: the parts of RequestInit it uses. */
export interface TransportInit {
  method?: string;
  headers?: Headers | Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | null;
}

/** A fully read answer, shaped like the parts of a fetch Response that gaxios and google-auth-library read. */
export class BufferedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly url: string;
  readonly redirected = false;
  readonly type = 'basic';
  readonly #bytes: Buffer;
  bodyUsed = false;

  constructor(url: string, message: IncomingMessage, bytes: Buffer) {
    this.url = url;
    this.status = message.statusCode ?? 0;
    this.statusText = message.statusMessage ?? '';
    this.headers = new Headers();
    const raw = message.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) this.headers.append(raw[i]!, raw[i + 1]!);
    this.#bytes = bytes;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get body(): ReadableStream<Uint8Array> {
    return Readable.toWeb(Readable.from([this.#bytes])) as ReadableStream<Uint8Array>;
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.#bytes.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    return this.#bytes.buffer.slice(this.#bytes.byteOffset, this.#bytes.byteOffset + this.#bytes.byteLength) as ArrayBuffer;
  }

  async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()]);
  }
}

function requestBody(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('The Google transport sends only string, URLSearchParams and byte bodies.');
}

function requestHeaders(headers: TransportInit['headers'], body: string | Buffer | undefined, original: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers instanceof Headers) headers.forEach((value, key) => (out[key] = value));
  else if (headers) for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value;
  if (original instanceof URLSearchParams && !out['content-type']) out['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  if (body !== undefined) out['content-length'] = String(Buffer.byteLength(body));
  return out;
}

function decoded(message: IncomingMessage): NodeJS.ReadableStream {
  switch (message.headers['content-encoding']) {
    case 'gzip':
    case 'x-gzip':
      return message.pipe(zlib.createGunzip());
    case 'deflate':
      return message.pipe(zlib.createInflate());
    case 'br':
      return message.pipe(zlib.createBrotliDecompress());
    default:
      return message;
  }
}

function readAll(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const source = decoded(message);
    source.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_RESPONSE_BYTES) {
        reject(new Error(`Google's answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
        message.destroy();
        return;
      }
      chunks.push(chunk);
    });
    source.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)));
    source.once('error', reject);
    message.once('aborted', () => reject(Object.assign(new Error('Google closed the connection mid-answer'), { code: 'ECONNRESET' })));
  });
}

export type GoogleFetch = (input: string | URL, init?: TransportInit) => Promise<BufferedResponse>;

/** A fetch(url, init) for gaxios where every call must be answered in full within `timeoutMs`. */
export function createTransport(timeoutMs: number): GoogleFetch {
  return (input, init = {}) => exchange(input, init, timeoutMs);
}

/** One HTTP exchange on a pooled connection, the answer read whole. */
function exchange(input: string | URL, init: TransportInit, timeoutMs: number): Promise<BufferedResponse> {
  const url = typeof input === 'string' ? new URL(input) : input;
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`Unsupported protocol for a Google call: ${url.protocol}`));
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const body = requestBody(init.body);
  const options: https.RequestOptions = {
    method: (init.method ?? 'GET').toUpperCase(),
    headers: requestHeaders(init.headers, body, init.body),
    agent,
  };

  return new Promise((resolve, reject) => {
    const settle = (error: unknown, answer?: BufferedResponse) => {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      if (answer) resolve(answer);
      else reject(error);
    };
    const request = (url.protocol === 'https:' ? https : http).request(url, options, (message) => {
      readAll(message).then((bytes) => settle(undefined, new BufferedResponse(url.href, message, bytes)), settle);
    });
    const fail = (reason: unknown) => {
      settle(reason);
      request.destroy();
    };
    const deadline = setTimeout(() => fail(new DOMException(`Google did not answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const onAbort = () => fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('error', (error) => settle(error));
    request.end(body);
  });
}
