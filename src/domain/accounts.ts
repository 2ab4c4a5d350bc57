/**
 * A person's Google connection, by user id: their tokens sealed in the shared
 * store (so a background job reaches them with nothing but the user id),
 * refreshed shortly before expiry, once per user however many callers need it
 * at the same moment, and dropped when Google answers invalid_grant.
 */
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { logFor } from '../observability/context.ts';
import type { GoogleOAuthApi, GoogleTokens, PickerApi, SharedStore, UserId } from './ports.ts';
import type { TokenVault } from './token-vault.ts';

/** Refresh this long before Google's expiry, so a token never dies mid-call. */
const REFRESH_MARGIN_MS = 60_000;

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

/** Tells whether a refresh failed because Google will never accept this refresh token again. */
export type IsInvalidGrant = (error: unknown) => boolean;

export interface AccountsOptions {
  store: SharedStore;
  vault: TokenVault;
  oauth: GoogleOAuthApi;
  pickerApi: (accessToken: string) => PickerApi;
  isInvalidGrant: IsInvalidGrant;
  /** Maps a failed refresh that is not invalid_grant to the service's error (a timeout, Google unavailable). */
  refreshError: (error: unknown) => AppError;
  /** How long a connection is kept without a new sign-in. */
  tokenTtlMs: number;
  logger: Logger;
  onRefresh?: (outcome: 'success' | 'failure') => void;
}

const tokensKey = (userId: UserId) => `user:${userId}:google`;

export class GoogleAccounts {
  readonly #options: AccountsOptions;
  readonly #inflightRefresh = new Map<UserId, Promise<GoogleTokens>>();

  constructor(options: AccountsOptions) {
    this.#options = options;
  }

  async tokens(userId: UserId): Promise<GoogleTokens | undefined> {
    return this.#options.vault.open(await this.#options.store.get(tokensKey(userId)));
  }

  async isConnected(userId: UserId): Promise<boolean> {
    return (await this.tokens(userId)) !== undefined;
  }

  /**
   * Keeps the tokens of a sign-in. Google sends a refresh token only on first consent, so the one already held for
   * this person is kept when the new answer has none.
   */
  async connect(userId: UserId, tokens: GoogleTokens): Promise<void> {
    const refreshToken = tokens.refresh_token ?? (await this.tokens(userId))?.refresh_token;
    await this.#save(userId, { ...tokens, ...(refreshToken ? { refresh_token: refreshToken } : {}) });
  }

  /** Ends the Google grant (best effort) and forgets the tokens. */
  async disconnect(userId: UserId): Promise<void> {
    const tokens = await this.tokens(userId);
    await this.#options.store.delete(tokensKey(userId));
    if (tokens) {
      await this.#options.oauth.revoke(tokens).catch((error: unknown) =>
        logFor(this.#options.logger).warn({ err: error }, 'could not revoke the Google token'));
    }
  }

  async #save(userId: UserId, tokens: GoogleTokens): Promise<void> {
    await this.#options.store.set(tokensKey(userId), this.#options.vault.seal(tokens), this.#options.tokenTtlMs);
  }

  #refresh(userId: UserId, tokens: GoogleTokens): Promise<GoogleTokens> {
    let pending = this.#inflightRefresh.get(userId);
    if (!pending) {
      pending = this.#refreshOnce(userId, tokens).finally(() => this.#inflightRefresh.delete(userId));
      this.#inflightRefresh.set(userId, pending);
    }
    return pending;
  }

  async #refreshOnce(userId: UserId, tokens: GoogleTokens): Promise<GoogleTokens> {
    const log = logFor(this.#options.logger);
    if (!tokens.refresh_token) throw signedOutByGoogle();
    try {
      const refreshed = await this.#options.oauth.refresh(tokens);
      this.#options.onRefresh?.('success');
      await this.#save(userId, refreshed);
      log.info({ event: 'token_refreshed' }, 'Google access token refreshed');
      return refreshed;
    } catch (error) {
      this.#options.onRefresh?.('failure');
      if (this.#options.isInvalidGrant(error)) {
        log.warn({ event: 'token_revoked' }, 'Google refused the refresh token (invalid_grant); the user must connect again');
        await this.#options.store.delete(tokensKey(userId));
        throw signedOutByGoogle(error);
      }
      throw this.#options.refreshError(error);
    }
  }

  /** A usable access token, refreshed first when it is about to expire. */
  async accessToken(userId: UserId): Promise<string> {
    const tokens = await this.tokens(userId);
    if (!tokens) throw notSignedIn();
    if (tokens.expiry_date !== undefined && tokens.expiry_date - REFRESH_MARGIN_MS <= Date.now()) {
      return (await this.#refresh(userId, tokens)).access_token;
    }
    return tokens.access_token;
  }

  /** After Google refused a token that looked valid: refresh now, once, and hand back the new one. */
  async refreshNow(userId: UserId): Promise<string> {
    const tokens = await this.tokens(userId);
    if (!tokens) throw notSignedIn();
    return (await this.#refresh(userId, tokens)).access_token;
  }

  /**
   * Runs Picker calls for the user. When Google answers UNAUTHENTICATED (a token revoked or expired early) it
   * refreshes once and tries again; a second UNAUTHENTICATED is final.
   */
  async withPicker<T>(userId: UserId, work: (api: PickerApi) => Promise<T>): Promise<T> {
    const token = await this.accessToken(userId);
    try {
      return await work(this.#options.pickerApi(token));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'UNAUTHENTICATED') throw error;
      return work(this.#options.pickerApi(await this.refreshNow(userId)));
    }
  }
}
