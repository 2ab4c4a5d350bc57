/**
 * Webhooks: when a pick ends, its app hears of it at its webhookUrl, signed
 * per Standard Webhooks, at least once.
 *
 * Each delivery is one job on the queue (queued by the jobs layer when this
 * service says a pick's webhook is due), one try per attempt, with the same
 * webhook-id every time so the receiver can drop a repeat. A try fails on a
 * timeout, a network error or any answer but 2xx (a redirect too: it is not
 * followed); a 410 ends the delivery at once, as the receiver asked.
 *
 * The retry schedule is the queue's exponential backoff: WEBHOOK_ATTEMPTS
 * tries, the n-th retry waiting backoffMs × 2^(n-1). With the default
 * backoff of 10.5 s the waits are 10.5 s, 21 s, 42 s, 84 s, … 6 h, 11.9 h, so
 * the 14th and last try starts 10.5 s × (2^13 − 1) = 23 h 53 min after the
 * first (at most 13 × the 10 s timeout later, still under 24 h): the
 * delivery is given up within a day, having spread its tries over all of it.
 */
import type { Logger } from 'pino';
import { logFor } from '../observability/context.ts';
import type { HostApp } from './host-apps.ts';
import type { Imports } from './imports.ts';
import { pickReport } from './pick-reports.ts';
import type { Pick, Picks, WebhookState } from './picks.ts';
import type { WebhookReply, WebhookSender } from './ports.ts';

/** Tries per delivery; see the schedule above. */
export const WEBHOOK_ATTEMPTS = 14;

/** How one try ended: delivered (2xx), retrying (another try comes), gone (410, no more), failed (the last try failed). */
export type WebhookOutcome = 'delivered' | 'retrying' | 'gone' | 'failed';

export interface WebhooksOptions {
  picks: Picks;
  apps: readonly HostApp[];
  sender: WebhookSender;
  /** Where the pick's items are read for the body; absent when imports are off. */
  imports?: Imports;
  logger: Logger;
  onAttempt?: (outcome: WebhookOutcome) => void;
}

/** One pick ends once, so its id names the event: every try of it carries the same webhook-id. */
export const webhookIdOf = (pickId: string) => `msg_${pickId}`;

const settled = (state: WebhookState) => state.status === 'delivered' || state.status === 'failed';

/** What went wrong, for the app's eyes (the API's lastError) and the log: the status and the start of the answer. */
function failureOf(reply: WebhookReply): string {
  if ('error' in reply) return reply.error;
  if (reply.status >= 300 && reply.status < 400) return `HTTP ${reply.status} (redirects are not followed)`;
  const excerpt = reply.body.replace(/[\p{Cc}\s]+/gu, ' ').trim().slice(0, 200);
  return excerpt ? `HTTP ${reply.status}: ${excerpt}` : `HTTP ${reply.status}`;
}

export class Webhooks {
  readonly #options: WebhooksOptions;
  readonly #apps: ReadonlyMap<string, HostApp>;

  constructor(options: WebhooksOptions) {
    this.#options = options;
    this.#apps = new Map(options.apps.map((app) => [app.id, app]));
  }

  /**
   * An ended pick: answers whether its delivery is due (its app has a webhookUrl and it has not been settled), having
   * recorded it pending. Safe to call again for the same pick: a settled delivery is not due again.
   */
  async pickEnded(pick: Pick): Promise<boolean> {
    if (!this.#apps.get(pick.app)?.webhookUrl || settled(pick.webhook)) return false;
    // Pending before the job exists, so the job's own records always come after this one.
    if (pick.webhook.status === 'none') await this.#options.picks.recordWebhook(pick.id, { status: 'pending', attempts: 0, lastError: null });
    return true;
  }

  /** One try (`attempt`, 1-based). Throws when another try should follow, for the queue to wait and call again. */
  async deliver(pickId: string, attempt: number): Promise<void> {
    const { picks, sender, imports, onAttempt } = this.#options;
    const pick = await picks.get(pickId);
    const app = pick && this.#apps.get(pick.app);
    if (!pick || !app?.webhookUrl || settled(pick.webhook)) return;
    const log = logFor(this.#options.logger).child({ pick: pick.id, app: app.id, attempt });

    const data = await pickReport(pick, imports);
    const payload = JSON.stringify({ type: 'pick.completed', timestamp: pick.completedAt ?? new Date().toISOString(), data });
    const reply = await sender.send({ url: app.webhookUrl, id: webhookIdOf(pick.id), payload, secret: app.secrets[0]! });

    if ('status' in reply && reply.status >= 200 && reply.status < 300) {
      await picks.recordWebhook(pick.id, { status: 'delivered', attempts: attempt, lastError: pick.webhook.lastError });
      onAttempt?.('delivered');
      log.info({ event: 'webhook_delivered', status: reply.status }, 'webhook delivered');
      return;
    }
    const lastError = failureOf(reply);
    const gone = 'status' in reply && reply.status === 410;
    const last = gone || attempt >= WEBHOOK_ATTEMPTS;
    await picks.recordWebhook(pick.id, { status: last ? 'failed' : 'pending', attempts: attempt, lastError });
    onAttempt?.(gone ? 'gone' : last ? 'failed' : 'retrying');
    if (gone) {
      log.warn({ event: 'webhook_gone', reason: lastError }, 'webhook receiver answered 410: no more tries');
    } else if (last) {
      log.error({ event: 'webhook_failed', reason: lastError }, 'webhook not delivered after the last try');
    } else {
      log.warn({ event: 'webhook_retrying', reason: lastError }, 'webhook not delivered; trying again later');
      throw new Error(`The webhook was not delivered (${lastError}); the queue tries again later.`);
    }
  }
}
