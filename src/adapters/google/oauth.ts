/**
 * Google OAuth 2.0 web-server flow: the authorization URL (PKCE S256 and a
 * one-time state), the code exchange, refresh, revocation and userinfo. All
 * endpoints come from config, so the emulator stands in for Google unchanged.
 */
import { randomBytes } from 'node:crypto';
import { oauth2 } from '@googleapis/oauth2';
import { CodeChallengeMethod } from 'google-auth-library';
import { PICKER_SCOPE, type Config } from '../../config.ts';
import type { GoogleTokens } from '../../domain/ports.ts';
import { createOAuthClient } from './oauth-client.ts';
import { toGoogleAppError } from './google-error.ts';
import { noInstrumentation, timed, type GoogleInstrumentation } from './instrumentation.ts';

const SIGN_IN_SCOPES = [PICKER_SCOPE, 'openid', 'email'] as const;

export interface AuthorizationRequest {
  url: string;
  state: string;
  codeVerifier: string;
}

export interface GoogleProfile {
  sub: string;
  email: string;
  name?: string;
  picture?: string;
}

export function grantedScopes(scope: string | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter(Boolean);
}

export class GoogleOAuth {
  readonly #config: Config;
  readonly #instrumentation: GoogleInstrumentation;

  constructor(config: Config, instrumentation: GoogleInstrumentation = noInstrumentation) {
    this.#config = config;
    this.#instrumentation = instrumentation;
  }

  async authorizationRequest(options: { askConsent: boolean }): Promise<AuthorizationRequest> {
    const client = createOAuthClient(this.#config);
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    const state = randomBytes(32).toString('base64url');
    const url = client.generateAuthUrl({
      response_type: 'code',
      scope: [...SIGN_IN_SCOPES],
      state,
      access_type: 'offline',
      include_granted_scopes: true,
      code_challenge: codeChallenge!,
      code_challenge_method: CodeChallengeMethod.S256,
      // Google returns a refresh token only on first consent or with prompt=consent.
      ...(options.askConsent ? { prompt: 'consent' } : {}),
    });
    return { url, state, codeVerifier };
  }

  exchangeCode(code: string, codeVerifier: string): Promise<GoogleTokens> {
    return timed(this.#instrumentation, 'oauth.token', () => this.#exchangeCode(code, codeVerifier));
  }

  async #exchangeCode(code: string, codeVerifier: string): Promise<GoogleTokens> {
    const client = createOAuthClient(this.#config, undefined, this.#instrumentation);
    try {
      const { tokens } = await client.getToken({ code, codeVerifier, redirect_uri: this.#config.redirectUri });
      if (!tokens.access_token) throw new Error('token response without access_token');
      return {
        access_token: tokens.access_token,
        ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
        ...(tokens.expiry_date ? { expiry_date: tokens.expiry_date } : {}),
        ...(tokens.scope ? { scope: tokens.scope } : {}),
      };
    } catch (error) {
      throw toGoogleAppError(error, 'the sign-in code exchange');
    }
  }

  /** Returns the new access token merged over the stored ones: Google sends no new refresh token. */
  async refresh(tokens: GoogleTokens): Promise<GoogleTokens> {
    if (!tokens.refresh_token) throw new Error('refresh without a refresh token');
    const client = createOAuthClient(this.#config, { refresh_token: tokens.refresh_token }, this.#instrumentation);
    const { credentials } = await timed(this.#instrumentation, 'oauth.refresh', () => client.refreshAccessToken());
    if (!credentials.access_token) throw new Error('refresh response without access_token');
    return {
      ...tokens,
      access_token: credentials.access_token,
      ...(credentials.expiry_date ? { expiry_date: credentials.expiry_date } : {}),
      ...(credentials.scope ? { scope: credentials.scope } : {}),
    };
  }

  /** Revoking the refresh token ends the whole grant at Google. */
  async revoke(tokens: GoogleTokens): Promise<void> {
    const client = createOAuthClient(this.#config, undefined, this.#instrumentation);
    await timed(this.#instrumentation, 'oauth.revoke', () => client.revokeToken(tokens.refresh_token ?? tokens.access_token));
  }

  profile(accessToken: string): Promise<GoogleProfile> {
    return timed(this.#instrumentation, 'oauth.userinfo', () => this.#profile(accessToken));
  }

  async #profile(accessToken: string): Promise<GoogleProfile> {
    const auth = createOAuthClient(this.#config, { access_token: accessToken }, this.#instrumentation);
    try {
      const { data } = await oauth2({ version: 'v2', auth, rootUrl: this.#config.google.apiRootUrl }).userinfo.get();
      if (!data.id || !data.email) throw new Error('userinfo without id or email');
      return {
        sub: data.id,
        email: data.email,
        ...(data.name ? { name: data.name } : {}),
        ...(data.picture ? { picture: data.picture } : {}),
      };
    } catch (error) {
      throw toGoogleAppError(error, 'the account lookup');
    }
  }
}
