/**
 * The Picker sessions a person creates here, by user id: creating them
 * (recovering once from RESOURCE_EXHAUSTED by deleting the user's stale
 * sessions), following them with coalesced polls, and deleting them.
 *
 * Which sessions a user owns lives in one hash per user in the shared store,
 * changed field by field, so concurrent creations and deletions (two tabs, a
 * double click, a background job) all take effect. Any id not in it is 404
 * without a Google call.
 *
 * What Google last said about a session (the observation) is shared by every
 * tab, replica and job: Google sees at most one sessions.get per pollInterval
 * per session. Whoever finds the observation stale takes a short lock, reads
 * again, asks Google, stores the answer and announces it; everyone else waits
 * for that announcement (bounded), never on a timer.
 */
import type { Logger } from 'pino';
import { AppError, notFound } from '../errors.ts';
import { logFor } from '../observability/context.ts';
import type { GoogleAccounts } from './accounts.ts';
import type { DomainEvents } from './events.ts';
import type { PickingSession, PollingConfig, SharedStore, UserId } from './ports.ts';

export type PickerStatus = 'pending' | 'complete' | 'expired';

export interface SessionView {
  id: string;
  status: PickerStatus;
  mediaItemsSet: boolean;
  pollingConfig?: PollingConfig;
  expireTime: string;
  pickerUri: string;
}

/** A Picker session as its owner's hash remembers it. */
export interface OwnedPickerSession {
  id: string;
  createdAt: number;
  /** Google's expireTime, in epoch milliseconds. */
  expiresAt: number;
}

/** What the gateway last heard from Google about a session. */
interface Observation {
  session: PickingSession;
  observedAt: number;
  /** Access to the session has ended for good (Google said PERMISSION_DENIED, or the gateway deleted it there). */
  gone?: boolean;
  /** Asked for by a person's page or app, not by the background follower: someone polls the session. */
  watched?: boolean;
}

export type PickerEvent = 'created' | 'completed' | 'expired' | 'deleted';

export const DEFAULT_POLL_INTERVAL_MS = 5_000;
/** Never hammer Google even if it suggests a very short interval. */
export const MIN_POLL_INTERVAL_MS = 1_000;
/** How long a caller waits for another caller's poll of the same session before answering with what it has. */
const WAIT_FOR_OTHER_POLLER_MS = 3_000;
/** How many Picker sessions a user keeps (Google allows only a few open ones anyway); older ones are deleted. */
export const MAX_REMEMBERED = 20;
/** How long what the gateway knows about a user's sessions outlives their expiry, so an ended one still reads as expired. */
const RETAIN_AFTER_EXPIRY_MS = 7 * 86_400_000;

const ownedKey = (userId: UserId) => `user:${userId}:picker-sessions`;
const observationKey = (id: string) => `picker:observation:${id}`;
const pollLockKey = (id: string) => `picker:poll-lock:${id}`;
/** Present while someone's page or app has lately read an answer the follower got: someone watches the session. */
const watchedKey = (id: string) => `picker:watched:${id}`;
const observedChannel = (id: string) => `picker:observed:${id}`;
export const itemsKey = (id: string) => `picker:items:${id}`;

