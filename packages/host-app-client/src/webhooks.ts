/**
 * Verifies a delivery of the gateway's webhook per Standard Webhooks: the
 * signature over the raw body (verify before parsing: parsing and
 * re-serialising changes the bytes), and a timestamp within 5 minutes, so a
 * captured delivery cannot be replayed later. Several secrets verify during a
 * rotation: the gateway signs with the app's first one.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { assertSecret } from './secrets.ts';
import type { WebhookEvent } from './types.ts';

export { WebhookVerificationError };

/** Headers as fetch (Headers), Node's http (IncomingHttpHeaders) or a plain object give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const HEADER_NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function standardHeaders(headers: WebhookHeaders): Record<string, string> {
  const read = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
    const value = key === undefined ? undefined : headers[key];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return Object.fromEntries(HEADER_NAMES.map((name) => [name, read(name) ?? '']));
}

export interface VerifiedDelivery {
  /** The delivery's webhook-id, the same on every retry of it: handle each once. */
  id: string;
  event: WebhookEvent;
}

/**
 * The event of a delivery whose signature matches one of `secrets` and whose timestamp is recent; throws
 * WebhookVerificationError otherwise (answer it 401 and do nothing).
 */
export function verifyWebhook(rawBody: string | Uint8Array, headers: WebhookHeaders, secrets: string | readonly string[]): VerifiedDelivery {
  const keys = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (keys.length === 0) throw new TypeError('verifyWebhook needs at least one secret.');
  keys.forEach((secret, index) => assertSecret(secret, `secrets[${index}]`));
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
  const standard = standardHeaders(headers);
  let firstFailure: unknown;
  for (const secret of keys) {
    try {
      const event = new Webhook(secret).verify(body, standard) as WebhookEvent;
      return { id: standard['webhook-id']!, event };
    } catch (error) {
      // A stale timestamp or a missing header fails alike with every secret; a signature may match the next one.
      firstFailure ??= error;
    }
  }
  if (firstFailure instanceof WebhookVerificationError) throw firstFailure;
  throw new WebhookVerificationError(firstFailure instanceof Error ? firstFailure.message : 'The delivery is not valid.');
}
