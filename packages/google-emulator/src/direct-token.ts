/**
 * An access token for a demo account straight from the emulator, through its real consent form and token endpoint
 * (not a shortcut into its state), so a test can call Google's APIs as that account and compare.
 */
import type { Emulator } from './index.ts';
import { PICKER_SCOPE } from './state.ts';

const DIRECT_CLIENT = { clientId: 'direct-test-client', clientSecret: 'direct-secret', redirectUris: ['http://127.0.0.1/direct-callback'] };

export async function directAccessToken(emulator: Emulator, account = 'alice@example.com'): Promise<string> {
  const redirectUri = DIRECT_CLIENT.redirectUris[0]!;
  emulator.registerClient(DIRECT_CLIENT);
  const auth = new URL(`${emulator.url}/o/oauth2/v2/auth`);
  auth.search = new URLSearchParams({ client_id: DIRECT_CLIENT.clientId, redirect_uri: redirectUri, response_type: 'code', scope: PICKER_SCOPE, state: 'direct' }).toString();
  const html = await (await fetch(auth)).text();
  const transaction = html.match(/name="transaction" value="([^"]+)"/)![1]!;
  const decision = await fetch(`${emulator.url}/o/oauth2/v2/auth/decision`, {
    method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ transaction, account, decision: 'allow', scope: PICKER_SCOPE }),
  });
  const code = new URL(decision.headers.get('location')!).searchParams.get('code')!;
  const token = await fetch(`${emulator.url}/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: DIRECT_CLIENT.clientId, client_secret: DIRECT_CLIENT.clientSecret }),
  });
  return ((await token.json()) as { access_token: string }).access_token;
}
