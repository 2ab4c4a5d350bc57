/** The driver's HTTP: plain keep-alive node:http calls whose bodies are counted, not kept, unless asked for. */
import http from 'node:http';

export interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; bytes: number }

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Keep the body as text (for setup calls); measured calls only count its bytes. */
  keepBody?: boolean;
}

/** One pool per destination, like a browser's or a load balancer's, so no way of calling borrows another's sockets. */
export const pool = () => new http.Agent({ keepAlive: true, maxSockets: 64 });

export function call(agent: http.Agent, url: string, options: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (options.keepBody) chunks.push(chunk);
      });
      response.on('end', () => resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: Buffer.concat(chunks).toString(),
        bytes,
      }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

export async function callJson<T>(agent: http.Agent, url: string, options: CallOptions = {}): Promise<T> {
  const answer = await call(agent, url, { ...options, keepBody: true });
  if (answer.status < 200 || answer.status >= 300) throw new Error(`${options.method ?? 'GET'} ${url} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body) as T;
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Runs `task` over `items`, at most `limit` at a time. */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  }));
  return results;
}
