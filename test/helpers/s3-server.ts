/**
 * A real S3-compatible server for tests: fauxqs (in memory, multipart and AbortMultipartUpload included), on an
 * ephemeral port, behind a small proxy that records every request and can answer 503 SlowDown (the way S3 sheds
 * load) or 500 InternalError for a while, so tests can show what the SDK's retries, and the import's, do.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { startFauxqs } from 'fauxqs';

export interface S3Request {
  method: string;
  /** Path and query, e.g. `/bucket/key?uploadId=…&partNumber=2`. */
  url: string;
  status: number;
}

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** Every request that reached the proxy, in order, with the status it got. */
  readonly requests: readonly S3Request[];
  /**
   * The next `count` requests (those `only` picks, when given) answer 503 SlowDown, or 500 InternalError when asked,
   * without reaching the server. Each call adds a rule; a request meets the first rule it matches that has some left.
   */
  failNext(count: number, options?: { status?: 503 | 500; only?: (request: { method: string; url: string }) => boolean }): void;
  close(): Promise<void>;
}

const FAILURES = {
  503: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  500: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
};

const query = (request: Pick<S3Request, 'url'>) => new URL(request.url, 'http://s3').searchParams;
export const isCreateUpload = (request: S3Request) => request.method === 'POST' && query(request).has('uploads');
export const uploadIdOf = (request: Pick<S3Request, 'url'>) => query(request).get('uploadId');
/** A part of a multipart upload (UploadPart). */
export const isPartUpload = (request: Pick<S3Request, 'method' | 'url'>) => request.method === 'PUT' && uploadIdOf(request) !== null;

/**
 * Multipart uploads begun (a part was sent) and neither completed nor aborted, read from the requests seen: parts S3
 * would keep, and bill. Read from the traffic because fauxqs has no ListMultipartUploads.
 */
export function openUploads(requests: readonly S3Request[]): string[] {
  const open = new Set<string>();
  for (const request of requests) {
    const uploadId = uploadIdOf(request);
    if (!uploadId) continue;
    const ended = request.status < 300 && (request.method === 'DELETE' || request.method === 'POST');
    if (ended) open.delete(uploadId);
    else if (request.method === 'PUT') open.add(uploadId);
  }
  return [...open];
}

export async function startS3Server(): Promise<S3Server> {
  const bucket = 'imports-test';
  const fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  fauxqs.createBucket(bucket);
  const requests: S3Request[] = [];
  const failures: Array<{ left: number; status: 503 | 500; only: (request: { method: string; url: string }) => boolean }> = [];

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const upstream = request(
      { host: '127.0.0.1', port: fauxqs.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        requests.push({ method: incoming.method ?? '', url: incoming.url ?? '', status: answer.statusCode ?? 0 });
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };

  const proxy = createServer((incoming, outgoing) => {
    const seen = { method: incoming.method ?? '', url: incoming.url ?? '' };
    const failure = failures.find((rule) => rule.left > 0 && rule.only(seen));
    if (failure) {
      failure.left -= 1;
      const { status } = failure;
      requests.push({ ...seen, status });
      incoming.resume();
      incoming.once('end', () => outgoing.writeHead(status, { 'content-type': 'application/xml' }).end(FAILURES[status]));
      return;
    }
    forward(incoming, outgoing);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const { port } = proxy.address() as { port: number };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    requests,
    failNext(count, { status = 503, only = () => true } = {}) {
      failures.push({ left: count, status, only });
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await fauxqs.stop();
    },
  };
}
