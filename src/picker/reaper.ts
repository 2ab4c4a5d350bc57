/**
 * Deletes Picker sessions at Google once they are finished (after a grace
 * period for their results), timed out or past expireTime, even when the user
 * never comes back. Work comes from a time-ordered queue in the shared store;
 * a per-session lock keeps replicas from reaping the same session twice.
 */
import { promisify } from 'node:util';
import type { SessionData, Store } from 'express-session';
import type { Logger } from 'pino';
import type { GoogleAccounts } from '../auth/google-account.ts';
import { AppError } from '../errors.ts';
import type { SharedCache } from '../store/shared-cache.ts';
import { REAP_QUEUE, type PickerEvents } from './picker-sessions.ts';

const BATCH = 50;
const LOCK_MS = 60_000;
const RETRY_LATER_MS = 5 * 60_000;

export class Reaper {
  readonly #store: Store;
  readonly #cache: SharedCache;
  readonly #accounts: GoogleAccounts;
  readonly #logger: Logger;
  readonly #onEvent: PickerEvents;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(deps: { store: Store; cache: SharedCache; accounts: GoogleAccounts; logger: Logger; onEvent?: PickerEvents }) {
    this.#store = deps.store;
    this.#cache = deps.cache;
    this.#accounts = deps.accounts;
    this.#logger = deps.logger.child({ component: 'reaper' });
    this.#onEvent = deps.onEvent ?? (() => {});
  }

  start(everyMs: number): void {
    this.#timer ??= setInterval(() => {
      this.runOnce().catch((error: unknown) => this.#logger.warn({ err: error }, 'reaper run failed'));
    }, everyMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass over the due sessions; returns how many were deleted. */
  runOnce(): Promise<number> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<number> {
    let deleted = 0;
    for (const member of await this.#cache.due(REAP_QUEUE, Date.now(), BATCH)) {
      if (!(await this.#cache.acquire(`picker:reap-lock:${member}`, LOCK_MS))) continue; // another replica has it
      if (await this.#reap(member)) deleted++;
    }
    return deleted;
  }

  async #reap(member: string): Promise<boolean> {
    const { sid, id } = JSON.parse(member) as { sid: string; id: string };
    const get = promisify(this.#store.get.bind(this.#store)) as (sid: string) => Promise<SessionData | null | undefined>;
    const set = promisify(this.#store.set.bind(this.#store)) as (sid: string, data: SessionData) => Promise<void>;
    const session = await get(sid).catch(() => undefined);
    if (!session?.pickerSessions?.[id]) {
      // The user signed out (their sessions were deleted then) or the browser session is gone: nothing to reap with.
      await this.#cache.unschedule(REAP_QUEUE, member);
      return false;
    }
    const ctx = { session, log: this.#logger };
    try {
      await this.#accounts.withPicker(ctx, (api) => api.deleteSession(id));
    } catch (error) {
      const gone = error instanceof AppError && ['NOT_FOUND', 'PERMISSION_DENIED', 'UNAUTHENTICATED'].includes(error.code);
      if (!gone) {
        this.#logger.warn({ err: error, pickerSession: id }, 'could not reap picker session; will retry');
        await this.#cache.schedule(REAP_QUEUE, member, Date.now() + RETRY_LATER_MS);
        return false;
      }
    }
    const { [id]: _reaped, ...rest } = session.pickerSessions;
    session.pickerSessions = rest;
    await set(sid, session);
    await Promise.all([
      this.#cache.unschedule(REAP_QUEUE, member),
      this.#cache.delete(`picker:observation:${id}`),
      this.#cache.delete(`picker:items:${id}`),
    ]);
    this.#logger.info({ event: 'picker_session_reaped', pickerSession: id }, 'picker session deleted by the reaper');
    this.#onEvent('deleted');
    return true;
  }
}
