/**
 * The signed request that sends a user to the gateway: a JWT (HS256 only),
 * keyed with the bytes of one of the app's secrets, single use (a fresh
 * `jti`), living at most 600 s. Sign it on the app's server, never in a
 * browser: the secret must not leave the server.
 */
import { SignJWT } from 'jose';
import { assertSecret, secretBytes } from './secrets.ts';
import type { PickRequestClaims } from './types.ts';

/** The longest life the gateway accepts (exp - iat). */
export const MAX_LIFETIME_SECONDS = 600;
/** Google's ceiling of items per Picker session. */
export const MAX_ITEMS = 2000;

export interface PickRequestOptions {
  /** The app's id in the gateway's APPS (the JWT's `iss`). */
  appId: string;
  /** One of the app's secrets (`whsec_…`). */
  secret: string;
  /** The gateway's PUBLIC_URL (the JWT's `aud`, and where /pick is). */
  gatewayUrl: string | URL;
  /** The app's own id for its user (1–256 characters); their imports go to a folder derived from it. */
  sub: string;
  /** Where the browser comes back to, on one of the app's returnOrigins; `pick`, `status` and `state` are added to its query. */
  returnTo: string | URL;
  /** A random value the app remembers for this user and checks on their return (≤ 512 characters). */
  state?: string;
  /** The app's label for its user, shown on the consent page ("… for the account ana@printshop"; ≤ 100 characters). */
  account?: string;
  /** The most items the user may pick (1–2000), capped by the app's maxItems. */
  maxItems?: number;
  /** The request's life in seconds (1–600, default 600): how long the link is good for. */
  lifetimeSeconds?: number;
  /** Now, for tests; default the clock. */
  now?: Date;
}

export interface PickRequest {
  /** `{gatewayUrl}/pick?app=…&request=…`: where to send the browser (a link, or a 303 from the app's own route). */
  url: string;
  /** The signed request alone, for embed.js: `PhotosPickerGateway.pick({request, app})`. */
  request: string;
  /** The request's `jti`. */
  jti: string;
  /** When the request stops being accepted. */
  expiresAt: Date;
}

function text(name: string, value: unknown, min: number, max: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new RangeError(`${name} must be a string of ${min === max ? max : `${min} to ${max}`} characters.`);
  }
  return value;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}.`);
  return value;
}

function httpUrl(name: string, value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute http(s) URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${name} must be an absolute http(s) URL.`);
  return url;
}

/** `{gatewayUrl}/pick`, whether gatewayUrl ends with a slash or not. */
export function pickEndpoint(gatewayUrl: string | URL): URL {
  const base = httpUrl('gatewayUrl', gatewayUrl);
  return new URL(`${base.href.replace(/\/+$/, '')}/pick`);
}

/** Signs a request for this user and answers where to send their browser. Each call makes a new, single-use request. */
export async function createPickRequest(options: PickRequestOptions): Promise<PickRequest> {
  assertSecret(options.secret);
  const appId = text('appId', options.appId, 1, 40);
  const lifetime = integer('lifetimeSeconds', options.lifetimeSeconds ?? MAX_LIFETIME_SECONDS, 1, MAX_LIFETIME_SECONDS);
  const returnTo = httpUrl('returnTo', options.returnTo);
  const endpoint = pickEndpoint(options.gatewayUrl);
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: PickRequestClaims = {
    iss: appId,
    aud: String(options.gatewayUrl instanceof URL ? options.gatewayUrl.href : options.gatewayUrl),
    sub: text('sub', options.sub, 1, 256),
    iat,
    exp: iat + lifetime,
    jti: crypto.randomUUID(),
    return_to: returnTo.href,
    ...(options.maxItems === undefined ? {} : { max_items: integer('maxItems', options.maxItems, 1, MAX_ITEMS) }),
    ...(options.state === undefined ? {} : { state: text('state', options.state, 0, 512) }),
    ...(options.account === undefined ? {} : { account: text('account', options.account, 1, 100) }),
  };
  const request = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretBytes(options.secret));
  endpoint.searchParams.set('app', appId);
  endpoint.searchParams.set('request', request);
  return { url: endpoint.href, request, jti: claims.jti, expiresAt: new Date(claims.exp * 1000) };
}
