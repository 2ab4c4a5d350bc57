import type { Logger } from 'pino';

/**
 * Wraps a subscriber's listener so that it hears each message on a later turn and
 * a listener that throws (or rejects) is logged instead of breaking the
 * publisher, the other listeners or the connection that delivered the message.
 */
export function guardListener(listener: (message: string) => void, channel: string, logger: Logger): (message: string) => void {
  return (message) => {
    Promise.resolve(message)
      .then(listener)
      .catch((error: unknown) => logger.error({ err: error, channel }, 'A listener failed on a notification'));
  };
}
