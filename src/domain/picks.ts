/**
 * Picks: a host app's request for photos, followed from the signed request to
 * the end of its import. A pick has an id of the gateway's own (never
 * Google's session id) that the app reads back through the API, the return
 * redirect and the webhook.
 *
 * A pick lives in one hash in the shared store, one field per concern (what
 * was asked, who picks, the Picker session, the outcome, the webhook), so the
 * browser, the import and the webhook jobs never overwrite each other.
 *
 * A pick belongs to the browser that presented the request: creating it
 * answers a key for that browser (the edge keeps it in a cookie), the store
 * keeps only its hash, and `ofBrowser` is asked before any step of the pick
 * is taken. Someone else's browser, signed in or not, holding the pick's link
 * gets nothing. A pick stored before it had a key belongs to no browser.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError, notFound } from '../errors.ts';
import { sameSecret } from '../security/constant-time.ts';
import type { DomainEvents } from './events.ts';
import type { ImportPlace, ImportRecord } from './imports.ts';
import type { PickRequest } from './pick-requests.ts';
import type { PickerSessions } from './picker-sessions.ts';
import type { PickingSession, SharedStore, UserId } from './ports.ts';

export type PickStatus = 'pending' | 'picking' | 'importing' | 'done' | 'partial' | 'failed' | 'cancelled' | 'expired';
/** The statuses a pick ends with, as the app receives them. */
export const ENDED: ReadonlySet<PickStatus> = new Set(['done', 'partial', 'failed', 'cancelled', 'expired']);

export interface WebhookState {
  status: 'none' | 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
}

export interface Pick {
  id: string;
  app: string;
  sub: string;
  /** An opaque, stable id of the app's user: the folder their imports go to. */
  userRef: string;
  returnTo: string;
  /** Started by embed.js in a popup: the end is posted to the opener instead of a redirect. */
  popup: boolean;
  /**
   * A popup whose embed.js (v2 on) follows the pick from the app's page: at Continue the popup turns into Google's
   * picker itself, and the app's page reads the pick's progress with the ticket it was handed.
   */
  inPlace: boolean;
  maxItems: number;
  state: string | null;
  /** The app's label for its user, shown on the consent page so the user sees whose account the photos go to. */
  account: string | null;
  status: PickStatus;
  createdAt: string;
  completedAt: string | null;
  userId: UserId | null;
  pickerSessionId: string | null;
  webhook: WebhookState;
}

const pickKey = (id: string) => `pick:${id}`;
const bySessionKey = (sessionId: string) => `pick:by-session:${sessionId}`;
/** A pick and what it produced stay readable by the app for this long. */
const RETAIN_MS = 30 * 86_400_000;
const PICK_ID = /^[A-Za-z0-9_-]{22}$/;

const started = () => new AppError({ status: 409, code: 'FAILED_PRECONDITION', detail: 'This pick has started already.', messageKey: 'error.pickStarted' });

const notThisBrowser = () => new AppError({
  status: 403,
  code: 'PICK_NOT_THIS_BROWSER',
  detail: 'This pick was started in another browser. Start it again from the app.',
  messageKey: 'error.pickNotThisBrowser',
});
const digestOf = (browserKey: string) => createHash('sha256').update(browserKey).digest('base64url');

export const userRefOf = (appId: string, sub: string) => createHash('sha256').update(`${appId}\0${sub}`).digest('base64url').slice(0, 32);
export const appOwner = (pick: Pick) => `apps/${pick.app}/${pick.userRef}`;

export interface PicksOptions {
  store: SharedStore;
  sessions: PickerSessions;
  /**
   * Told `pick-ended` once a pick has ended (done, partial, failed, cancelled, expired), and again when a step that
   * ended it runs again (a job retried after the queue was away), so the webhook is never lost: hearers are idempotent.
   */
  events: DomainEvents;
}

