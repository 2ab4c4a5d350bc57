/**
 * The Picker sessions a user creates here: creating them (recovering once
 * from RESOURCE_EXHAUSTED by deleting the user's stale sessions), following
 * them with coalesced polls, and deleting them. A user's session remembers
 * the ids they created; any other id is 404 without a Google call.
 */
import type { Request } from 'express';
import type { GoogleAccounts } from '../auth/google-account.ts';
import type { OwnedPickerSession } from '../auth/session-data.ts';
import { AppError, notFound } from '../errors.ts';
import { durationMs, type PickingSession, type PollingConfig } from '../adapters/google/picker-api.ts';
import type { SharedCache } from '../store/shared-cache.ts';

export type PickerStatus = 'pending' | 'complete' | 'expired';

export interface SessionView {
  id: string;
  status: PickerStatus;
  mediaItemsSet: boolean;
  pollingConfig?: PollingConfig;
  expireTime: string;
  pickerUri: string;
}

/** What the gateway last heard from Google about a session, shared by every poller. */
interface Observation {
  session: PickingSession;
  observedAt: number;
  /** Google answered PERMISSION_DENIED: access to the session has ended for good. */
  gone?: boolean;
}

const DEFAULT_POLL_INTERVAL_MS = 5_000;
/** Never hammer Google even if it suggests a very short interval. */
const MIN_POLL_INTERVAL_MS = 1_000;
const WAIT_FOR_OTHER_POLLER_MS = 2_000;
const POLL_LOCK_MS = 10_000;
/** How many Picker sessions a user's session remembers (Google allows only a few open ones anyway). */
export const MAX_REMEMBERED = 20;

/** The reaper's queue: members are JSON {sid, id} (express session id and Picker session id). */
export const REAP_QUEUE = 'picker-reap';
export const reapMember = (sid: string, id: string) => JSON.stringify({ sid, id });

export interface PickerEvents {
  (event: 'created' | 'completed' | 'expired' | 'deleted'): void;
}

function isPast(timestamp: string | undefined, now = Date.now()): boolean {
  const at = timestamp ? Date.parse(timestamp) : Number.NaN;
  return Number.isFinite(at) && at <= now;
}

export function statusOf(session: PickingSession, now = Date.now()): PickerStatus {
  if (session.mediaItemsSet) return isPast(session.expireTime, now) ? 'expired' : 'complete';
  if (isPast(session.expireTime, now)) return 'expired';
  if (session.pollingConfig?.timeoutIn !== undefined && durationMs(session.pollingConfig.timeoutIn) === 0) return 'expired';
  return 'pending';
}

export class PickerSessions {
  readonly #accounts: GoogleAccounts;
  readonly #cache: SharedCache;
  readonly #onEvent: PickerEvents;
  /** One in-flight Google poll per Picker session in this process. */
  readonly #inflight = new Map<string, Promise<Observation | undefined>>();

  readonly #completedGraceMs: number;
  readonly #saveSession: (req: Request) => Promise<void>;

  /**
   * completedGraceMs: how long a finished session stays at Google for its results before the reaper deletes it.
   * saveSession: stores the user's session now, so a creation can write it together with its cache writes.
   */
  constructor(
    accounts: GoogleAccounts,
    cache: SharedCache,
    options: { completedGraceMs: number; saveSession: (req: Request) => Promise<void>; onEvent?: PickerEvents },
  ) {
    this.#accounts = accounts;
    this.#cache = cache;
    this.#completedGraceMs = options.completedGraceMs;
    this.#saveSession = options.saveSession;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  async #scheduleReap(req: Request, id: string, dueAt: number): Promise<void> {
    await this.#cache.schedule(REAP_QUEUE, reapMember(req.sessionID, id), dueAt);
  }

