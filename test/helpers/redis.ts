/** Redis for tests: the machine's Redis on 127.0.0.1:6379, or a private one on its own port that a test may stop and start. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test uses, so test files can share one Redis. */
export const uniquePrefix = () => `ppgtest:${randomBytes(4).toString('hex')}:`;

/** Every key under `prefix` on the Redis at `url` (or an open client), sorted. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 100 }) as AsyncIterable<string[]>) keys.push(...batch);
  return keys.sort();
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class PrivateRedis {
  readonly port: number;
  /** Where a persistent Redis keeps its append-only file, so a restart finds what it held. */
  readonly #dataDir: string | undefined;
  #process: ChildProcess | undefined;

  constructor(port: number, options: { persistent?: boolean } = {}) {
    this.port = port;
    this.#dataDir = options.persistent ? mkdtempSync(join(tmpdir(), 'private-redis-')) : undefined;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `persistent`: every write is on disk before it is answered (appendfsync always), as a crash and restart expect. */
  static async start(options: { persistent?: boolean } = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), options);
    await redis.start();
    return redis;
  }

  async start(): Promise<void> {
    const persistence = this.#dataDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.#dataDir] : ['--appendonly', 'no'];
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const client = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error('private redis did not start');
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  /** Kills the server (SIGKILL, as a crash): a persistent one keeps what it had written for the next start. */
  async stop(): Promise<void> {
    this.resume();
    if (!this.#process || this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const exited = once(this.#process, 'exit');
    this.#process.kill('SIGKILL');
    await exited;
  }

  /** Stops the server for good and removes what it kept on disk. */
  async remove(): Promise<void> {
    await this.stop();
    if (this.#dataDir) rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