/** A pick from its hash's fields; undefined when it has none (it never existed or has expired). */
function pickOf(fields: ReadonlyMap<string, string>): Pick | undefined {
  const asked = fields.get('asked');
  if (!asked) return undefined;
  const parsed = JSON.parse(asked) as Omit<Pick, 'status' | 'completedAt' | 'userId' | 'pickerSessionId' | 'webhook'>;
  return {
    ...parsed,
    popup: parsed.popup === true,
    inPlace: parsed.popup === true && parsed.inPlace === true,
    account: parsed.account ?? null,
    status: (fields.get('status') ?? 'pending') as PickStatus,
    completedAt: fields.get('completedAt') ?? null,
    userId: fields.get('user') ?? null,
    pickerSessionId: fields.get('session') ?? null,
    webhook: fields.has('webhook') ? (JSON.parse(fields.get('webhook')!) as WebhookState) : { status: 'none', attempts: 0, lastError: null },
  };
}

export class Picks {
  readonly #store: SharedStore;
  readonly #sessions: PickerSessions;
  readonly #events: DomainEvents;

  constructor(options: PicksOptions) {
    this.#store = options.store;
    this.#sessions = options.sessions;
    this.#events = options.events;
  }

  /**
   * Records a verified request as a pick waiting for the user's consent; answers its id and the key of the browser
   * that presented the request, which only that browser is given (the store keeps its hash).
   */
  async create(request: PickRequest, options: { popup?: boolean; inPlace?: boolean } = {}): Promise<{ id: string; browserKey: string }> {
    const id = randomBytes(16).toString('base64url');
    const browserKey = randomBytes(32).toString('base64url');
    const asked = {
      id,
      app: request.app.id,
      sub: request.sub,
      userRef: userRefOf(request.app.id, request.sub),
      returnTo: request.returnTo.href,
      popup: options.popup === true,
      inPlace: options.popup === true && options.inPlace === true,
      maxItems: request.maxItems,
      state: request.state,
      account: request.account,
      createdAt: new Date().toISOString(),
    };
    // The binding first: a pick is never readable without it.
    await this.#store.hashSet(pickKey(id), 'browser', digestOf(browserKey), RETAIN_MS);
    await this.#store.hashSet(pickKey(id), 'status', 'pending', RETAIN_MS);
    await this.#store.hashSet(pickKey(id), 'asked', JSON.stringify(asked), RETAIN_MS);
    return { id, browserKey };
  }