  /** The user's Picker sessions, newest first. */
  owned(req: Request): OwnedPickerSession[] {
    return Object.entries(req.session.pickerSessions ?? {})
      .map(([id, remembered]) => ({ id, ...remembered }))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  ownedOrNotFound(req: Request, id: string): OwnedPickerSession {
    const remembered = req.session.pickerSessions?.[id];
    if (!remembered) throw notFound('No picking session with this id was created here by you.');
    return { id, ...remembered };
  }

  async create(req: Request, input: { requestId?: string; maxItemCount?: number }): Promise<PickingSession> {
    let session: PickingSession;
    try {
      session = await this.#accounts.withPicker(req, (api) => api.createSession(input));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'RESOURCE_EXHAUSTED') throw this.#explainCreateError(error);
      // Google limits open sessions per user: free the ones that are no longer useful, then try once more.
      const freed = await this.#deleteStale(req);
      req.log.warn({ event: 'picker_sessions_exhausted', freed }, 'Picker session limit reached; deleted stale sessions');
      try {
        session = await this.#accounts.withPicker(req, (api) => api.createSession(input));
      } catch (retryError) {
        throw this.#explainCreateError(retryError);
      }
    }
    const expiresAt = Date.parse(session.expireTime) || Date.now() + 86_400_000;
    req.session.pickerSessions = { ...req.session.pickerSessions, [session.id]: { createdAt: Date.now(), expiresAt } };
    this.#evictOldest(req);
    // Issued together, so Redis gets all three in one write and answers in one round trip.
    await Promise.all([
      this.#observe(session.id, { session, observedAt: Date.now() }),
      this.#scheduleReap(req, session.id, expiresAt),
      this.#saveSession(req),
    ]);
    this.#onEvent('created');
    return session;
  }

  /**
   * A user's session remembers at most MAX_REMEMBERED Picker sessions, so it stays small in the store
   * however many are created. The oldest beyond that are deleted at Google in the background.
   */
  #evictOldest(req: Request): void {
    const evicted = this.owned(req).slice(MAX_REMEMBERED);
    for (const old of evicted) {
      this.forget(req, old.id);
      void this.#deleteAtGoogle(req, old.id).catch((error: unknown) =>
        req.log.warn({ err: error, pickerSession: old.id }, 'could not delete an evicted picker session'));
    }
  }

  #explainCreateError(error: unknown): unknown {
    if (error instanceof AppError && error.code === 'FAILED_PRECONDITION') {
      return new AppError({
        status: 409,
        code: error.code,
        detail: 'This Google account has no Google Photos library yet.',
        messageKey: 'error.noPhotosAccount',
        cause: error,
      });
    }
    return error;
  }

  /** Deletes the user's sessions that are finished, expired or timed out (best effort). */
  async #deleteStale(req: Request): Promise<number> {
    let freed = 0;
    for (const owned of this.owned(req)) {
      const seen = await this.#cache.get<Observation>(this.#key(owned.id));
      const status = seen ? (seen.gone ? 'expired' : statusOf(seen.session)) : owned.expiresAt <= Date.now() ? 'expired' : 'pending';
      if (status === 'pending') continue;
      await this.delete(req, owned.id).then(() => freed++, () => undefined);
    }
    return freed;
  }

  #key(id: string) {
    return `picker:observation:${id}`;
  }

  async #observe(id: string, observation: Observation): Promise<void> {
    const ttl = Math.max(60_000, Date.parse(observation.session.expireTime) - Date.now() + 60_000 || 0);
    await this.#cache.set(this.#key(id), observation, Math.min(ttl, 7 * 86_400_000));
  }

  #interval(observation: Observation | undefined): number {
    const suggested = durationMs(observation?.session.pollingConfig?.pollInterval) ?? DEFAULT_POLL_INTERVAL_MS;
    return Math.max(MIN_POLL_INTERVAL_MS, suggested);
  }

  /**
   * The session's state as Google last told it, asking Google again at most
   * once per pollInterval per Picker session, however many browsers, tabs or
   * replicas ask.
   */
  async status(req: Request, id: string): Promise<SessionView> {
    const owned = this.ownedOrNotFound(req, id);
    let observation = await this.#cache.get<Observation>(this.#key(id));
    const fresh = (o: Observation | undefined) =>
      o !== undefined && (o.gone || o.session.mediaItemsSet || Date.now() - o.observedAt < this.#interval(o));

    if (!fresh(observation) && owned.expiresAt > Date.now()) {
      observation = await this.#poll(req, id, observation);
    }
    // Nothing observed and past its expiry: all that is left to say is that it expired.
    const session = observation?.session ?? { id, pickerUri: '', expireTime: new Date(owned.expiresAt).toISOString(), mediaItemsSet: false };
    const status = observation?.gone ? 'expired' : statusOf(session);
    return {
      id,
      status,
      mediaItemsSet: session.mediaItemsSet,
      ...(status === 'pending' && session.pollingConfig ? { pollingConfig: session.pollingConfig } : {}),
      expireTime: session.expireTime,
      pickerUri: session.pickerUri,
    };
  }

  #poll(req: Request, id: string, previous: Observation | undefined): Promise<Observation | undefined> {
    // Within this process: one poll per session at a time, registered before the first await so that a request
    // arriving while the lock is being taken joins it instead of finding the lock held and waiting for it.
    let running = this.#inflight.get(id);
    if (!running) {
      running = this.#pollOnce(req, id, previous).finally(() => this.#inflight.delete(id));
      this.#inflight.set(id, running);
    }
    return running;
  }

  async #pollOnce(req: Request, id: string, previous: Observation | undefined): Promise<Observation | undefined> {
    // Across replicas: whoever takes the lock asks Google; the others wait for its answer. The lock is
    // released as soon as the answer is stored (its TTL only covers a replica that dies mid-poll).
    const lock = `picker:poll-lock:${id}`;
    if (!(await this.#cache.acquire(lock, POLL_LOCK_MS))) return this.#awaitOtherPoller(id, previous);
    try {
      return await this.#askGoogle(req, id, previous);
    } finally {
      void this.#cache.release(lock).catch(() => undefined);
    }
  }

  async #awaitOtherPoller(id: string, previous: Observation | undefined): Promise<Observation | undefined> {
    const deadline = Date.now() + WAIT_FOR_OTHER_POLLER_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const seen = await this.#cache.get<Observation>(this.#key(id));
      if (seen && seen.observedAt !== previous?.observedAt) return seen;
    }
    return previous;
  }

  async #askGoogle(req: Request, id: string, previous: Observation | undefined): Promise<Observation> {
    try {
      const session = await this.#accounts.withPicker(req, (api) => api.getSession(id));
      const observation: Observation = { session, observedAt: Date.now() };
      await this.#observe(id, observation);
      if (session.mediaItemsSet && !previous?.session.mediaItemsSet) {
        this.#onEvent('completed');
        await this.#scheduleReap(req, id, Math.min(Date.now() + this.#completedGraceMs, Date.parse(session.expireTime) || Infinity));
      } else if (statusOf(session) === 'expired') {
        await this.#scheduleReap(req, id, Date.now()); // timed out: nothing more will come of it
      }
      return observation;
    } catch (error) {
      if (error instanceof AppError && error.code === 'PERMISSION_DENIED') {
        // Google says access to this session has ended: that is its answer from now on.
        const gone: Observation = {
          session: previous?.session ?? { id, pickerUri: '', expireTime: new Date().toISOString(), mediaItemsSet: false },
          observedAt: Date.now(),
          gone: true,
        };
        await this.#observe(id, gone);
        await this.#scheduleReap(req, id, Date.now());
        this.#onEvent('expired');
        return gone;
      }
      if (error instanceof AppError && error.code === 'NOT_FOUND') this.forget(req, id);
      throw error;
    }
  }

  forget(req: Request, id: string): void {
    if (!req.session.pickerSessions?.[id]) return;
    const { [id]: _removed, ...rest } = req.session.pickerSessions;
    req.session.pickerSessions = rest;
  }

  /** Deletes the session at Google and forgets it; a session Google no longer knows counts as deleted. */
  async delete(req: Request, id: string): Promise<void> {
    this.ownedOrNotFound(req, id);
    await this.#deleteAtGoogle(req, id);
    this.forget(req, id);
  }

  async #deleteAtGoogle(req: Request, id: string): Promise<void> {
    try {
      await this.#accounts.withPicker(req, (api) => api.deleteSession(id));
    } catch (error) {
      const alreadyGone = error instanceof AppError && (error.code === 'NOT_FOUND' || error.code === 'PERMISSION_DENIED');
      if (!alreadyGone) throw error;
    }
    await Promise.all([
      this.#cache.delete(this.#key(id)),
      this.#cache.delete(`picker:items:${id}`),
      this.#cache.unschedule(REAP_QUEUE, reapMember(req.sessionID, id)),
    ]);
    this.#onEvent('deleted');
  }

  /** At logout: delete everything this user has open, in parallel, best effort. */
  async deleteAll(req: Request): Promise<void> {
    await Promise.allSettled(this.owned(req).map((owned) => this.delete(req, owned.id)));
  }
}
