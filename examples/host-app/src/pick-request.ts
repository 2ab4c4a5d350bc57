/**
 * The signed request that sends a customer to the gateway: a short-lived,
 * single-use JWT (HS256) keyed with the shop's secret, signed on the server
 * (the secret never reaches a browser).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { MAX_ITEMS, RETURN_PATH, type ShopConfig } from './config.ts';

/** Long enough for a customer to read the consent page; the gateway refuses more than 600 s. */
const LIFETIME_S = 300;

/** The key bytes of a Standard Webhooks secret: what follows `whsec_`, base64-decoded (not the text itself). */
export const keyOf = (secret: string) => Buffer.from(secret.slice('whsec_'.length), 'base64');

/**
 * `account` is the label the customer knows themselves by at the shop: the gateway's consent page names it ("… asks
 * for photos for the account …"), so whoever opens a forwarded link sees whose account the photos would go to.
 */
export async function signPickRequest(config: ShopConfig, request: { customer: string; state: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ return_to: `${config.shopUrl}${RETURN_PATH}`, max_items: MAX_ITEMS, state: request.state, account: request.customer })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(config.appId)
    .setAudience(config.gatewayUrl)
    .setSubject(request.customer)
    .setIssuedAt(now)
    .setExpirationTime(now + LIFETIME_S)
    .setJti(randomUUID())
    .sign(keyOf(config.secret));
}

/** Where the browser goes to start the pick (full page), or what embed.js opens in its popup. */
export function pickUrl(config: ShopConfig, request: string): string {
  const url = new URL('/pick', config.gatewayUrl);
  url.searchParams.set('app', config.appId);
  url.searchParams.set('request', request);
  return url.href;
}
