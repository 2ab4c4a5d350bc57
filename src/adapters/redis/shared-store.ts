/**
 * The shared store on Redis, for replicas: each method is one atomic Redis
 * command (or one MULTI), every key and channel carries the deployment's
 * prefix. Notifications arrive on one subscriber connection, opened on the
 * first subscribe and shared by every listener (this store fans a channel's
 * messages out to its listeners; ioredis subscribes again after a reconnect).
 * Like Redis pub/sub, a notification sent while a subscriber is disconnected
 * is not delivered to it.
 */
import type { Logger } from 'pino';
import type { SharedStore } from '../../domain/ports.ts';
import { guardListener } from '../guarded-listener.ts';
import { RedisUnavailableError, type RedisConnection } from './client.ts';

/** Redis wants a whole, positive number of milliseconds. */
const px = (ttlMs: number) => Math.max(1, Math.round(ttlMs));

export class RedisSharedStore implements SharedStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #logger: Logger;
  #subscriber: RedisConnection | undefined;
  /** Listeners by prefixed channel; a channel is subscribed at Redis while it has any. */
  readonly #listeners = new Map<string, Set<(message: string) => void>>();

  constructor(connection: RedisConnection, prefix: string, logger: Logger) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#logger = logger;
  }

  get #client() {
    return this.#connection.client;
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#client.get(this.#key(key))) ?? undefined;
  }

  async getAndExpire(key: string, ttlMs: number): Promise<string | undefined> {
    return (await this.#client.getex(this.#key(key), 'PX', px(ttlMs))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.#client.set(this.#key(key), value);
    else await this.#client.set(this.#key(key), value, 'PX', px(ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.#client.set(this.#key(key), value, 'PX', px(ttlMs), 'NX')) === 'OK';
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#client.pexpire(this.#key(key), px(ttlMs))) === 1;
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.#client.getdel(this.#key(key))) ?? undefined;
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.#client.del(...keys.map((key) => this.#key(key)));
  }

  async hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    const prefixed = this.#key(key);
    if (ttlMs === undefined) {
      await this.#client.hset(prefixed, field, value);
      return;
    }
    const replies = await this.#client.multi().hset(prefixed, field, value).pexpire(prefixed, px(ttlMs)).exec();
    const failed = replies?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    return (await this.#client.hget(this.#key(key), field)) ?? undefined;
  }

  async hashGetAll(key: string): Promise<Map<string, string>> {
    // ioredis answers an object whose special names (__proto__, constructor) are its own properties, never inherited.
    return new Map(Object.entries(await this.#client.hgetall(this.#key(key))));
  }

  async hashLength(key: string): Promise<number> {
    return this.#client.hlen(this.#key(key));
  }

  async hashDelete(key: string, ...fields: string[]): Promise<number> {
    return fields.length > 0 ? this.#client.hdel(this.#key(key), ...fields) : 0;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#client.publish(this.#key(channel), message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = await this.#openSubscriber();
    // SUBSCRIBE would fail anyway; saying so here keeps a listener from being left behind.
    if (subscriber.client.status !== 'ready') throw new RedisUnavailableError();
    const prefixed = this.#key(channel);
    let listening = true;
    const guarded = guardListener((message) => listening && listener(message), channel, this.#logger);
    let listeners = this.#listeners.get(prefixed);
    if (!listeners) this.#listeners.set(prefixed, (listeners = new Set()));
    listeners.add(guarded);
    const leave = async () => {
      listening = false;
      listeners.delete(guarded);
      if (listeners.size > 0 || this.#listeners.get(prefixed) !== listeners) return;
      this.#listeners.delete(prefixed);
      // The listener is deaf from here on; telling Redis is tidying, not worth waiting for while it is away (a channel
      // left subscribed then is dropped at its next message, below).
      const left = subscriber.client.unsubscribe(prefixed).catch(() => {});
      if (subscriber.client.status === 'ready') await left;
    };
    try {
      // Again for a channel already subscribed: harmless, and it waits for Redis to confirm either way.
      await subscriber.client.subscribe(prefixed);
    } catch (error) {
      await leave();
      throw error;
    }
    return leave;
  }

  async #openSubscriber(): Promise<RedisConnection> {
    if (!this.#subscriber) {
      // A first connection would wait for a Redis that is away.
      if (this.#client.status !== 'ready') throw new RedisUnavailableError();
      const subscriber = this.#connection.duplicate();
      subscriber.client.on('message', (channel: string, message: string) => {
        const listeners = this.#listeners.get(channel);
        if (listeners) for (const listener of listeners) listener(message);
        // Left while Redis was away, and subscribed again by the reconnect: nobody listens any more.
        else subscriber.client.unsubscribe(channel).catch(() => {});
      });
      this.#subscriber = subscriber;
    }
    await this.#subscriber.ready;
    return this.#subscriber;
  }

  ping(): Promise<boolean> {
    return this.#connection.ping();
  }

  /** Closes the subscriber connection; the main one belongs to whoever passed it in. */
  async close(): Promise<void> {
    await this.#subscriber?.close();
    this.#subscriber = undefined;
    this.#listeners.clear();
  }
}
