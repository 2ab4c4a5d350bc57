import type { Logger } from 'pino';
import { guardListener } from './guarded-listener.ts';

/**
 * Publish/subscribe for stores that serve one process (in memory, the embedded
 * file): a message reaches every listener of its channel in this process, each on
 * a later turn, and a listener that throws harms nobody else.
 */
export class LocalChannels {
  readonly #channels = new Map<string, Set<(message: string) => void>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  publish(channel: string, message: string): void {
    for (const listener of this.#channels.get(channel) ?? []) listener(message);
  }

  subscribe(channel: string, listener: (message: string) => void): () => Promise<void> {
    const guarded = guardListener(listener, channel, this.#logger);
    let listeners = this.#channels.get(channel);
    if (!listeners) this.#channels.set(channel, (listeners = new Set()));
    listeners.add(guarded);
    return async () => {
      listeners.delete(guarded);
      if (listeners.size === 0 && this.#channels.get(channel) === listeners) this.#channels.delete(channel);
    };
  }

  clear(): void {
    this.#channels.clear();
  }
}
