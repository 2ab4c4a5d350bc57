/**
 * The least of a browser the benchmark needs to sign people in: a cookie jar,
 * and the emulator's consent form answered as a demo account. Also an access
 * token for calling the emulator directly, through the same form.
 */
import type http from 'node:http';
import { PICKER_SCOPE } from '@photos-picker-gateway/google-emulator';
import { call, type Answer } from './http-call.ts';

/** The emulator's demo accounts with a Photos library; the benchmark's users take turns between them. */
export const DEMO_ACCOUNTS = ['alice@example.com', 'bob@example.com'] as const;
/** The API profile's people, one Google account each: the emulator makes them with its `extraAccounts` option. */
export const loadTestAccount = (user: number) => `user${user + 1}@example.com`;

export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Keeps what the answer's Set-Cookie headers set and forgets what they clear. */
  store(answer: Answer): void {
    for (const line of answer.headers['set-cookie'] ?? []) {
      const pair = line.split(';', 1)[0]!;
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function expect(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}, not ${status}: ${answer.body.slice(0, 200)}`);
  return answer;
}

/**
 * Answers the consent page at `authUrl` with Allow for every requested scope; returns where Google sends the browser
 * back. Google asks only when it must: when it sends the browser straight back, there is no page to answer.
 */
export async function consent(agent: http.Agent, authUrl: string, account: string): Promise<string> {
  const answer = await call(agent, authUrl, { headers: { accept: 'text/html' }, keepBody: true });
  if (answer.status === 302 && answer.headers.location) return answer.headers.location;
  const page = expect(answer, 200, 'the consent page');
  const transaction = page.body.match(/name="transaction" value="([^"]+)"/)?.[1];
  if (!transaction) throw new Error('no transaction on the consent page');
  const form = new URLSearchParams({ transaction, account, decision: 'allow' });
  for (const scope of (new URL(authUrl).searchParams.get('scope') ?? '').split(' ')) form.append('scope', scope);
  const decision = expect(await call(agent, new URL('/o/oauth2/v2/auth/decision', authUrl).href, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), keepBody: true,
  }), 302, 'the consent decision');
  return decision.headers.location!;
}

export interface GatewayUser { account: string; jar: CookieJar; csrfToken: string }

/** Signs in to the gateway as a browser does (start, consent, callback) and reads the CSRF token its home page exposes. */
export async function signInToGateway(agent: http.Agent, gatewayUrl: string, account: string): Promise<GatewayUser> {
  const jar = new CookieJar();
  const get = async (url: string, accept: string) => {
    const answer = await call(agent, url, { headers: { cookie: jar.header, accept }, keepBody: true });
    jar.store(answer);
    return answer;
  };
  const start = expect(await get(`${gatewayUrl}/auth/google`, 'text/html'), 302, 'GET /auth/google');
  const callback = await consent(agent, start.headers.location!, account);
  expect(await get(callback, 'text/html'), 303, 'the sign-in callback');
  const home = expect(await get(`${gatewayUrl}/`, 'text/html'), 200, 'the home page');
  const csrfToken = home.body.match(/<meta name="csrf-token" content="([^"]*)"/)?.[1];
  if (!csrfToken) throw new Error('no CSRF token on the home page');
  return { account, jar, csrfToken };
}

/** Creates a Picker session through the gateway as the signed-in user's page does (cookie, CSRF token, Origin); answers its id. */
export async function createGatewaySession(agent: http.Agent, gatewayUrl: string, user: GatewayUser): Promise<string> {
  const answer = await call(agent, `${gatewayUrl}/sessions`, {
    method: 'POST',
    headers: { cookie: user.jar.header, accept: 'application/json', 'content-type': 'application/json', origin: gatewayUrl, 'x-csrf-token': user.csrfToken },
    body: '{}',
    keepBody: true,
  });
  user.jar.store(answer);
  expect(answer, 201, 'POST /sessions');
  return (JSON.parse(answer.body) as { id: string }).id;
}

export interface OAuthClient { clientId: string; clientSecret: string; redirectUri: string }

/** An access token with the picker scope for `account`, from the emulator's consent form and token endpoint. */
export async function directAccessToken(agent: http.Agent, emulatorUrl: string, client: OAuthClient, account: string): Promise<string> {
  const auth = new URL('/o/oauth2/v2/auth', emulatorUrl);
  auth.search = new URLSearchParams({ client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: PICKER_SCOPE, state: 'bench' }).toString();
  const code = new URL(await consent(agent, auth.href, account)).searchParams.get('code')!;
  const token = expect(await call(agent, `${emulatorUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, client_id: client.clientId, client_secret: client.clientSecret }).toString(),
    keepBody: true,
  }), 200, 'the token endpoint');
  return (JSON.parse(token.body) as { access_token: string }).access_token;
}
