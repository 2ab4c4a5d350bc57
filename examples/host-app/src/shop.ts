/**
 * The print shop's own records, in memory (a real shop keeps them in its
 * database): the states it issued to which customer, the picks its customers
 * made, and the webhook deliveries it has handled.
 *
 * A pick becomes a customer's only when that customer's own session comes
 * back from the gateway with the state the shop issued to them. Neither the
 * webhook nor the API can say that: a signed request forwarded to someone
 * else is picked in their browser, with their photos, and still names the
 * customer it was signed for (`sub`). Until its return a pick is no one's.
 */
import { randomBytes } from 'node:crypto';
import type { GatewayPick, PickStatus } from '@photos-picker-gateway/host-app-client';

/** A state is good for as long as the customer may plausibly take between leaving and coming back. */
const STATE_LIFETIME_MS = 60 * 60_000;
/** The gateway retries a webhook for 24 hours with the same webhook-id; remember ids longer than that. */
const DELIVERY_MEMORY_MS = 48 * 60 * 60_000;
/** Keeps memory bounded whatever arrives; the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;

export interface CustomerPick {
  id: string;
  customer: string;
  status: PickStatus;
  items: number;
  updatedAt: string;
}

/** A Map that forgets entries after a while, and the oldest first when full. */
class Expiring<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #lifetimeMs: number;

  constructor(lifetimeMs: number) {
    this.#lifetimeMs = lifetimeMs;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.until > Date.now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: Date.now() + this.#lifetimeMs });
    if (this.#entries.size > MAX_REMEMBERED) this.#entries.delete(this.#entries.keys().next().value!);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}

export class Shop {
  readonly #states = new Expiring<string>(STATE_LIFETIME_MS);
  readonly #deliveries = new Expiring<true>(DELIVERY_MEMORY_MS);
  readonly #picks = new Map<string, CustomerPick>();

  /** A fresh, unguessable state for one request of this customer. */
  issueState(customer: string): string {
    const state = randomBytes(16).toString('base64url');
    this.#states.set(state, customer);
    return state;
  }

  /**
   * True once for a state this shop issued to this customer. A state is used up by its first return, in whichever
   * session it comes back: one that comes back to someone else was forwarded, and its pick is credited to no one.
   */
  takeState(state: string, customer: string): boolean {
    const issuedTo = this.#states.get(state);
    this.#states.delete(state);
    return issuedTo === customer;
  }

  /** True the first time a webhook-id is seen; a retry or a replay of it is false. */
  firstDelivery(webhookId: string): boolean {
    if (this.#deliveries.get(webhookId)) return false;
    this.#deliveries.set(webhookId, true);
    return true;
  }

  /** The pick is this customer's: their own session came back with the state the shop issued to them. */
  credit(customer: string, pick: GatewayPick): CustomerPick {
    const record = { id: pick.id, customer, status: pick.status, items: pick.items.filter((item) => item.status === 'done').length, updatedAt: new Date().toISOString() };
    this.#picks.set(pick.id, record);
    return record;
  }

  /**
   * What the gateway now says of a pick (a webhook, the API): a credited pick's record follows it; a pick nobody has
   * come back for stays no one's, whatever customer it names. Answers the record, or undefined for such a pick.
   */
  update(pick: GatewayPick): CustomerPick | undefined {
    const record = this.#picks.get(pick.id);
    return record && this.credit(record.customer, pick);
  }

  /** The pick, when it is this customer's. */
  pickOf(customer: string, id: string): CustomerPick | undefined {
    const pick = this.#picks.get(id);
    return pick?.customer === customer ? pick : undefined;
  }

  picksOf(customer: string): CustomerPick[] {
    return [...this.#picks.values()].filter((pick) => pick.customer === customer).reverse();
  }
}
