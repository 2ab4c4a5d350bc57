/**
 * Google sign-in, the OAuth 2.0 web-server flow with PKCE (S256) and a
 * one-time state. Each started sign-in is kept in the shared store under its
 * own state, single-use and bound to the browser that started it, so two tabs
 * signing in at once both succeed and a state works exactly once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PICKER_SCOPE } from '../config.ts';
import { AppError } from '../errors.ts';
import { sameSecret } from '../security/constant-time.ts';
import type { GoogleAccounts } from './accounts.ts';
import type { GoogleTokens, SharedStore, UserId } from './ports.ts';
import { userIdFor } from './user-id.ts';

const SIGN_IN_TTL_MS = 15 * 60_000;

export interface GoogleProfile {
  sub: string;
  email: string;
  name?: string;
  picture?: string;
}

/** The Google OAuth calls a sign-in makes. */
export interface SignInApi {
  authorizationRequest(options: { askConsent: boolean }): Promise<{ url: string; state: string; codeVerifier: string }>;
  exchangeCode(code: string, codeVerifier: string): Promise<GoogleTokens>;
  profile(accessToken: string): Promise<GoogleProfile>;
}

/** Who signed in, as the browser's session keeps it. */
export interface SignedInUser {
  id: UserId;
  email: string;
  name?: string;
  picture?: string;
  authenticatedAt: number;
}

interface PendingSignIn {
  /** Digest of the browser's binding secret: the callback must come from the browser that started. */
  binding: string;
  codeVerifier: string;
  returnTo: string;
  startedAt: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
const pendingKey = (state: string) => `signin:${digest(state)}`;

const invalidState = (detail: string) => new AppError({ status: 400, code: 'INVALID_STATE', detail, messageKey: 'error.invalidState' });

/** A fresh secret that binds a browser's sign-ins to it; kept in its session. */
export const newBinding = () => randomBytes(32).toString('base64url');

export class SignIns {
  readonly #store: SharedStore;
  readonly #api: SignInApi;
  readonly #accounts: GoogleAccounts;

  constructor(deps: { store: SharedStore; api: SignInApi; accounts: GoogleAccounts }) {
    this.#store = deps.store;
    this.#api = deps.api;
    this.#accounts = deps.accounts;
  }

  /** Starts a sign-in and answers the URL of Google's consent page. */
  async start(input: { binding: string; returnTo: string; knownUser?: UserId }): Promise<string> {
    // Google returns a refresh token only on first consent or with prompt=consent.
    const held = input.knownUser ? await this.#accounts.tokens(input.knownUser) : undefined;
    const request = await this.#api.authorizationRequest({ askConsent: !held?.refresh_token });
    const pending: PendingSignIn = { binding: digest(input.binding), codeVerifier: request.codeVerifier, returnTo: input.returnTo, startedAt: Date.now() };
    await this.#store.set(pendingKey(request.state), JSON.stringify(pending), SIGN_IN_TTL_MS);
    return request.url;
  }

  /** Finishes the sign-in Google sent back: the state is spent whatever happens next. */
  async finish(input: { binding: string | undefined; state?: string; code?: string; error?: string }): Promise<{ user: SignedInUser; returnTo: string }> {
    if (!input.state) throw invalidState('No sign-in is in progress in this browser.');
    const raw = await this.#store.take(pendingKey(input.state));
    const pending = raw ? (JSON.parse(raw) as PendingSignIn) : undefined;
    if (!pending || !input.binding || !sameSecret(digest(input.binding), pending.binding)) {
      throw invalidState('No sign-in with this state is in progress in this browser.');
    }
    if (Date.now() - pending.startedAt > SIGN_IN_TTL_MS) throw invalidState('The sign-in took too long.');
    if (input.error === 'access_denied') {
      throw new AppError({ status: 403, code: 'ACCESS_DENIED', detail: 'Access was not allowed at Google.', messageKey: 'error.accessDenied' });
    }
    if (input.error || !input.code) {
      throw new AppError({ status: 400, code: 'INVALID_ARGUMENT', detail: `Google answered the sign-in with ${input.error ?? 'no code'}.` });
    }

    const tokens = await this.#api.exchangeCode(input.code, pending.codeVerifier);
    if (!(tokens.scope ?? '').split(/\s+/).includes(PICKER_SCOPE)) {
      throw new AppError({
        status: 403,
        code: 'SCOPE_NOT_GRANTED',
        detail: 'The Google Photos picker permission was not granted.',
        messageKey: 'error.scopeNotGranted',
      });
    }
    const profile = await this.#api.profile(tokens.access_token);
    const id = userIdFor(profile.sub);
    await this.#accounts.connect(id, tokens);
    return {
      user: {
        id,
        email: profile.email,
        ...(profile.name ? { name: profile.name } : {}),
        ...(profile.picture ? { picture: profile.picture } : {}),
        authenticatedAt: Date.now(),
      },
      returnTo: pending.returnTo,
    };
  }
}
