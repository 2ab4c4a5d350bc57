/**
 * The one HTTP client of every Google call: an undici Agent per process (per
 * upstream timeout, in practice one), so OAuth, Picker and media requests
 * share keep-alive connection pools. google-auth-library (and
 * @googleapis/oauth2 through it) reaches it as gaxios's `fetchImplementation`;
 * media downloads use it with undici.request.
 *
 * UPSTREAM_TIMEOUT_MS is enforced by the Agent's own timers (until the answer's
 * headers, then between its bytes), which end with the call. A per-call
 * AbortSignal.timeout would instead stay armed for the whole timeout after the
 * call, holding the call's request and answer alive that long.
 */
import { Agent, fetch, type RequestInfo, type RequestInit } from 'undici';

/** A media download holds its connection for as long as it streams; past this many per Google host, requests wait for one. */
const CONNECTIONS_PER_HOST = 256;

export interface GoogleHttp {
  agent: Agent;
  /**
   * gaxios's fetch: undici's own, on the shared Agent. Redirects are not followed: Google's APIs answer without
   * them, and a bearer token must reach only the URL it was meant for; gaxios treats the 3xx as an error.
   */
  fetch: typeof globalThis.fetch;
}

const clients = new Map<number, GoogleHttp>();

export function googleHttp(timeoutMs: number): GoogleHttp {
  let client = clients.get(timeoutMs);
  if (!client) {
    const agent = new Agent({ connections: CONNECTIONS_PER_HOST, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const viaAgent = (input: RequestInfo, init?: RequestInit) => fetch(input, { ...init, dispatcher: agent, redirect: 'manual' });
    client = { agent, fetch: viaAgent as unknown as typeof globalThis.fetch };
    clients.set(timeoutMs, client);
  }
  return client;
}
