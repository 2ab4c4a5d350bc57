import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { Client } from '../../../test/helpers/harness.ts';
import { WEBHOOK_PATH } from '../src/config.ts';
import type { GatewayPick } from '@photos-picker-gateway/host-app-client';
import { listenShop, newSecret, type ShopServer } from './shop-server.ts';

const secret = newSecret();

/** A pick as the gateway describes it (the API's body, the webhook's data). */
function pickOf(customer: string, pick: string, status: GatewayPick['status'], items = 1): GatewayPick {
  return {
    id: pick, app: 'print-shop', sub: customer, state: 'some-state', status, createdAt: new Date().toISOString(), completedAt: new Date().toISOString(),
    items: Array.from({ length: items }, (_, index) => ({
      id: `item-${index}`, key: `apps/print-shop/u/${pick}/photo-${index}.jpg`, previewKey: `apps/print-shop/u/${pick}/.previews/photo-${index}.jpg`,
      filename: `photo-${index}.jpg`, mimeType: 'image/jpeg', type: 'PHOTO', createTime: null, width: 10, height: 10, bytes: 100, sha256: null, status: 'done', error: null,
    })),
    webhook: { status: 'none', attempts: 0, lastError: null },
  };
}

function pickCompleted(customer: string, pick: string, status: GatewayPick['status'], items = 1) {
  return JSON.stringify({
    type: 'pick.completed',
    timestamp: new Date().toISOString(),
    data: { ...pickOf(customer, pick, status, items), webhook: { status: 'pending', attempts: 1, lastError: null } },
  });
}

/** A delivery as the gateway sends it: Standard Webhooks headers over the exact body. */
function deliver(shop: ShopServer, body: string, options: { id?: string; key?: string; at?: Date } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return fetch(`${shop.url}${WEBHOOK_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(options.key ?? secret).sign(id, at, body),
    },
    body,
  });
}

describe('the shop\'s webhook endpoint', () => {
  let shop: ShopServer;
  let browser: Client;
  let customer: string;

  before(async () => {
    // No gateway: deliveries are made here, as the gateway would make them.
    shop = (await listenShop()).serve({ gatewayUrl: 'http://127.0.0.1:9', appId: 'print-shop', secret });
    browser = new Client(shop.url);
    customer = (await (await browser.get('/')).text()).match(/data-customer>([^<]+)</)![1]!;
  });
  after(() => shop.close());

  const importsListed = async () => (await (await browser.get('/')).text()).match(/<ul class="picks">[\s\S]*?<\/ul>/)?.[0] ?? '';

  it('when a correctly signed delivery arrives for a pick no customer has come back for, then it is acknowledged and credits no one, not even the customer it names', async () => {
    const answer = await deliver(shop, pickCompleted(customer, 'pick-not-returned', 'done', 3));
    assert.equal(answer.status, 204);
    assert.doesNotMatch(await importsListed(), /pick-not-returned/);
    assert.equal((await browser.get('/picks/pick-not-returned')).status, 404);
  });

  it('when a delivery arrives for a pick its customer came back for, then what they see follows it', async () => {
    shop.shop.credit(customer, pickOf(customer, 'pick-returned', 'importing', 0));
    assert.equal((await deliver(shop, pickCompleted(customer, 'pick-returned', 'done', 3))).status, 204);
    assert.match(await importsListed(), /href="\/picks\/pick-returned"[^]*imported, 3 photos/);
  });

  it('when the signature is wrong, the body altered or the secret another app\'s, then the delivery is refused and nothing is recorded', async () => {
    const body = pickCompleted(customer, 'pick-forged', 'done');
    assert.equal((await deliver(shop, body, { key: newSecret() })).status, 401);
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    const altered = await fetch(`${shop.url}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) },
      body: body.replace('"done"', '"failed"'),
    });
    assert.equal(altered.status, 401);
    assert.equal((await fetch(`${shop.url}${WEBHOOK_PATH}`, { method: 'POST', body })).status, 401, 'no signature at all');
    assert.doesNotMatch(await importsListed(), /pick-forged/);
  });

  it('when a signed delivery is older than the tolerance, then it is refused (a captured delivery replayed later)', async () => {
    const answer = await deliver(shop, pickCompleted(customer, 'pick-old', 'done'), { at: new Date(Date.now() - 10 * 60_000) });
    assert.equal(answer.status, 401);
    assert.doesNotMatch(await importsListed(), /pick-old/);
  });

  it('when the same webhook-id comes again, even re-signed with other content, then it is acknowledged but not handled twice', async () => {
    shop.shop.credit(customer, pickOf(customer, 'pick-retried', 'importing', 0));
    const id = `msg_${randomUUID()}`;
    assert.equal((await deliver(shop, pickCompleted(customer, 'pick-retried', 'partial', 2), { id })).status, 204);
    const again = await deliver(shop, pickCompleted(customer, 'pick-retried', 'failed', 0), { id });
    assert.equal(again.status, 204, 'a 2xx, or the gateway would keep retrying for a day');
    const listed = await importsListed();
    assert.match(listed, /pick-retried"[^<]*<\/a>: imported, but some photos could not be copied, 2 photos/);
  });

  it('when a delivery names another customer, then this customer does not see it', async () => {
    assert.equal((await deliver(shop, pickCompleted('customer-someone-else', 'pick-theirs', 'done'))).status, 204);
    assert.doesNotMatch(await importsListed(), /pick-theirs/);
  });

  it('when a delivery names this customer for a pick another customer came back for, then it stays the other\'s', async () => {
    shop.shop.credit('customer-who-returned', pickOf(customer, 'pick-forwarded', 'importing', 0));
    assert.equal((await deliver(shop, pickCompleted(customer, 'pick-forwarded', 'done', 2))).status, 204);
    assert.doesNotMatch(await importsListed(), /pick-forwarded/);
    assert.equal(shop.shop.pickOf('customer-who-returned', 'pick-forwarded')?.status, 'done');
  });
});
