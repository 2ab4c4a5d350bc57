/** The contract's types by name, from the types generated from the gateway's OpenAPI document. */
import type { components } from './generated/openapi.ts';

type Schemas = components['schemas'];

/** A pick as its app reads it: the API's body, and the `data` of the pick.completed webhook. */
export type GatewayPick = Schemas['Pick'];
export type PickStatus = Schemas['PickStatus'];
/** One picked item and its stored copy. */
export type ImportedItem = Schemas['ImportedItem'];
export type WebhookState = Schemas['WebhookState'];
/** The body of a pick.completed delivery. */
export type PickCompletedEvent = Schemas['PickCompletedEvent'];
/** Every event the gateway's webhooks send (one so far). */
export type WebhookEvent = PickCompletedEvent;
/** Problem details (RFC 9457) as the gateway answers them. */
export type Problem = Schemas['Problem'];
/** The claims of a signed pick request. */
export type PickRequestClaims = Schemas['PickRequestClaims'];

/** The statuses a pick ends with; the others (pending, picking, importing) are on the way. */
export const ENDED_STATUSES: ReadonlySet<PickStatus> = new Set<PickStatus>(['done', 'partial', 'failed', 'cancelled', 'expired']);

export type { components, paths, webhooks, operations } from './generated/openapi.ts';
