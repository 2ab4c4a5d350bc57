/**
 * The shared store on Redis, for replicas: each method is one atomic Redis
 * command (or one MULTI), every key and channel carries the deployment's
 * prefix. Notifications arrive on one subscriber connection, opened on the
 * first subscribe and shared by every listener (node-redis fans a channel's
 * messages out to its listeners). Like Redis pub/sub, a notification sent
 * while a subscriber is disconnected is not delivered to it.
 */
import { ClientOfflineError, RESP_TYPES } from 'redis';
import type { Logger } from 'pino';
import type { SharedStore } from '../../domain/ports.ts';
import { guardListener } from '../guarded-listener.ts';
import type { RedisConnection } from './client.ts';

/** Redis wants a whole, positive number of milliseconds. */
const px = (ttlMs: number) => ({ type: 'PX' as const, value: Math.max(1, Math.round(ttlMs)) });

export class RedisSharedStore implements SharedStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #logger: Logger;
  /** HGETALL answers a RESP3 map; as a Map, field names never meet Object.prototype. */
  readonly #mapClient;
  #subscriber: RedisConnection | undefined;

  constructor(connection: RedisConnection, prefix: string, logger: Logger) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#logger = logger;
    this.#mapClient = connection.client.withTypeMapping({ [RESP_TYPES.MAP]: Map });
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

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await this.#client.set(this.#key(key), value, ttlMs === undefined ? undefined : { expiration: px(ttlMs) });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.#client.set(this.#key(key), value, { condition: 'NX', expiration: px(ttlMs) })) === 'OK';
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.#client.getDel(this.#key(key))) ?? undefined;
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.#client.del(keys.map((key) => this.#key(key)));
  }

  async hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    const prefixed = this.#key(key);
    if (ttlMs === undefined) await this.#client.hSet(prefixed, field, value);
    else await this.#client.multi().hSet(prefixed, field, value).pExpire(prefixed, px(ttlMs).value).exec();
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    return (await this.#client.hGet(this.#key(key), field)) ?? undefined;
  }

  async hashGetAll(key: string): Promise<Map<string, string>> {
    return this.#mapClient.hGetAll(this.#key(key));
  }

  async hashLength(key: string): Promise<number> {
    return this.#client.hLen(this.#key(key));
  }

  async hashDelete(key: string, ...fields: string[]): Promise<number> {
    return fields.length > 0 ? this.#client.hDel(this.#key(key), fields) : 0;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#client.publish(this.#key(channel), message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.#openSubscriber();
    await subscriber.ready;
    // SUBSCRIBE skips the disabled offline queue and would wait for a reconnect; fail fast like every other command.
    if (!subscriber.client.isReady) throw new ClientOfflineError();
    const prefixed = this.#key(channel);
    const { client } = subscriber;
    let listening = true;
    const guarded = guardListener((message) => listening && listener(message), channel, this.#logger);
    const leave = async () => {
      listening = false;
      // The listener is deaf from here on; telling Redis is tidying. A closed client has nothing to leave, one that is
      // reconnecting would send UNSUBSCRIBE only once Redis answers again (not worth waiting for), and a connection that
      // breaks meanwhile forgets its subscriptions anyway.
      if (!client.isOpen) return;
      const left = client.unsubscribe(prefixed, guarded).catch(() => {});
      if (client.isReady) await left;
    };
    try {
      await client.subscribe(prefixed, guarded);
    } catch (error) {
      await leave();
      throw error;
    }
    return leave;
  }

  #openSubscriber(): RedisConnection {
    // A first connection would wait for a Redis that is away.
    if (!this.#subscriber && !this.#client.isReady) throw new ClientOfflineError();
    return (this.#subscriber ??= this.#connection.duplicate());
  }

  ping(): Promise<boolean> {
    return this.#connection.ping();
  }

  /** Closes the subscriber connection; the main one belongs to whoever passed it in. */
  async close(): Promise<void> {
    await this.#subscriber?.close();
    this.#subscriber = undefined;
  }
}
