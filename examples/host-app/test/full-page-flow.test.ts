import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

describe('the example shop and the gateway on two origins, the full-page flow', () => {
  let h: Harness;
  let shop: ShopServer;
  let root: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'example-shop-'));
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

  it('when a customer imports from the shop\'s button, then they come back to the shop, which shows the imported photos through the API', async () => {
    // One browser: its cookies for the shop and for the gateway are kept apart, as the two origins' are.
    const atShop = new Client(shop.url);
    const atGateway = await h.signedInClient();

    const home = await (await atShop.get('/')).text();
    const button = home.match(/<a class="button" href="([^"]+)" data-full-page-pick>/)?.[1];
    assert.ok(button, 'the full-page button');
    const toGateway = await atShop.get(button);
    assert.equal(toGateway.status, 303);
    const pickLink = toGateway.headers.get('location')!;
    assert.ok(pickLink.startsWith(`${h.url}/pick?app=print-shop&request=`));

    const atPick = await atGateway.get(pickLink);
    assert.equal(atPick.status, 303);
    const pickId = atPick.headers.get('location')!.match(/^\/picks\/([\w-]+)$/)![1]!;
    assert.match(await (await atGateway.get(`/picks/${pickId}`, { accept: 'html' })).text(), /Print Shop \(example\) asks for photos/);
    const begun = await atGateway.post(`/picks/${pickId}/continue`, { accept: 'json', json: {} });
    assert.equal(begun.status, 201);
    h.emulator.pick(((await begun.json()) as { id: string }).id, { count: 2 });
    const ended = await eventually(async () => {
      const pick = await h.app.services.picks.get(pickId);
      return pick?.status === 'done' ? pick : undefined;
    }, 'the pick is imported');

    // Where the gateway sends the browser back: return_to with pick, status and state.
    const back = h.app.services.picks.returnUrl(ended);
    assert.equal(back.origin, shop.url);
    const returned = await atShop.get(back.href);
    assert.equal(returned.status, 303);
    assert.equal(returned.headers.get('location'), `/picks/${pickId}`);

    const page = await atShop.get(`/picks/${pickId}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Status: imported\./);
    assert.ok(!html.includes(secret) && !html.includes(h.url + '/api'), 'neither the secret nor the API address reaches the browser');
    const photos = [...html.matchAll(/<img src="([^"]+)"/g)].map((match) => match[1]!);
    assert.equal(photos.length, 2);

    const imported = (await (await fetch(`${h.url}/api/v1/picks/${pickId}`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { items: Array<{ id: string; key: string }> };
    for (const item of imported.items) {
      const src = photos.find((photo) => photo.includes(encodeURIComponent(item.id)));
      assert.ok(src, `the page shows ${item.id}`);
      const stored = await readFile(path.join(root, item.key));
      const whole = await atShop.get(src);
      assert.equal(whole.status, 200);
      assert.deepEqual(Buffer.from(await whole.arrayBuffer()), stored, 'the bytes in the gateway\'s destination');
      const part = await atShop.get(src, { headers: { range: 'bytes=0-9' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 0-9/${stored.length}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), stored.subarray(0, 10));
    }

    const secondTime = await atShop.get(back.href);
    assert.equal(secondTime.status, 400, 'a return link works once: its state is used up');
    const someoneElse = new Client(shop.url);
    assert.equal((await someoneElse.get(`/picks/${pickId}`)).status, 404, 'another customer of the shop');
    assert.equal((await someoneElse.get(photos[0]!)).status, 404, 'another customer of the shop');
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
