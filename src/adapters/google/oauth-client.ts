/**
 * Builds google-auth-library clients. One client per request and user, never
 * a shared client with setCredentials(), so concurrent requests cannot mix
 * users' tokens. The transport is ./http-transport.ts (pooled keep-alive
 * connections) with an explicit timeout on every call.
 */
import { OAuth2Client, type Credentials } from 'google-auth-library';
import type { Config } from '../../config.ts';
import { createTransport, type GoogleFetch } from './http-transport.ts';
import { noInstrumentation, type GoogleInstrumentation } from './instrumentation.ts';
import { retryConfig } from './retry.ts';

const transports = new WeakMap<Config, GoogleFetch>();
function transportFor(config: Config): GoogleFetch {
  let transport = transports.get(config);
  if (!transport) transports.set(config, (transport = createTransport(config.upstreamTimeoutMs)));
  return transport;
}

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
      // The transport enforces UPSTREAM_TIMEOUT_MS on every call (see http-transport.ts for why not gaxios's timeout).
      fetchImplementation: transportFor(config) as unknown as typeof fetch,
      retryConfig: retryConfig(instrumentation.onRetry),
    },
  });
  if (credentials) client.setCredentials(credentials);
  return client;
}
