/**
 * A signed-in user's Google connection: their sealed tokens in the session,
 * refreshed shortly before expiry (once per user however many requests need
 * it at the same moment), merged so the refresh token is never lost, and
 * cleared when Google answers invalid_grant.
 */
import { createHash } from 'node:crypto';
import type { SessionData } from 'express-session';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { GoogleOAuth } from '../adapters/google/oauth.ts';
import { isInvalidGrant, toGoogleAppError } from '../adapters/google/google-error.ts';
import { PickerApi } from '../adapters/google/picker-api.ts';
import { noInstrumentation, type GoogleInstrumentation } from '../adapters/google/instrumentation.ts';
import type { Config } from '../config.ts';
import type { GoogleTokens, TokenVault } from './token-vault.ts';

/** Refresh this long before Google's expiry, so a token never dies mid-call. */
const REFRESH_MARGIN_MS = 60_000;

type UserSession = Partial<SessionData>;

/** Whose Google connection to use: a request (req.session, req.log) or the reaper's view of a stored session. */
export interface UserContext {
  session: UserSession;
  log: Logger;
}

export const signedOutByGoogle = (cause?: unknown) =>
  new AppError({
    status: 401,
    code: 'UNAUTHENTICATED',
    detail: 'Google no longer accepts this sign-in. Connect Google Photos again.',
    messageKey: 'error.signedOutByGoogle',
    cause,
  });

export const notSignedIn = () =>
  new AppError({ status: 401, code: 'UNAUTHENTICATED', detail: 'Sign in with Google first.', messageKey: 'error.notSignedIn' });

export interface RefreshObserver {
  (outcome: 'success' | 'failure'): void;
}

/**
 * Opened tokens kept on the loaded session object itself, so one request
 * decrypts once however often it asks. A symbol key is skipped by
 * JSON.stringify, so the memo never reaches a store or express-session's
 * change hash. It is not a WeakMap on purpose: entries of a long-lived
 * WeakMap survived scavenges, so every request's session and tokens reached
 * the old generation (measured: ten times the old-space growth of the same
 * objects without the WeakMap).
 */
const OPENED = Symbol('opened Google tokens');
type MemoizedSession = UserSession & { [OPENED]?: { sealed: string; tokens: GoogleTokens | undefined } };

function remember(session: UserSession, sealed: string, tokens: GoogleTokens | undefined): void {
  Object.defineProperty(session, OPENED, { value: { sealed, tokens }, writable: true, configurable: true, enumerable: false });
}

export class GoogleAccounts {
  readonly #config: Config;
  readonly #oauth: GoogleOAuth;
  readonly #vault: TokenVault;
  readonly #inflightRefresh = new Map<string, Promise<GoogleTokens>>();
  readonly #onRefresh: RefreshObserver | undefined;
  readonly #instrumentation: GoogleInstrumentation;

  constructor(
    config: Config,
    oauth: GoogleOAuth,
    vault: TokenVault,
    hooks: { onRefresh?: RefreshObserver; instrumentation?: GoogleInstrumentation } = {},
  ) {
    this.#config = config;
    this.#oauth = oauth;
    this.#vault = vault;
    this.#onRefresh = hooks.onRefresh;
    this.#instrumentation = hooks.instrumentation ?? noInstrumentation;
  }

  tokens(session: UserSession): GoogleTokens | undefined {
    const sealed = session.googleTokens;
    if (!sealed) return undefined;
    const memo = (session as MemoizedSession)[OPENED];
    if (memo?.sealed === sealed) return memo.tokens;
    const tokens = this.#vault.open(sealed);
    remember(session, sealed, tokens);
    return tokens;
  }

  store(session: UserSession, tokens: GoogleTokens): void {
    session.googleTokens = this.#vault.seal(tokens);
    remember(session, session.googleTokens, tokens);
  }

  isSignedIn(session: UserSession): boolean {
    return Boolean(session.user && this.tokens(session));
  }

  /** Forgets the Google connection (tokens and identity) but keeps the browser session. */
  disconnect(session: UserSession): void {
    delete session.googleTokens;
    delete session.user;
  }

  async #refresh(session: UserSession, tokens: GoogleTokens, log: Logger): Promise<GoogleTokens> {
    if (!tokens.refresh_token) throw signedOutByGoogle();
    const key = createHash('sha256').update(tokens.refresh_token).digest('base64url');
    let pending = this.#inflightRefresh.get(key);
    if (!pending) {
      pending = this.#oauth.refresh(tokens).finally(() => this.#inflightRefresh.delete(key));
      this.#inflightRefresh.set(key, pending);
    }
    try {
      const refreshed = await pending;
      this.#onRefresh?.('success');
      this.store(session, refreshed);
      log.info({ event: 'token_refreshed' }, 'Google access token refreshed');
      return refreshed;
    } catch (error) {
      this.#onRefresh?.('failure');
      if (isInvalidGrant(error)) {
        log.warn({ event: 'token_revoked' }, 'Google refused the refresh token (invalid_grant); user must connect again');
        this.disconnect(session);
        throw signedOutByGoogle(error);
      }
      throw toGoogleAppError(error, 'the token refresh');
    }
  }

  /** A usable access token, refreshed first when it is about to expire. */
  async accessToken(ctx: UserContext): Promise<string> {
    const tokens = this.tokens(ctx.session);
    if (!ctx.session.user || !tokens) throw notSignedIn();
    if (tokens.expiry_date !== undefined && tokens.expiry_date - REFRESH_MARGIN_MS <= Date.now()) {
      return (await this.#refresh(ctx.session, tokens, ctx.log)).access_token;
    }
    return tokens.access_token;
  }

  /** After Google refused a token that looked valid: refresh now, once, and hand back the new one. */
  async refreshNow(ctx: UserContext): Promise<string> {
    const tokens = this.tokens(ctx.session);
    if (!ctx.session.user || !tokens) throw notSignedIn();
    return (await this.#refresh(ctx.session, tokens, ctx.log)).access_token;
  }

  /**
   * Runs Picker calls for the signed-in user. When Google answers
   * UNAUTHENTICATED (a token revoked or expired early) it refreshes once and
   * tries again; a second UNAUTHENTICATED is final.
   */
  async withPicker<T>(ctx: UserContext, work: (api: PickerApi) => Promise<T>): Promise<T> {
    const token = await this.accessToken(ctx);
    try {
      return await work(new PickerApi(this.#config, token, this.#instrumentation));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'UNAUTHENTICATED') throw error;
      return work(new PickerApi(this.#config, await this.refreshNow(ctx), this.#instrumentation));
    }
  }
}
