/**
 * Notices a Redis that is still connected but no longer answers (a paused or
 * wedged server, a black-holed network path) and turns it into a fast outage.
 *
 * node-redis bounds nothing once a command is on the wire, and a per-command
 * timer costs about 10 µs and an old-generation object on every command. One
 * PING every `probeEveryMs` costs neither: when it has gone unanswered for
 * `stallAfterMs`, the watchdog drops the connection. That rejects every
 * command waiting on it, so their requests answer 503 at once, and opens a
 * new one; with the offline queue disabled, commands fail fast until Redis
 * answers again.
 */
import type { Logger } from 'pino';

/** The part of a node-redis client the watchdog uses. */
export interface WatchedClient {
  readonly isReady: boolean;
  ping(): Promise<string>;
  destroy(): void;
  connect(): Promise<unknown>;
}

export interface WatchdogOptions {
  /** How often a PING is sent while the connection is ready. */
  probeEveryMs: number;
  /** How long a PING may go unanswered before the connection counts as stalled. */
  stallAfterMs: number;
  logger: Logger;
  /** Called each time a stalled connection is dropped. */
  onStall?: () => void;
}

export function watchRedis(client: WatchedClient, { probeEveryMs, stallAfterMs, logger, onStall }: WatchdogOptions): { stop(): void } {
  let probeSentAt: number | undefined;
  let reconnecting = false;

  const probe = () => {
    if (reconnecting || !client.isReady) return;
    if (probeSentAt === undefined) {
      const sentAt = performance.now();
      probeSentAt = sentAt;
      client.ping().then(
        () => {
          if (probeSentAt === sentAt) probeSentAt = undefined;
        },
        () => {
          // A failed PING means the connection already broke; node-redis reconnects by itself.
          if (probeSentAt === sentAt) probeSentAt = undefined;
        },
      );
      return;
    }
    // Check after this turn's I/O: if the gateway's own event loop was blocked, the answer may be waiting in the
    // socket, and a busy gateway must not mistake itself for a stalled Redis.
    setImmediate(() => {
      if (probeSentAt === undefined || reconnecting) return;
      const waited = performance.now() - probeSentAt;
      if (waited < stallAfterMs) return;
      logger.error({ waitedMs: Math.round(waited) }, 'Redis stopped answering; dropping the connection and reconnecting');
      probeSentAt = undefined;
      reconnecting = true;
      onStall?.();
      client.destroy();
      client.connect().then(
        () => {
          reconnecting = false;
          logger.info('Redis answering again after a stall');
        },
        (error: unknown) => {
          reconnecting = false;
          logger.error({ err: error }, 'Redis reconnect after a stall failed');
        },
      );
    });
  };

  const timer = setInterval(probe, probeEveryMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
