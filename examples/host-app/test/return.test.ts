import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Client } from '../../../test/helpers/harness.ts';
import { startStandInServer, type StandInServer } from '../../../test/helpers/stand-in-server.ts';
import { listenShop, newSecret, type ShopServer } from './shop-server.ts';

/** The state the shop put in the request it sent this browser to the gateway with. */
async function stateIssuedTo(browser: Client): Promise<string> {
  const start = await browser.get('/import');
  assert.equal(start.status, 303);
  const request = new URL(start.headers.get('location')!).searchParams.get('request')!;
  return decodeJwt(request).state as string;
}

describe('the shop\'s return route', () => {
  let shop: ShopServer;
  let gateway: StandInServer;
  let apiCalls: number;

  before(async () => {
    // A gateway that only counts calls: a return with a foreign state is refused before the shop even asks the API.
    apiCalls = 0;
    gateway = await startStandInServer((_req, res) => {
      apiCalls++;
      res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{}');
    });
    shop = (await listenShop()).serve({ gatewayUrl: gateway.base, appId: 'print-shop', secret: newSecret() });
  });
  after(async () => {
    await shop.close();
    gateway.close();
  });

  it('when a return carries a state the shop issued to another customer, then it is refused and nothing is looked up', async () => {
    const victim = new Client(shop.url);
    const attacker = new Client(shop.url);
    const attackersState = await stateIssuedTo(attacker);
    const answer = await victim.get(`/return?pick=AAAAAAAAAAAAAAAAAAAAAA&status=done&state=${attackersState}`);
    assert.equal(answer.status, 400);
    assert.match(await answer.text(), /was not started here/);
    assert.equal(apiCalls, 0);
  });

  it('when a state comes back in another customer\'s session, then it is used up: the customer it was issued to cannot bring it back afterwards', async () => {
    const forwardedTo = new Client(shop.url);
    const issuedTo = new Client(shop.url);
    const state = await stateIssuedTo(issuedTo);
    assert.equal((await forwardedTo.get(`/return?pick=AAAAAAAAAAAAAAAAAAAAAA&status=done&state=${state}`)).status, 400);
    assert.equal((await issuedTo.get(`/return?pick=AAAAAAAAAAAAAAAAAAAAAA&status=done&state=${state}`)).status, 400);
    assert.equal(apiCalls, 0);
  });

  it('when a return carries no state or one the shop never issued, then it is refused', async () => {
    const browser = new Client(shop.url);
    await stateIssuedTo(browser);
    for (const query of ['pick=p&status=done', 'pick=p&status=done&state=made-up', 'pick=p&status=done&state=']) {
      assert.equal((await browser.get(`/return?${query}`)).status, 400, query);
    }
    assert.equal(apiCalls, 0);
  });
});
