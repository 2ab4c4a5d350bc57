/** Host apps in tests: their secrets, their signed pick requests, and a pick started and ended over HTTP. */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { secretKey } from '../../src/domain/host-apps.ts';
import type { Client } from './harness.ts';

/** A fresh Standard Webhooks secret. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export interface PickRequestOptions {
  /** The gateway's PUBLIC_URL (the token's aud). */
  audience: string;
  secret: string;
  app: string;
  /** Claims over the defaults; `undefined` leaves one out. */
  claims?: Record<string, unknown>;
  alg?: string;
}

/** A well-formed request of `app` (sub customer-1, five minutes to live, returning to https://app.example/back). */
export function signPickRequest({ audience, secret, app, claims = {}, alg = 'HS256' }: PickRequestOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: app, aud: audience, sub: 'customer-1', iat: now, exp: now + 300, jti: randomUUID(), return_to: 'https://app.example/back', state: 'order-7', ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(secretKey(secret));
}

/** The pick id in GET /pick's redirect to its consent page. */
export const pickIdOf = (location: string | null) => location?.match(/^\/picks\/([\w-]+)$/)?.[1];

/** Starts a pick as the signed-in `client` would arriving from the app; answers its id. */
export async function startPick(client: Client, app: string, request: string): Promise<string> {
  const start = await client.get(`/pick?app=${app}&request=${request}`);
  const id = pickIdOf(start.headers.get('location'));
  if (start.status !== 303 || !id) throw new Error(`GET /pick answered ${start.status}: ${await start.text()}`);
  return id;
}
