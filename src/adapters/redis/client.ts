/**
 * The gateway's Redis connections, all ioredis, with one failure model
 * (docs/decisions/0001-redis-failure-model.md):
 *
 * - a request never waits on Redis: no offline queue (a command fails at once
 *   while Redis is away), every command answered within COMMAND_TIMEOUT_MS or
 *   failed (`commandTimeout`), nothing retried or re-sent after a dropped
 *   connection (`maxRetriesPerRequest: 0`: a re-sent GETDEL or INCR could run
 *   twice);
 * - a connection that has commands waiting but hears nothing for
 *   SILENT_AFTER_MS (a frozen or wedged Redis, a black-holed path) is dropped
 *   (`socketTimeout`), which fails what waits on it, so later commands fail at
 *   once instead of queueing behind a silent socket;
 * - it reconnects by itself, forever, backing off to RECONNECT_CAP_MS; each
 *   outage is logged once.
 *
 * BullMQ's workers need the opposite (their blocking reads wait through
 * outages): `workerTemplate()` gives them a connection to duplicate, with the
 * same address and reconnects.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisConnection {
  readonly client: Redis;
  readonly url: string;
  /** Settles when the first connection is made (retrying until Redis answers), or rejects when closed before. */
  readonly ready: Promise<void>;
  /** True when Redis answers a PING within PING_TIMEOUT_MS. */
  ping(): Promise<boolean>;
  /** Called each time a connection is dropped because Redis stopped answering. */
  onStall(listener: () => void): void;
  /** Another connection to the same Redis, opened and logged the same way (a subscriber needs its own). */
  duplicate(): RedisConnection;
  /**
   * A connection that is never opened itself, for BullMQ workers to duplicate: their commands wait through an outage
   * (offline queue, no timeouts, `maxRetriesPerRequest: null` as BullMQ requires), where a request's would fail.
   */
  workerTemplate(): Redis;
  /** Waits for pending replies a short while, then drops the connection: never hangs on a Redis that is away. */
  close(): Promise<void>;
}

/** Raised by our own code for a Redis that is away (ioredis raises its own errors for its commands). */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
  constructor() {
    super('Redis is not connected');
  }
}

const COMMAND_TIMEOUT_MS = 2_000;
const SILENT_AFTER_MS = 2_000;
const PING_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;
const RECONNECT_CAP_MS = 3_000;
const CLOSE_GRACE_MS = 1_000;

/** ioredis's message for a connection dropped by `socketTimeout`: the only sign that Redis went silent, not away. */
const SILENT_SOCKET = /^Socket timeout\b/;

/** Reconnects at once after a drop (a wrong one, from our own blocked event loop, costs a few ms), then backs off. */
const reconnectDelay = (attempt: number) => (attempt <= 1 ? 0 : Math.min(100 * 2 ** (attempt - 1), RECONNECT_CAP_MS));

/** Options shared by every connection: where Redis is and how to reach it again. */
const COMMON: RedisOptions = {
  connectTimeout: CONNECT_TIMEOUT_MS,
  retryStrategy: reconnectDelay,
  // Names the connections in CLIENT LIST, for an operator counting them.
  connectionName: 'ppg',
};

const FAIL_FAST: RedisOptions = {
  ...COMMON,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: COMMAND_TIMEOUT_MS,
  socketTimeout: SILENT_AFTER_MS,
};

const WAIT_THROUGH_OUTAGES: RedisOptions = {
  ...COMMON,
  connectionName: 'ppg:worker',
  lazyConnect: true,
  maxRetriesPerRequest: null,
};

/** Starts connecting at once; await `ready` before the first command, which otherwise fails as offline. */
export function openRedis(url: string, logger: Logger): RedisConnection {
  const client = new Redis(url, { ...FAIL_FAST, lazyConnect: true });
  const stallListeners: Array<() => void> = [];
  let outage: 'none' | 'error' | 'stall' = 'none';
  client.on('error', (error: Error) => {
    if (outage !== 'none') return;
    if (SILENT_SOCKET.test(error.message)) {
      outage = 'stall';
      logger.error({ silentForMs: SILENT_AFTER_MS }, 'Redis stopped answering; dropping the connection and reconnecting');
      for (const listener of stallListeners) listener();
      return;
    }
    outage = 'error';
    logger.error({ err: error }, 'Redis connection error');
  });
  client.on('ready', () => {
    if (outage === 'stall') logger.info('Redis answering again after a stall');
    else if (outage === 'error') logger.info('Redis connection restored');
    outage = 'none';
  });

  // connect() rejects when the first try fails, but ioredis goes on retrying: ready is the first 'ready'.
  const ready = new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('end', () => reject(new RedisUnavailableError()));
  });
  client.connect().catch(() => {});
  // Handled here so a connection closed before it ever connected raises no unhandled rejection; awaiters still see it.
  ready.catch(() => {});

  return {
    client,
    url,
    ready,
    ping: async () => {
      if (client.status !== 'ready') return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, PING_TIMEOUT_MS, false)));
      const answer = client.ping().then((reply) => reply === 'PONG', () => false);
      const answered = await Promise.race([answer, timeout]);
      clearTimeout(timer);
      return answered;
    },
    onStall: (listener) => void stallListeners.push(listener),
    duplicate: () => openRedis(url, logger),
    workerTemplate: () => new Redis(url, WAIT_THROUGH_OUTAGES),
    close: async () => {
      if (client.status !== 'ready') {
        client.disconnect();
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
      // QUIT is answered after every reply before it; a Redis that does not answer gets the connection dropped.
      await Promise.race([client.quit().catch(() => {}), grace]);
      clearTimeout(timer);
      client.disconnect();
    },
  };
}
