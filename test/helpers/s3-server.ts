/**
 * A real S3-compatible server for tests: fauxqs (in memory, multipart and AbortMultipartUpload included), on an
 * ephemeral port, behind a small proxy that records every request and can answer 503 SlowDown (the way S3 sheds
 * load) or 500 InternalError for a while, so tests can show what the SDK's retries, and the import's, do.
 *
 * fauxqs has no ListParts and no ListMultipartUploads; S3 has both, and a resumed upload needs them. The proxy answers
 * them from the multipart traffic it forwarded (uploads begun, parts stored, uploads ended), as S3 would.
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

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** The object key a request names, after the bucket in its path. */
const objectKeyOf = (request: Pick<S3Request, 'url'>) =>
  decodeURIComponent(new URL(request.url, 'http://s3').pathname.split('/').slice(2).join('/'));

export async function startS3Server(): Promise<S3Server> {
  const bucket = 'imports-test';
  const fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  fauxqs.createBucket(bucket);
  const requests: S3Request[] = [];
  /** Multipart uploads begun and not ended, by id: their key and the parts fauxqs stored. */
  const uploads = new Map<string, { key: string; parts: Map<number, { etag: string; size: number }> }>();
  const failures: Array<{ left: number; status: 503 | 500; only: (request: { method: string; url: string }) => boolean }> = [];

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const upstream = request(
      { host: '127.0.0.1', port: fauxqs.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        const seen = { method: incoming.method ?? '', url: incoming.url ?? '', status: answer.statusCode ?? 0 };
        requests.push(seen);
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        if (isCreateUpload(seen) && seen.status === 200) {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.once('end', () => {
            const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(Buffer.concat(chunks).toString())?.[1];
            if (uploadId) uploads.set(uploadId, { key: objectKeyOf(seen), parts: new Map() });
          });
        }
        noteMultipart(seen, incoming, answer);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };

  const noteMultipart = (seen: S3Request, incoming: IncomingMessage, answer: IncomingMessage) => {
    const uploadId = uploadIdOf(seen);
    if (!uploadId || seen.status >= 300) return;
    if (isPartUpload(seen)) {
      const partNumber = Number(query(seen).get('partNumber'));
      uploads.get(uploadId)?.parts.set(partNumber, { etag: String(answer.headers.etag ?? ''), size: Number(incoming.headers['content-length'] ?? 0) });
    } else if (seen.method === 'DELETE' || seen.method === 'POST') {
      uploads.delete(uploadId);
    }
  };

  /** ListParts and ListMultipartUploads, which fauxqs lacks: answered here, or undefined for fauxqs to answer. */
  const listing = (seen: { method: string; url: string }): { status: number; xml: string } | undefined => {
    if (seen.method !== 'GET') return undefined;
    const uploadId = uploadIdOf(seen);
    if (uploadId) {
      const upload = uploads.get(uploadId);
      if (!upload) return { status: 404, xml: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>' };
      const parts = [...upload.parts].sort(([a], [b]) => a - b)
        .map(([number, part]) => `<Part><PartNumber>${number}</PartNumber><ETag>${xml(part.etag)}</ETag><Size>${part.size}</Size></Part>`);
      return { status: 200, xml: `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult><Bucket>${bucket}</Bucket><Key>${xml(upload.key)}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>` };
    }
    const url = new URL(seen.url, 'http://s3');
    if (url.searchParams.has('uploads') && url.pathname.replace(/\/$/, '') === `/${bucket}`) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const listed = [...uploads].filter(([, upload]) => upload.key.startsWith(prefix))
        .map(([id, upload]) => `<Upload><Key>${xml(upload.key)}</Key><UploadId>${id}</UploadId></Upload>`);
      return { status: 200, xml: `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${bucket}</Bucket><IsTruncated>false</IsTruncated>${listed.join('')}</ListMultipartUploadsResult>` };
    }
    return undefined;
  };

  const proxy = createServer((incoming, outgoing) => {
    const seen = { method: incoming.method ?? '', url: incoming.url ?? '' };
    const listed = listing(seen);
    if (listed) {
      requests.push({ ...seen, status: listed.status });
      incoming.resume();
      outgoing.writeHead(listed.status, { 'content-type': 'application/xml' }).end(listed.xml);
      return;
    }
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
