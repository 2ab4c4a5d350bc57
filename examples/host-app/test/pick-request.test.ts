import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySharedStore } from '../../../src/adapters/memory/shared-store.ts';
import { loadApps } from '../../../src/config-apps.ts';
import { PickRequests } from '../../../src/domain/pick-requests.ts';
import { silentLogger } from '../../../test/domain/fakes.ts';
import { gatewayAppEntry, MAX_ITEMS, type ShopConfig } from '../src/config.ts';
import { newPickRequest } from '../src/pick-request.ts';
import { newSecret } from './shop-server.ts';

const config: ShopConfig = { gatewayUrl: 'https://gateway.example', shopUrl: 'https://shop.example', appId: 'print-shop', secret: newSecret() };

/** The gateway's own verification, over the entry `npm run example` gives the gateway's APPS. */
const gatewayVerifier = () =>
  new PickRequests({ apps: loadApps({ APPS: JSON.stringify([gatewayAppEntry(config)]) }), audience: `${config.gatewayUrl}/`, store: new MemorySharedStore(silentLogger) });

describe('the shop\'s signed pick request', () => {
  it('when the shop signs a request, then the gateway accepts it for that customer, returning to the shop with the state', async () => {
    const request = await gatewayVerifier().verify('print-shop', (await newPickRequest(config, { customer: 'customer-1', state: 'state-1' })).request);
    assert.equal(request.app.id, 'print-shop');
    assert.equal(request.sub, 'customer-1');
    assert.equal(request.returnTo.href, 'https://shop.example/return');
    assert.equal(request.state, 'state-1');
    assert.equal(request.account, 'customer-1', 'the consent page names the customer\'s account at the shop');
    assert.equal(request.maxItems, MAX_ITEMS);
  });

  it('when the shop signs twice for the same customer, then each request is accepted once (a fresh jti each)', async () => {
    const gateway = gatewayVerifier();
    const { request: first } = await newPickRequest(config, { customer: 'customer-1', state: 'a' });
    const { request: second } = await newPickRequest(config, { customer: 'customer-1', state: 'a' });
    await gateway.verify('print-shop', first);
    await gateway.verify('print-shop', second);
    await assert.rejects(gateway.verify('print-shop', first), { code: 'INVALID_PICK_REQUEST' });
  });

  it('when the link is built, then it goes to the gateway\'s /pick with the app and the request', async () => {
    const { url, request } = await newPickRequest(config, { customer: 'customer-1', state: 'a' });
    const link = new URL(url);
    assert.equal(link.origin + link.pathname, 'https://gateway.example/pick');
    assert.equal(link.searchParams.get('app'), 'print-shop');
    assert.equal(link.searchParams.get('request'), request);
  });
});
