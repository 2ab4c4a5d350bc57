/**
 * The signed request that sends a customer to the gateway, made by the
 * gateway's client package on the shop's server (the secret never reaches a
 * browser): single use, returning to the shop with a state it will expect.
 */
import { createPickRequest, type PickRequest } from '@photos-picker-gateway/host-app-client';
import { MAX_ITEMS, RETURN_PATH, type ShopConfig } from './config.ts';

/**
 * Long enough for a customer to read the consent page. Shorter than the gateway's 600 s: the popup's request is
 * signed with the page and renewed every 4 minutes by shop.js, so a request never waits long unused.
 */
const LIFETIME_S = 300;

/**
 * `account` is the label the customer knows themselves by at the shop: the gateway's consent page names it ("… asks
 * for photos for the account …"), so whoever opens a forwarded link sees whose account the photos would go to.
 */
export function newPickRequest(config: ShopConfig, request: { customer: string; state: string }): Promise<PickRequest> {
  return createPickRequest({
    appId: config.appId,
    secret: config.secret,
    gatewayUrl: config.gatewayUrl,
    sub: request.customer,
    returnTo: `${config.shopUrl}${RETURN_PATH}`,
    state: request.state,
    account: request.customer,
    maxItems: MAX_ITEMS,
    lifetimeSeconds: LIFETIME_S,
  });
}