  async get(id: string): Promise<Pick | undefined> {
    if (!PICK_ID.test(id)) return undefined;
    return pickOf(await this.#store.hashGetAll(pickKey(id)));
  }

  /**
   * The pick, when `browserKey` is the key of the browser that started it. Any other browser (no key, another pick's
   * key, a made-up one) is refused with 403 PICK_NOT_THIS_BROWSER, whoever is signed in there.
   */
  async ofBrowser(id: string, browserKey: string | undefined): Promise<Pick> {
    const fields = PICK_ID.test(id) ? await this.#store.hashGetAll(pickKey(id)) : new Map<string, string>();
    const pick = pickOf(fields);
    if (!pick) throw notFound('This pick does not exist or has ended long ago.');
    const bound = fields.get('browser');
    if (browserKey === undefined || bound === undefined || !sameSecret(digestOf(browserKey), bound)) throw notThisBrowser();
    return pick;
  }

  /**
   * Hands out the ticket of an in-place popup's pick, once its Picker session has begun: a fresh secret that the
   * popup's page posts to the app's window (at the return_to origin only), whose page then follows the pick with it
   * from its own origin, where the pick's cookie never goes. Only a route that passed the pick's browser binding
   * calls this. The store keeps its hash in the pick's own hash, so it lives as long as the pick; a second call
   * answers a new ticket and the first stops working. Undefined for any other pick: they have no ticket.
   */
  async issueTicket(id: string): Promise<string | undefined> {
    const pick = await this.get(id);
    if (!pick?.inPlace) return undefined;
    const ticket = randomBytes(32).toString('base64url');
    await this.#store.hashSet(pickKey(id), 'ticket', digestOf(ticket), RETAIN_MS);
    return ticket;
  }

  /**
   * The pick, when `ticket` is its ticket. Every refusal is the same 404 (no pick, no ticket, a wrong one): whoever
   * does not hold the ticket learns nothing, not even that the pick exists.
   */
  async ofTicket(id: string, ticket: string | undefined): Promise<Pick> {
    const fields = PICK_ID.test(id) ? await this.#store.hashGetAll(pickKey(id)) : new Map<string, string>();
    const pick = pickOf(fields);
    const held = fields.get('ticket');
    if (!pick || !ticket || held === undefined || !sameSecret(digestOf(ticket), held)) throw notFound('Not found.');
    return pick;
  }

  /**
   * The app's page saw its in-place popup close while the pick was at Google's picker: the person pressed Done (the
   * picker closes itself) or closed the picker's window. Google is asked once, now, whether anything was picked.
   * Nothing: the pick ends cancelled, as a Cancel would end it. Something: the session's completion has started the
   * import, which goes on. A pick past picking is as it is.
   */
  async settle(pick: Pick): Promise<Pick> {
    if (pick.status !== 'picking' || !pick.userId || !pick.pickerSessionId) return pick;
    const settledKey = `pick:${pick.id}:settled`;
    if (!(await this.#store.setIfAbsent(settledKey, '1', RETAIN_MS))) return (await this.get(pick.id)) ?? pick;
    let picked: boolean;
    try {
      picked = (await this.#sessions.status(pick.userId, pick.pickerSessionId, { askedAt: Date.now() })).status !== 'pending';
    } catch (error) {
      await this.#store.delete(settledKey); // Google did not answer: the next settle asks again
      throw error;
    }
    return picked ? ((await this.get(pick.id)) ?? pick) : this.cancel(pick.id, null);
  }

  /** The pick as its app may see it: another app's pick does not exist for it. */
  async ofApp(appId: string, id: string): Promise<Pick> {
    const pick = await this.get(id);
    if (!pick || pick.app !== appId) throw notFound('No pick with this id was started by this app.');
    return pick;
  }

  async #required(id: string): Promise<Pick> {
    const pick = await this.get(id);
    if (!pick) throw notFound('This pick does not exist or has ended long ago.');
    return pick;
  }

  /** The pick a signed-in user may act on: one that nobody else has taken up. */
  async forUser(id: string, userId: UserId): Promise<Pick> {
    const pick = await this.#required(id);
    if (pick.userId !== null && pick.userId !== userId) throw notFound('This pick belongs to someone else.');
    return pick;
  }

  /** The user said yes: a Picker session for at most the pick's items, whose import goes to the app's folder. */
  async begin(id: string, userId: UserId): Promise<PickingSession> {
    const pick = await this.forUser(id, userId);
    if (pick.status !== 'pending') throw started();
    // Two clicks on Continue, two tabs: one Picker session.
    if (!(await this.#store.setIfAbsent(`pick:${id}:taken`, userId, RETAIN_MS))) throw started();
    await this.#store.hashSet(pickKey(id), 'user', userId, RETAIN_MS);
    const session = await this.#sessions.create(userId, { maxItemCount: pick.maxItems });
    await Promise.all([
      this.#store.set(bySessionKey(session.id), id, RETAIN_MS),
      this.#store.hashSet(pickKey(id), 'session', session.id, RETAIN_MS),
    ]);
    await this.#store.hashSet(pickKey(id), 'status', 'picking', RETAIN_MS);
    return session;
  }

  /**
   * The user said no, before or while picking: the pick ends as cancelled, and a Picker session of it is deleted at
   * Google, so a picker window left open can no longer start an import. Once the user has pressed Done the import
   * runs to its end: a pick being imported, like one that has ended, stays as it is.
   */
  async cancel(id: string, userId: UserId | null): Promise<Pick> {
    const pick = userId ? await this.forUser(id, userId) : await this.#required(id);
    if (ENDED.has(pick.status)) return this.#endedAgain(pick);
    if (pick.status !== 'pending' && pick.status !== 'picking') return pick; // an import under way is not cancelled
    const ended = await this.#end(pick, 'cancelled');
    if (ended.status === 'cancelled' && pick.pickerSessionId && pick.userId) {
      // Best effort: the session also expires at Google by itself, and the pick has ended whatever Google says.
      await this.#sessions.delete(pick.userId, pick.pickerSessionId).catch(() => {});
    }
    return ended;
  }

  /** The pick a Picker session was created for, if any. */
  async ofSession(sessionId: string): Promise<Pick | undefined> {
    const id = await this.#store.get(bySessionKey(sessionId));
    return id ? this.get(id) : undefined;
  }

  /**
   * Where a session's import goes when a host app asked for it: `apps/{appId}/{userRef}/{pickId}`, named by the id
   * the app knows; undefined for a person's own pick.
   */
  async placeOf(sessionId: string): Promise<ImportPlace | undefined> {
    const pick = await this.ofSession(sessionId);
    return pick && { owner: appOwner(pick), folder: `${appOwner(pick)}/${pick.id}`, pick: pick.id };
  }

  async importStarted(sessionId: string): Promise<void> {
    const pick = await this.ofSession(sessionId);
    if (pick && pick.status === 'picking') await this.#store.hashSet(pickKey(pick.id), 'status', 'importing', RETAIN_MS);
  }

  async importFinished(sessionId: string, record: ImportRecord): Promise<void> {
    const pick = await this.ofSession(sessionId);
    if (!pick) return;
    if (ENDED.has(pick.status)) await this.#endedAgain(pick);
    else await this.#end(pick, record.status === 'partial' || record.status === 'failed' ? record.status : 'done');
  }

  /**
   * The pick's Picker session was deleted (by its user, or by signing out) before the pick ended: whatever it was
   * doing, picking or importing, it ends cancelled now, and its app hears of it.
   */
  async sessionDeleted(sessionId: string): Promise<void> {
    const pick = await this.ofSession(sessionId);
    if (!pick) return;
    if (ENDED.has(pick.status)) await this.#endedAgain(pick);
    else await this.#end(pick, 'cancelled');
  }

  /** The Picker session ran out before the user pressed Done. */
  async sessionExpired(sessionId: string): Promise<void> {
    const pick = await this.ofSession(sessionId);
    if (pick && (pick.status === 'picking' || pick.status === 'pending')) await this.#end(pick, 'expired');
  }

  async recordWebhook(id: string, state: WebhookState): Promise<void> {
    await this.#store.hashSet(pickKey(id), 'webhook', JSON.stringify(state), RETAIN_MS);
  }

  /** return_to with pick, status and state added to its query. */
  returnUrl(pick: Pick): URL {
    const url = new URL(pick.returnTo);
    url.searchParams.set('pick', pick.id);
    url.searchParams.set('status', pick.status);
    if (pick.state !== null) url.searchParams.set('state', pick.state);
    return url;
  }

  /**
   * Ends a pick once: the user's cancel, the import's end and the session's expiry can race (and the page and the
   * background both report an end), and only the first one counts and tells the app.
   */
  async #end(pick: Pick, status: PickStatus): Promise<Pick> {
    const endedKey = `pick:${pick.id}:ended`;
    if (!(await this.#store.setIfAbsent(endedKey, status, RETAIN_MS))) {
      const first = (await this.#store.get(endedKey)) as PickStatus | undefined;
      const current = (await this.get(pick.id)) ?? pick;
      return first ? { ...current, status: first } : current;
    }
    const completedAt = new Date().toISOString();
    await this.#store.hashSet(pickKey(pick.id), 'completedAt', completedAt, RETAIN_MS);
    await this.#store.hashSet(pickKey(pick.id), 'status', status, RETAIN_MS);
    const ended = { ...pick, status, completedAt };
    await this.#events.publish({ type: 'pick-ended', pick: ended });
    return ended;
  }

  /** Told again: when the listener failed after the pick ended (the queue away), the retry must not lose the webhook. */
  async #endedAgain(pick: Pick): Promise<Pick> {
    await this.#events.publish({ type: 'pick-ended', pick });
    return pick;
  }
}
