/**
 * A host app's signed request to start a pick: a JWT, HS256 only, keyed with
 * one of the app's Standard Webhooks secrets, for this gateway (`aud`), short
 * lived, used once (`jti`), returning to one of the app's own origins.
 *
 * Every fault is one kind of error with a reason for the log; the reason never
 * carries the token or a secret.
 */
import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { secretKey, type HostApp } from './host-apps.ts';
import { AppError } from '../errors.ts';
import type { SharedStore } from './ports.ts';

/** Google's ceiling of items per Picker session. */
export const MAX_ITEMS = 2000;
/** A request lives at most this long (exp - iat). */
const MAX_LIFETIME_S = 600;
const CLOCK_SKEW_S = 30;
/** Far above any honest request (a few hundred bytes); a larger one is refused before any parsing. */
const MAX_TOKEN_LENGTH = 8 * 1024;
const MAX_RETURN_TO_LENGTH = 2048;
const MAX_STATE_LENGTH = 512;
const MAX_ACCOUNT_LENGTH = 100;

export interface PickRequest {
  app: HostApp;
  /** The app's reference for its user. */
  sub: string;
  returnTo: URL;
  /** What the Picker session may hold: the request's max_items capped by the app's maxItems. */
  maxItems: number;
  state: string | null;
  /** The app's label for its user ("ana@printshop"), shown on the consent page; optional. */
  account: string | null;
}

/** The one error of a refused pick request: 400, code INVALID_PICK_REQUEST; `reason` goes to the log only. */
export class InvalidPickRequest extends AppError {
  readonly reason: string;

  constructor(reason: string) {
    super({ status: 400, code: 'INVALID_PICK_REQUEST', detail: 'The request to pick photos is not valid. Go back to the app and try again.', messageKey: 'error.invalidPickRequest' });
    this.reason = reason;
  }
}

const refuse = (reason: string): never => {
  throw new InvalidPickRequest(reason);
};

/** The URL the user goes back to: absolute, http(s), no credentials, on one of the app's origins exactly. */
function returnToOf(raw: unknown, app: HostApp): URL {
  if (typeof raw !== 'string' || raw.length === 0) return refuse('return_to is missing');
  if (raw.length > MAX_RETURN_TO_LENGTH) return refuse('return_to is too long');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('return_to is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('return_to is not http(s)');
  if (url.username || url.password) return refuse('return_to carries credentials');
  if (!app.returnOrigins.includes(url.origin)) return refuse(`return_to origin ${url.origin} is not one of the app's returnOrigins`);
  return url;
}

function stringClaim(payload: JWTPayload, name: string, max: number): string {
  const value = payload[name];
  if (value === undefined) return refuse(`${name} is missing`);
  if (typeof value !== 'string' || value.length === 0) return refuse(`${name} is not a non-empty string`);
  if (value.length > max) return refuse(`${name} is longer than ${max} characters`);
  return value;
}

export class PickRequests {
  readonly #apps: ReadonlyMap<string, HostApp>;
  readonly #audiences: string[];
  readonly #store: SharedStore;

  /** `audience`: the gateway's PUBLIC_URL; with or without its trailing slash. */
  constructor(options: { apps: readonly HostApp[]; audience: string; store: SharedStore }) {
    this.#apps = new Map(options.apps.map((app) => [app.id, app]));
    const bare = options.audience.replace(/\/+$/, '');
    this.#audiences = [bare, `${bare}/`];
    this.#store = options.store;
  }

  app(id: string): HostApp | undefined {
    return this.#apps.get(id);
  }

  /** Verifies the request and uses up its jti; a second use of the same request is refused. */
  async verify(appId: unknown, token: unknown): Promise<PickRequest> {
    if (typeof appId !== 'string' || typeof token !== 'string') return refuse('app or request is missing');
    const app = this.#apps.get(appId);
    if (!app) return refuse('unknown app');
    if (token.length > MAX_TOKEN_LENGTH) return refuse('the request is too large');
    const payload = await this.#verifySignature(app, token);

    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number') return refuse('iat or exp is missing');
    const now = Date.now() / 1000;
    if (iat > now + CLOCK_SKEW_S) return refuse('iat is in the future');
    if (exp - iat > MAX_LIFETIME_S) return refuse(`exp is more than ${MAX_LIFETIME_S} s after iat`);
    const sub = stringClaim(payload, 'sub', 256);
    const jti = stringClaim(payload, 'jti', 256);
    const returnTo = returnToOf(payload.return_to, app);
    const maxItems = payload.max_items ?? app.maxItems;
    if (typeof maxItems !== 'number' || !Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_ITEMS) {
      return refuse(`max_items must be an integer from 1 to ${MAX_ITEMS}`);
    }
    const state = payload.state ?? null;
    if (state !== null && (typeof state !== 'string' || state.length > MAX_STATE_LENGTH)) return refuse(`state must be a string of at most ${MAX_STATE_LENGTH} characters`);
    const account = payload.account === undefined ? null : stringClaim(payload, 'account', MAX_ACCOUNT_LENGTH);

    // Remembered until the request could no longer be accepted anyway.
    const rememberMs = Math.max(1_000, (exp + CLOCK_SKEW_S - now) * 1000);
    const jtiKey = `pick-request:${app.id}:${createHash('sha256').update(jti).digest('base64url')}`;
    if (!(await this.#store.setIfAbsent(jtiKey, '1', rememberMs))) return refuse('the request was used already (jti replayed)');
    return { app, sub, returnTo, maxItems: Math.min(maxItems, app.maxItems), state, account };
  }

  async #verifySignature(app: HostApp, token: string): Promise<JWTPayload> {
    let reason = 'the signature matches none of the app\'s secrets';
    for (const secret of app.secrets) {
      try {
        const { payload } = await jwtVerify(token, secretKey(secret), {
          algorithms: ['HS256'],
          issuer: app.id,
          audience: this.#audiences,
          clockTolerance: CLOCK_SKEW_S,
          requiredClaims: ['iat', 'exp', 'sub', 'jti'],
        });
        return payload;
      } catch (error) {
        if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue; // perhaps the next secret (rotation)
        reason = error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : 'the request is not a JWT';
        break;
      }
    }
    return refuse(reason);
  }
}
