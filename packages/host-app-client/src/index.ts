/**
 * A host app's side of the Photos Picker Gateway: send a user to pick photos
 * (createPickRequest), hear that the pick ended (verifyWebhook), read the pick
 * and its items' bytes (PicksClient). Server-side only: each needs the app's
 * secret.
 */
export { apiVersion } from './api-version.ts';
export { createPickRequest, pickEndpoint, MAX_ITEMS, MAX_LIFETIME_SECONDS, type PickRequest, type PickRequestOptions } from './pick-request.ts';
export { verifyWebhook, WebhookVerificationError, type VerifiedDelivery, type WebhookHeaders } from './webhooks.ts';
export { PicksClient, type ByteRange, type ContentOptions, type ItemContent, type PicksClientOptions, type RetryOptions } from './picks-client.ts';
export {
  GatewayError, GatewayUnavailableError, GatewayUnreachableError, NotFoundError, RangeNotSatisfiableError, UnauthenticatedError,
} from './errors.ts';
export * from './types.ts';
