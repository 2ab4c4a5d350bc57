/**
 * The gateway's API for apps, called from the shop's server with the shop's
 * secret as a bearer token. The browser only ever talks to the shop.
 */
import { z } from 'zod';
import type { ShopConfig } from './config.ts';

/** What the gateway says about a pick: the API's body, and the `data` of the pick.completed webhook. */
export const pickSchema = z.object({
  id: z.string(),
  app: z.string(),
  sub: z.string(),
  state: z.string().nullable(),
  status: z.enum(['pending', 'picking', 'importing', 'done', 'partial', 'failed', 'cancelled', 'expired']),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  items: z.array(z.object({
    id: z.string(),
    filename: z.string(),
    mimeType: z.string().nullable(),
    type: z.string(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    bytes: z.number(),
    status: z.string(),
    /** Why an item could not be copied (the gateway's words), when it failed. */
    error: z.string().nullable().optional(),
  })),
});

export type GatewayPick = z.infer<typeof pickSchema>;
export type PickStatus = GatewayPick['status'];

export const ENDED: ReadonlySet<PickStatus> = new Set(['done', 'partial', 'failed', 'cancelled', 'expired']);

export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class Gateway {
  readonly #config: ShopConfig;

  constructor(config: ShopConfig) {
    this.#config = config;
  }

  #url(path: string): string {
    return new URL(`/api/v1/picks/${path}`, this.#config.gatewayUrl).href;
  }

  #call(path: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    return fetch(this.#url(path), {
      ...init,
      headers: { ...init.headers, authorization: `Bearer ${this.#config.secret}` },
      // The answer is the gateway's own; a redirect would carry the secret somewhere else.
      redirect: 'error',
    });
  }

  /** The pick, or undefined when the gateway knows no such pick of this app. */
  async pick(id: string): Promise<GatewayPick | undefined> {
    const response = await this.#call(encodeURIComponent(id), { headers: { accept: 'application/json' } });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new GatewayError(response.status, `GET /api/v1/picks/{pick} answered ${response.status}`);
    return pickSchema.parse(await response.json());
  }

  /** An imported item's bytes, as the gateway answers them (200, 206 for a Range, 404, 416). */
  content(pick: string, item: string, options: { range?: string | undefined; signal: AbortSignal }): Promise<Response> {
    return this.#call(`${encodeURIComponent(pick)}/items/${encodeURIComponent(item)}/content`, {
      headers: options.range ? { range: options.range } : {},
      signal: options.signal,
    });
  }
}
