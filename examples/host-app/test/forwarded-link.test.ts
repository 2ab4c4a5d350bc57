import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Client, eventually, startHarness, type Harness } from '../../../test/helpers/harness.ts';
import { gatewayAppEntry } from '../src/config.ts';
import { listenShop, newSecret, type ShopServer } from './shop-server.ts';

const secret = newSecret();

/** The shop's home page's list of imports (empty when there are none). */
const importsOf = async (atShop: Client) => (await (await atShop.get('/')).text()).match(/<ul class="picks">[\s\S]*?<\/ul>/)?.[0] ?? '';

describe('the example shop and the gateway: a request link forwarded to someone else', () => {
  let h: Harness;
  let shop: ShopServer;
  let root: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'example-shop-forwarded-'));
    const listening = await listenShop();
    const entry = gatewayAppEntry({ gatewayUrl: '', shopUrl: listening.url, appId: 'print-shop', secret });
    h = await startHarness({ env: { APPS: JSON.stringify([entry]), IMPORT_DESTINATION: `file:${root}` }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    shop = listening.serve({ gatewayUrl: h.url, appId: 'print-shop', secret });
  });
  after(async () => {
    await shop.close();
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when a customer forwards the gateway link the shop signed for them and someone else picks with it, then the pick is credited to no one, though its webhook names the customer', async () => {
    // The sender takes the shop's link to the gateway but never opens it.
    const sender = new Client(shop.url);
    const toGateway = await sender.get('/import');
    assert.equal(toGateway.status, 303);
    const link = toGateway.headers.get('location')!;
    const request = decodeJwt(new URL(link).searchParams.get('request')!);
    const sendersAccount = String(request.sub);

    // The recipient, in their own browser: signed in to Google as themselves, a customer of the shop of their own.
    const recipientAtGateway = await h.signedInClient({ account: 'bob@example.com' });
    const recipientAtShop = new Client(shop.url);
    await recipientAtShop.get('/');
    const start = await recipientAtGateway.get(link);
    const pickId = start.headers.get('location')!.match(/^\/picks\/([\w-]+)$/)![1]!;
    const consent = await (await recipientAtGateway.get(`/picks/${pickId}`, { accept: 'html' })).text();
    assert.ok(consent.includes(`for the account ${sendersAccount}`), 'the consent page says whose account the photos would go to');
    const begun = await recipientAtGateway.post(`/picks/${pickId}/continue`, { accept: 'json', json: {} });
    assert.equal(begun.status, 201);
    h.emulator.pick(((await begun.json()) as { id: string }).id, { count: 2 });

    const api = async () => (await (await fetch(`${h.url}/api/v1/picks/${pickId}`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { sub: string; status: string; webhook: { status: string } };
    const ended = await eventually(async () => {
      const pick = await api();
      return pick.status === 'done' && pick.webhook.status === 'delivered' ? pick : undefined;
    }, 'the pick is imported and the shop has had its webhook');
    assert.equal(ended.sub, sendersAccount, 'the webhook and the API name the sender: they say what happened, not whose it is');

    // The gateway sends the recipient's browser back to the shop, which does not know it as the sender.
    const back = (await recipientAtGateway.get(`/picks/${pickId}`)).headers.get('location')!;
    assert.ok(back.startsWith(`${shop.url}/return?`));
    const returned = await recipientAtShop.get(back);
    assert.equal(returned.status, 400);
    assert.match(await returned.text(), /was not started here/);

    // Nobody has it: not the recipient, not the sender, even with the pick's id and the state signed for them.
    assert.equal(await importsOf(recipientAtShop), '');
    assert.equal(await importsOf(sender), '');
    assert.equal((await sender.get(`/picks/${pickId}`)).status, 404);
    const claimed = await sender.get(`/return?${new URLSearchParams({ pick: pickId, status: 'done', state: String(request.state) })}`);
    assert.equal(claimed.status, 400, 'a state that came back in another session is used up');
    assert.equal((await sender.get(`/picks/${pickId}`)).status, 404);
  });
});
