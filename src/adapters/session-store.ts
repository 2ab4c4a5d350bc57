/**
 * express-session's store over the shared-store port: one implementation for
 * every store behind that port (in memory, on Redis, and any later one), so
 * browser sessions live, expire and are shared by replicas exactly like the
 * rest of the shared state.
 *
 * A session is one JSON value under `sess:{id}` that lives as long as its
 * cookie: a save sets its expiry from the cookie it carries, and the read that
 * starts each request renews it for the idle timeout, the rolling cookie's
 * maxAge, in the same step. So the store has no `touch`, and express-session
 * sends none at the end of a request that changed nothing: a polling page costs
 * one read. Renewing never writes back the copy a request read, which could
 * undo what another request saved meanwhile, such as the other tab of a sign-in.
 */
import session, { type SessionData } from 'express-session';
import type { SharedStore } from '../domain/ports.ts';

type Callback = (error?: unknown) => void;

const sessionKey = (sid: string) => `sess:${sid}`;

export class SharedSessionStore extends session.Store {
  readonly #store: SharedStore;
  /** How long a session lives after the last request that read it: the rolling cookie's maxAge. */
  readonly #idleTimeoutMs: number;

  constructor(store: SharedStore, options: { idleTimeoutMs: number }) {
    super();
    this.#store = store;
    this.#idleTimeoutMs = options.idleTimeoutMs;
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.#store.getAndExpire(sessionKey(sid), this.#idleTimeoutMs).then((stored) => {
      let data: SessionData | null = null;
      try {
        if (stored !== undefined) data = JSON.parse(stored) as SessionData;
      } catch (error) {
        callback(error);
        return;
      }
      callback(null, data);
    }, callback);
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    const ttlMs = this.#ttlOf(data);
    const written = ttlMs > 0 ? this.#store.set(sessionKey(sid), JSON.stringify(data), ttlMs) : this.#store.delete(sessionKey(sid));
    settle(written, callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    settle(this.#store.delete(sessionKey(sid)), callback);
  }

  /** What is left of the cookie's lifetime: the session lives exactly as long as the cookie that names it. */
  #ttlOf(data: SessionData): number {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires).getTime() - Date.now() : this.#idleTimeoutMs;
  }
}

/** Calls back once the write settled; a callback that throws is not called a second time with its own error. */
function settle(work: Promise<unknown>, callback: Callback | undefined): void {
  work.then(() => callback?.(), (error: unknown) => callback?.(error));
}
