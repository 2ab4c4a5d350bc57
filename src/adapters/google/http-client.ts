/**
 * The one HTTP client of every Google call: a single undici Agent per
 * process, so OAuth, Picker and media requests share keep-alive connection
 * pools. google-auth-library (and @googleapis/oauth2 through it) reaches it as
 * gaxios's `fetchImplementation`; media downloads use it with undici.request.
 */
import { Agent, fetch, type RequestInfo, type RequestInit } from 'undici';

/** A media download holds its connection for as long as it streams; past this many per Google host, requests wait for one. */
const CONNECTIONS_PER_HOST = 256;

export const googleAgent = new Agent({ connections: CONNECTIONS_PER_HOST });

/**
 * gaxios's fetch: undici's own, on the shared Agent. Redirects are not
 * followed: Google's APIs answer without them, and a bearer token must reach
 * only the URL it was meant for; gaxios treats the 3xx as an error.
 */
export const googleFetch = ((input: RequestInfo, init?: RequestInit) =>
  fetch(input, { ...init, dispatcher: googleAgent, redirect: 'manual' })) as unknown as typeof globalThis.fetch;
