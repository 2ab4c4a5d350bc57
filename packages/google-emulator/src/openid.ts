/**
 * OpenID Connect as Google serves it (https://developers.google.com/identity/openid-connect/openid-connect): a
 * discovery document naming the emulator's own endpoints, the JWKS, id_tokens signed RS256 with the key published
 * there, and the OpenID Connect userinfo endpoint. An app can verify the emulator's id_tokens offline, as it would
 * Google's, with the issuer and JWKS the discovery document gives.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { bearer, unauthenticated } from './google-errors.ts';
import { includesScope, type Account, type EmulatorState } from './state.ts';

export const OPENID_PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/oauth2/v3/certs',
  userinfo: '/v1/userinfo',
  /** Google's older address of the same endpoint. */
  legacyUserinfo: '/oauth2/v3/userinfo',
} as const;

const ID_TOKEN_TTL_SECONDS = 3600;

/** The emulator's signing key: generated when it starts, published with a `kid` (its JWK thumbprint). */
export class IdTokenSigner {
  readonly #key: Promise<{ privateKey: CryptoKey; publicJwk: JWK }>;

  constructor() {
    this.#key = (async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const jwk = await exportJWK(publicKey);
      return { privateKey, publicJwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' } };
    })();
  }

  /** Resolves once the key exists (the emulator waits for it before it listens). */
  async ready(): Promise<void> {
    await this.#key;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.#key).publicJwk] };
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    const { privateKey, publicJwk } = await this.#key;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: publicJwk.kid!, typ: 'JWT' }).sign(privateKey);
  }
}

/** The name and picture Google shares with the `profile` scope. */
export function profileClaims(account: Account) {
  const [given, family] = account.name.split(' ');
  return {
    name: account.name, given_name: given, family_name: family,
    picture: `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1" fill="#0b57d0"/></svg>`)}`,
  };
}

/** What OpenID Connect says of the account, by scope: `sub` always, the email with `email`, the name with `profile`. */
function identityClaims(account: Account, scopes: readonly string[]) {
  return {
    sub: account.sub,
    ...(includesScope(scopes, 'profile') ? profileClaims(account) : {}),
    ...(includesScope(scopes, 'email') ? { email: account.email, email_verified: true } : {}),
  };
}

/**
 * An id_token as Google issues one (https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload):
 * `iss`, `azp`, `aud`, `sub`, the email and profile claims by scope, `at_hash`, the request's `nonce`, `iat`, `exp`.
 */
export function idToken(signer: IdTokenSigner, input: { issuer: string; account: Account; clientId: string; scopes: readonly string[]; accessToken: string; nonce?: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const digest = createHash('sha256').update(input.accessToken).digest();
  return signer.sign({
    iss: input.issuer,
    azp: input.clientId,
    aud: input.clientId,
    ...identityClaims(input.account, input.scopes),
    at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    iat: now,
    exp: now + ID_TOKEN_TTL_SECONDS,
  });
}

/** Google's discovery document (https://accounts.google.com/.well-known/openid-configuration), for what the emulator serves. */
export function discoveryDocument(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/o/oauth2/v2/auth`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}${OPENID_PATHS.userinfo}`,
    revocation_endpoint: `${issuer}/revoke`,
    jwks_uri: `${issuer}${OPENID_PATHS.jwks}`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
    code_challenge_methods_supported: ['plain', 'S256'],
  };
}

export function openidRoutes(state: EmulatorState, signer: IdTokenSigner, issuer: () => string): Router {
  const router = Router();
  router.get(OPENID_PATHS.discovery, (_req, res) => void res.set('Cache-Control', 'public, max-age=3600').json(discoveryDocument(issuer())));
  router.get(OPENID_PATHS.jwks, async (_req, res) => void res.set('Cache-Control', 'public, max-age=3600').json(await signer.jwks()));

  // https://developers.google.com/identity/openid-connect/openid-connect#obtaininguserprofileinformation (GET or POST)
  const userinfo = (req: Request, res: Response) => {
    const access = state.validToken(bearer(req));
    if (!access) return unauthenticated(res, Boolean(bearer(req)), 'openidconnect.userinfo');
    res.set('Cache-Control', 'no-store').json(identityClaims(access.grant.account, access.grant.scopes));
  };
  for (const path of [OPENID_PATHS.userinfo, OPENID_PATHS.legacyUserinfo]) router.get(path, userinfo).post(path, userinfo);
  return router;
}
