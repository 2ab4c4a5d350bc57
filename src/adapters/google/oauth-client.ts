/**
 * Builds google-auth-library clients. One client per request and user, never
 * a shared client with setCredentials(), so concurrent requests cannot mix
 * users' tokens. Every call goes through the process's one HTTP client
 * (./http-client.ts) and must be answered within UPSTREAM_TIMEOUT_MS.
 */
import { OAuth2Client, type Credentials } from 'google-auth-library';
import type { Config } from '../../config.ts';
import { googleHttp } from './http-client.ts';
import { noInstrumentation, type GoogleInstrumentation } from './instrumentation.ts';
import { retryConfig } from './retry.ts';

export function createOAuthClient(
  config: Config,
  credentials?: Credentials,
  instrumentation: GoogleInstrumentation = noInstrumentation,
): OAuth2Client {
  const client = new OAuth2Client({
    clientId: config.google.clientId,
    clientSecret: config.google.clientSecret,
    redirectUri: config.redirectUri,
    endpoints: {
      oauth2AuthBaseUrl: config.google.authUrl,
      oauth2TokenUrl: config.google.tokenUrl,
      oauth2RevokeUrl: config.google.revokeUrl,
    },
    // Refreshing is the gateway's job (merged into the session, once per user); the
    // library must not refresh behind our back and lose the result.
    eagerRefreshThresholdMillis: 0,
    forceRefreshOnFailure: false,
    transporterOptions: {
      // UPSTREAM_TIMEOUT_MS is the Agent's, per attempt: a retry gets a fresh deadline (see retry.ts for which calls are retried).
      fetchImplementation: googleHttp(config.upstreamTimeoutMs).fetch,
      retryConfig: retryConfig(instrumentation.onRetry),
    },
  });
  if (credentials) client.setCredentials(credentials);
  return client;
}
