/**
 * A real S3-compatible server for tests: fauxqs (in memory, multipart and AbortMultipartUpload included), on an
 * ephemeral port, behind a small proxy that records every request and can answer 503 SlowDown for a while, the way
 * S3 sheds load, so tests can show what the SDK's retries do.
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
  /** The next `count` requests answer 503 SlowDown without reaching the server. */
  failNext(count: number): void;
  close(): Promise<void>;
}

const query = (request: S3Request) => new URL(request.url, 'http://s3').searchParams;
export const isCreateUpload = (request: S3Request) => request.method === 'POST' && query(request).has('uploads');
export const uploadIdOf = (request: S3Request) => query(request).get('uploadId');

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

const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

export async function startS3Server(): Promise<S3Server> {
  const bucket = 'imports-test';
  const fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  fauxqs.createBucket(bucket);
  const requests: S3Request[] = [];
  let failures = 0;

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
    if (failures > 0) {
      failures -= 1;
      requests.push({ method: incoming.method ?? '', url: incoming.url ?? '', status: 503 });
      incoming.resume();
      incoming.once('end', () => outgoing.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN));
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
    failNext(count) {
      failures = count;
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await fauxqs.stop();
    },
  };
}
