/**
 * One node-redis connection as the gateway wants it: commands fail at once
 * while Redis is away (no offline queue), so a request answers 503 instead of
 * hanging; reconnects never give up but back off to a few seconds; each outage
 * is logged once.
 *
 * A Redis that stays connected but stops answering (a paused or wedged server,
 * a black-holed path) needs one thing node-redis lacks. Its command timeout
 * (`commandOptions.timeout`) ends once the command is written, and its
 * `socketTimeout` counts inactivity that every write restarts: while requests
 * keep coming, a silent Redis holds them all. So node-redis's own keep-alive
 * PING (`pingInterval`) is watched: when none has been answered for
 * SILENT_AFTER_MS, the connection is dropped, which rejects every command
 * waiting on it, and opened again.
 */
import { createClient } from 'redis';
import type { Logger } from 'pino';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisConnection {
  readonly client: RedisClient;
  readonly url: string;
  /** Settles when the first connection is made (retrying until Redis answers), or rejects when closed before. */
  readonly ready: Promise<void>;
  /** True when Redis answers a PING within PING_TIMEOUT_MS. */
  ping(): Promise<boolean>;
  /** Called each time a connection is dropped because Redis stopped answering. */
  onStall(listener: () => void): void;
  /** Another connection to the same Redis, opened and watched the same way (a subscriber needs its own). */
  duplicate(): RedisConnection;
  /** Waits for pending replies a short while, then drops the connection: never hangs on a Redis that is away. */
  close(): Promise<void>;
}

const PING_TIMEOUT_MS = 1_000;
const PING_EVERY_MS = 500;
const SILENT_AFTER_MS = 2_000;
const CHECK_EVERY_MS = 250;
const CLOSE_GRACE_MS = 1_000;

/** Starts connecting at once; await `ready` before the first command, which otherwise fails as offline. */
export function openRedis(url: string, logger: Logger): RedisConnection {
  const client: RedisClient = createClient({
    url,
    disableOfflineQueue: true,
    pingInterval: PING_EVERY_MS,
    // Bounds only commands not yet written, and with no offline queue nothing waits to be written; it would cost an
    // AbortSignal.timeout per command (about 10 µs and old-generation churn), so it is off.
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 2_000,
      // Bounds the handshake of a connection that opened but never answers (the stall check below watches only ready
      // connections). Once ready, the keep-alive PING keeps the socket from ever being idle this long.
      socketTimeout: 5_000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 3_000),
    },
  });

  const stallListeners: Array<() => void> = [];
  let outage: 'none' | 'error' | 'stall' = 'none';
  client.on('error', (error: Error) => {
    if (outage !== 'none') return;
    logger.error({ err: error }, 'Redis connection error');
    outage = 'error';
  });
  client.on('ready', () => {
    if (outage === 'stall') logger.info('Redis answering again after a stall');
    else if (outage === 'error') logger.info('Redis connection restored');
    outage = 'none';
  });
  const watch = watchForSilence(client, () => {
    logger.error({ silentForMs: SILENT_AFTER_MS }, 'Redis stopped answering; dropping the connection and reconnecting');
    outage = 'stall';
    for (const listener of stallListeners) listener();
    client.destroy();
    // Errors while reconnecting reach the 'error' listener; this promise only ends with the client.
    client.connect().catch(() => {});
  });

  const ready = client.connect().then(() => undefined);
  // Handled here so a connection closed before it ever connected raises no unhandled rejection; awaiters still see it.
  ready.catch(() => watch.stop());

  return {
    client,
    url,
    ready,
    ping: async () => {
      if (!client.isReady) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, PING_TIMEOUT_MS, false)));
      const answer = client.ping().then((reply) => reply === 'PONG', () => false);
      const answered = await Promise.race([answer, timeout]);
      clearTimeout(timer);
      return answered;
    },
    onStall: (listener) => void stallListeners.push(listener),
    duplicate: () => openRedis(url, logger),
    close: async () => {
      watch.stop();
      if (!client.isOpen) return;
      if (!client.isReady) {
        client.destroy();
        return;
      }
      const timer = setTimeout(() => client.destroy(), CLOSE_GRACE_MS);
      await client.close();
      clearTimeout(timer);
    },
  };
}

/** Calls onSilent when a ready connection has answered no keep-alive PING for SILENT_AFTER_MS. */
function watchForSilence(client: RedisClient, onSilent: () => void): { stop(): void } {
  let lastAnswer = performance.now();
  const answered = () => void (lastAnswer = performance.now());
  client.on('ready', answered).on('ping-interval', answered);
  let lastCheck = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    // A gateway whose own event loop was held up may have the answer unread in its socket: it cannot judge Redis
    // from that, so it starts counting again.
    if (now - lastCheck > 2 * CHECK_EVERY_MS) lastAnswer = now;
    lastCheck = now;
    if (client.isReady && now - lastAnswer >= SILENT_AFTER_MS) onSilent();
  }, CHECK_EVERY_MS).unref();
  return {
    stop: () => {
      clearInterval(timer);
      client.off('ready', answered).off('ping-interval', answered);
    },
  };
}
