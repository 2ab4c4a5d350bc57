/** The host apps a deployment serves: other web apps that send their users here to pick photos. */
export interface HostApp {
  readonly id: string;
  readonly name: string;
  /** Standard Webhooks secrets (`whsec_…`): the first signs, all verify. */
  readonly secrets: readonly string[];
  /** Exact origins a pick may return to (`https://app.example`). */
  readonly returnOrigins: readonly string[];
  readonly webhookUrl?: string;
  /** The most items one pick may ask for (2000, Google's ceiling, when the app sets none). */
  readonly maxItems: number;
}

export const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** The key bytes a Standard Webhooks secret stands for: base64 after `whsec_`. */
export function secretKey(secret: string): Buffer {
  const match = SECRET.exec(secret);
  if (!match) throw new TypeError('not a Standard Webhooks secret');
  return Buffer.from(match[1]!, 'base64');
}