export function durationMs(duration: string | undefined): number | undefined {
  const match = duration?.match(/^(\d+(?:\.\d+)?)s$/);
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

function isPast(timestamp: string | undefined, now = Date.now()): boolean {
  const at = timestamp ? Date.parse(timestamp) : Number.NaN;
  return Number.isFinite(at) && at <= now;
}

export function statusOf(session: PickingSession, now = Date.now()): PickerStatus {
  if (isPast(session.expireTime, now)) return 'expired';
  if (session.mediaItemsSet) return 'complete';
  if (session.pollingConfig?.timeoutIn !== undefined && durationMs(session.pollingConfig.timeoutIn) === 0) return 'expired';
  return 'pending';
}

export function pollIntervalMs(observation: Observation | undefined): number {
  const suggested = durationMs(observation?.session.pollingConfig?.pollInterval) ?? DEFAULT_POLL_INTERVAL_MS;
  return Math.max(MIN_POLL_INTERVAL_MS, suggested);
}

/**
 * True while the observation still answers for Google: final, or younger than the poll interval (than `intervals` of
 * them, for a caller content with an older answer).
 */
function isFresh(observation: Observation | undefined, intervals = 1, now = Date.now()): observation is Observation {
  if (!observation) return false;
  if (observation.gone || observation.session.mediaItemsSet) return true;
  return now - observation.observedAt < intervals * pollIntervalMs(observation);
}

/**
 * How many poll intervals old a watched session's answer may be for the background follower: a person's page that
 * polls asks anew after one, and the follower, which would otherwise ask at that same moment, leaves it to them.
 */
const WATCHED_INTERVALS_FOR_FOLLOWER = 2;

const isPending = (observation: Observation) => !observation.gone && !observation.session.mediaItemsSet;

/** True when the observation answers for Google at `askedAt`: fresh, and final or observed after it (when given). */
function answers(observation: Observation | undefined, askedAt: number | undefined, intervals = 1): observation is Observation {
  if (!isFresh(observation, intervals)) return false;
  return askedAt === undefined || observation.gone === true || observation.session.mediaItemsSet || observation.observedAt > askedAt;
}

/** Who asks about a session: with `askedAt`, for an answer given after that moment; `background`, the follower. */
interface Asking {
  askedAt?: number | undefined;
  background: boolean;
}

/** A session nothing is known of but its id and when it ends. */
const unobserved = (id: string, endsAt: number): PickingSession => ({ id, pickerUri: '', expireTime: new Date(endsAt).toISOString(), mediaItemsSet: false });

const parseObservation = (raw: string | undefined) => (raw ? (JSON.parse(raw) as Observation) : undefined);

export interface PickerSessionsOptions {
  store: SharedStore;
  accounts: GoogleAccounts;
  /** Where what happened to sessions is told (created, completed, ended at Google, deleted): the jobs layer listens. */
  events: DomainEvents;
  logger: Logger;
  /** Longer than any one Google call may take, so a poll lock never outlives its holder's call by much. */
  pollLockMs: number;
  onEvent?: (event: PickerEvent) => void;
}

export class PickerSessions {
  readonly #store: SharedStore;
  readonly #accounts: GoogleAccounts;
  readonly #events: DomainEvents;
  readonly #logger: Logger;
  readonly #pollLockMs: number;
  readonly #onEvent: (event: PickerEvent) => void;
  /** One poll per Picker session at a time in this process; callers in between join it. */
  readonly #inflight = new Map<string, Promise<Observation | undefined>>();

  constructor(options: PickerSessionsOptions) {
    this.#store = options.store;
    this.#accounts = options.accounts;
    this.#events = options.events;
    this.#logger = options.logger;
    this.#pollLockMs = options.pollLockMs;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** The user's Picker sessions, newest first. */
  async list(userId: UserId): Promise<OwnedPickerSession[]> {
    const owned = await this.#store.hashGetAll(ownedKey(userId));
    // Newest first. Fields come back in the order they were added, so reversing first keeps sessions created in the
    // same millisecond newest first too.
    return [...owned]
      .reverse()
      .map(([id, raw]) => ({ id, ...(JSON.parse(raw) as Omit<OwnedPickerSession, 'id'>) }))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * The user's sessions, newest first, each with what was last heard of it from Google (no Google call: for lists).
   * A session never observed reads pending until its expiry.
   */
  async known(userId: UserId): Promise<Array<OwnedPickerSession & { status: PickerStatus }>> {
    const owned = await this.list(userId);
    const observed = await Promise.all(owned.map((session) => this.#store.get(observationKey(session.id))));
    return owned.map((session, index) => {
      const seen = parseObservation(observed[index]);
      const status: PickerStatus = seen ? (seen.gone ? 'expired' : statusOf(seen.session)) : session.expiresAt <= Date.now() ? 'expired' : 'pending';
      return { ...session, status };
    });
  }

  /** The user's session with this id, or 404: ids the user did not create here are never looked up at Google. */
  async owned(userId: UserId, id: string): Promise<OwnedPickerSession> {
    const raw = await this.#store.hashGet(ownedKey(userId), id);
    if (raw === undefined) throw notFound('No picking session with this id was created here by you.');
    return { id, ...(JSON.parse(raw) as Omit<OwnedPickerSession, 'id'>) };
  }

  async create(userId: UserId, input: { requestId?: string; maxItemCount?: number }): Promise<PickingSession> {
    let session: PickingSession;
    try {
      session = await this.#accounts.withPicker(userId, (api) => api.createSession(input));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'RESOURCE_EXHAUSTED') throw explainCreateError(error);
      // Google limits open sessions per user: free the ones that are no longer useful, then try once more.
      const freed = await this.#deleteStale(userId);
      logFor(this.#logger).warn({ event: 'picker_sessions_exhausted', freed }, 'Picker session limit reached; deleted stale sessions');
      try {
        session = await this.#accounts.withPicker(userId, (api) => api.createSession(input));
      } catch (retryError) {
        throw explainCreateError(retryError);
      }
    }
    const now = Date.now();
    const expiresAt = Date.parse(session.expireTime) || now + 86_400_000;
    // Independent writes, issued together: Redis receives them in one write and answers in one round trip.
    await Promise.all([
      this.#store.hashSet(ownedKey(userId), session.id, JSON.stringify({ createdAt: now, expiresAt }), expiresAt - now + RETAIN_AFTER_EXPIRY_MS),
      this.#observe({ session, observedAt: now }),
      this.#events.publish({ type: 'picker-session-created', userId, sessionId: session.id, expiresAt, pollIntervalMs: pollIntervalMs({ session, observedAt: now }) }),
    ]);
    this.#onEvent('created');
    void this.#evictOldest(userId);
    return session;
  }

  /** Keeps at most MAX_REMEMBERED sessions per user: the oldest beyond that are deleted at Google in the background. */
  async #evictOldest(userId: UserId): Promise<void> {
    try {
      for (const old of (await this.list(userId)).slice(MAX_REMEMBERED)) await this.delete(userId, old.id);
    } catch (error) {
      logFor(this.#logger).warn({ err: error }, 'could not delete an evicted picker session');
    }
  }

  /** Deletes the user's sessions that are finished, expired or timed out (best effort). */
  async #deleteStale(userId: UserId): Promise<number> {
    let freed = 0;
    for (const owned of await this.known(userId)) {
      if (owned.status === 'pending') continue;
      await this.delete(userId, owned.id).then(() => freed++, () => undefined);
    }
    return freed;
  }

  async #observe(observation: Observation): Promise<void> {
    const untilExpiry = (Date.parse(observation.session.expireTime) || Date.now()) - Date.now();
    await this.#store.set(observationKey(observation.session.id), JSON.stringify(observation), Math.max(60_000, untilExpiry + RETAIN_AFTER_EXPIRY_MS));
  }

  /**
   * The session's state as Google last told it, asking Google again at most once per pollInterval. With `askedAt`,
   * an answer Google gave before that moment does not count (unless final): Google is asked again, once, for a
   * question that cannot wait for the next interval (the picker window has just closed). With `background` (the
   * follower that notices picks nobody is watching), Google is asked about a session someone's page polls only once
   * that page has missed an interval: the follower then never asks at the moment the page does, which would have the
   * page wait for the follower's answer.
   */
  async status(userId: UserId, id: string, options: { askedAt?: number; background?: boolean } = {}): Promise<SessionView> {
    const { askedAt, background = false } = options;
    // Both reads at once: one round trip. What was read for an id the user does not own is never shown.
    const [owned, stored] = await Promise.all([this.owned(userId, id), this.#store.get(observationKey(id))]);
    let observation = parseObservation(stored);
    const intervals = background && (await this.#watched(id, observation)) ? WATCHED_INTERVALS_FOR_FOLLOWER : 1;
    if (!answers(observation, askedAt, intervals) && owned.expiresAt > Date.now()) observation = await this.#poll(userId, id, observation, { askedAt, background });
    if (!background && observation && !observation.watched && isPending(observation)) {
      // The follower's answer (or the creation's), read by a person: from now on the follower leaves the asking to them.
      await this.#store.set(watchedKey(id), '1', WATCHED_INTERVALS_FOR_FOLLOWER * pollIntervalMs(observation));
    }
    // Nothing observed and past its expiry: all that is left to say is that it expired.
    const session = observation?.session ?? unobserved(id, owned.expiresAt);
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

  #poll(userId: UserId, id: string, previous: Observation | undefined, asking: Asking): Promise<Observation | undefined> {
    // A poll already in flight may have asked Google before `askedAt`: such a question does not join it.
    if (asking.askedAt !== undefined) return this.#pollCoalesced(userId, id, previous, asking);
    let running = this.#inflight.get(id);
    if (!running) {
      running = this.#pollCoalesced(userId, id, previous, asking).finally(() => this.#inflight.delete(id));
      this.#inflight.set(id, running);
    }
    return running;
  }

  async #pollCoalesced(userId: UserId, id: string, previous: Observation | undefined, asking: Asking): Promise<Observation | undefined> {
    // The read goes right behind the lock, in the same round trip, and is applied after it: once locked, it sees any
    // fresh answer another caller stored between our first read and our lock.
    const [locked, stored] = await Promise.all([this.#store.setIfAbsent(pollLockKey(id), '1', this.#pollLockMs), this.#store.get(observationKey(id))]);
    if (!locked) return this.#awaitOtherPoller(id, previous);
    const recorded: Array<Promise<unknown>> = [];
    try {
      const current = parseObservation(stored);
      if (answers(current, asking.askedAt)) return current;
      return await this.#askGoogle(userId, id, current ?? previous, asking.background, recorded);
    } finally {
      // Sent right behind the writes that record Google's answer, and applied after them: the lock released, then the
      // waiters woken (whether or not Google answered: they read whatever is stored now). One round trip for all.
      const released = [this.#store.delete(pollLockKey(id)), this.#store.publish(observedChannel(id), '')].map((write) => write.catch(() => undefined));
      await Promise.all([...recorded, ...released]);
    }
  }

  /** Whether someone other than the follower polls the session: they asked Google last, or read its last answer lately. */
  async #watched(id: string, observation: Observation | undefined): Promise<boolean> {
    if (!observation) return false;
    if (observation.watched) return true;
    // Only a stale answer's asker is in question: a fresh one is not asked about anyway.
    return !isFresh(observation) && (await this.#store.get(watchedKey(id))) !== undefined;
  }

  async #awaitOtherPoller(id: string, previous: Observation | undefined): Promise<Observation | undefined> {
    let wake!: () => void;
    const announced = new Promise<void>((resolve) => (wake = resolve));
    const unsubscribe = await this.#store.subscribe(observedChannel(id), () => wake());
    try {
      // The answer may have been stored before we listened.
      const stored = parseObservation(await this.#store.get(observationKey(id)));
      if (stored && stored.observedAt !== previous?.observedAt) return stored;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, WAIT_FOR_OTHER_POLLER_MS)));
      await Promise.race([announced, timedOut]).finally(() => clearTimeout(timer));
      return parseObservation(await this.#store.get(observationKey(id))) ?? previous;
    } finally {
      await unsubscribe().catch(() => undefined);
    }
  }

  /** Asks Google; the writes that record its answer go into `recorded`, for the caller to await with its own. */
  async #askGoogle(userId: UserId, id: string, previous: Observation | undefined, background: boolean, recorded: Array<Promise<unknown>>): Promise<Observation> {
    try {
      const session = await this.#accounts.withPicker(userId, (api) => api.getSession(id));
      const observation: Observation = { session, observedAt: Date.now(), ...(background ? {} : { watched: true }) };
      recorded.push(this.#observe(observation));
      if (session.mediaItemsSet && !previous?.session.mediaItemsSet) {
        this.#onEvent('completed');
        recorded.push(this.#events.publish({ type: 'picker-session-completed', userId, sessionId: id, expiresAt: Date.parse(session.expireTime) || Infinity }));
      } else if (statusOf(session) === 'expired') {
        recorded.push(this.#events.publish({ type: 'picker-session-ended', userId, sessionId: id })); // timed out: nothing more will come of it
      }
      return observation;
    } catch (error) {
      if (error instanceof AppError && error.code === 'PERMISSION_DENIED') {
        const gone = await this.#markGone(id, previous);
        await this.#events.publish({ type: 'picker-session-ended', userId, sessionId: id });
        this.#onEvent('expired');
        return gone;
      }
      if (error instanceof AppError && error.code === 'NOT_FOUND') await this.#forget(userId, id);
      throw error;
    }
  }

  /** From now on the session reads as expired, without asking Google again. */
  async #markGone(id: string, previous: Observation | undefined): Promise<Observation> {
    const gone: Observation = {
      session: previous?.session ?? unobserved(id, Date.now()),
      observedAt: Date.now(),
      gone: true,
    };
    await this.#observe(gone);
    return gone;
  }

  async #forget(userId: UserId, id: string): Promise<void> {
    await Promise.all([
      this.#store.hashDelete(ownedKey(userId), id),
      this.#store.delete(observationKey(id), itemsKey(id)),
    ]);
  }

  /** Deletes the session at Google and forgets it; a session Google no longer knows counts as deleted. */
  async delete(userId: UserId, id: string): Promise<void> {
    await this.owned(userId, id);
    await this.#deleteAtGoogle(userId, id);
    await this.#forget(userId, id);
    this.#onEvent('deleted');
    await this.#events.publish({ type: 'picker-session-deleted', userId, sessionId: id });
  }

  async #deleteAtGoogle(userId: UserId, id: string): Promise<void> {
    try {
      await this.#accounts.withPicker(userId, (api) => api.deleteSession(id));
    } catch (error) {
      const alreadyGone = error instanceof AppError && (error.code === 'NOT_FOUND' || error.code === 'PERMISSION_DENIED');
      if (!alreadyGone) throw error;
    }
  }

  /** At logout: delete everything this user has open, in parallel, best effort. */
  async deleteAll(userId: UserId): Promise<void> {
    await Promise.allSettled((await this.list(userId)).map((owned) => this.delete(userId, owned.id)));
  }

  /**
   * Deletes a finished, timed-out or expired session at Google even when its user never comes back. The user keeps
   * the session in their list, read as expired from now on. Answers false when it must be tried again later.
   */
  async reap(userId: UserId, id: string): Promise<boolean> {
    const [owned, stored] = await Promise.all([this.#store.hashGet(ownedKey(userId), id), this.#store.get(observationKey(id))]);
    if (owned === undefined) return true; // deleted by the user meanwhile
    const previous = parseObservation(stored);
    if (previous?.gone) return true; // deleted at Google already (an earlier job, an import)
    try {
      await this.#deleteAtGoogle(userId, id);
    } catch (error) {
      const signedOut = error instanceof AppError && error.code === 'UNAUTHENTICATED';
      if (!signedOut) {
        logFor(this.#logger).warn({ err: error, pickerSession: id }, 'could not reap picker session; will retry');
        return false;
      }
    }
    await Promise.all([this.#markGone(id, previous), this.#store.delete(itemsKey(id))]);
    logFor(this.#logger).info({ event: 'picker_session_reaped', pickerSession: id }, 'picker session deleted by the reaper');
    this.#onEvent('deleted');
    return true;
  }
}

function explainCreateError(error: unknown): unknown {
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
