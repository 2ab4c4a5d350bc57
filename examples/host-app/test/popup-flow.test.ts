import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { watchPage, withBrowserAndGateway } from '../../../test/helpers/browser.ts';
import { gatewayAppEntry } from '../src/config.ts';
import { listenShop, newSecret, type ShopServer } from './shop-server.ts';

const secret = newSecret();

describe('the example shop and the gateway on two origins, the popup flow in a real browser', () => {
  let listening: Awaited<ReturnType<typeof listenShop>>;
  let shop: ShopServer | undefined;
  before(async () => {
    listening = await listenShop();
  });
  const suite = withBrowserAndGateway({
    imports: true,
    env: () => ({ APPS: JSON.stringify([gatewayAppEntry({ gatewayUrl: '', shopUrl: listening.url, appId: 'print-shop', secret })]) }),
  });
  before(() => {
    shop = listening.serve({ gatewayUrl: suite.h.url, appId: 'print-shop', secret });
  });
  after(() => shop?.close());

  it('when a customer imports in the popup and one photo cannot be copied, then the shop\'s page says how the import goes, then shows the photos and which one failed and why, with two windows at most', async () => {
    const page = await suite.newPage();
    const { problems } = await watchPage(page);
    const context = page.context();
    let windows = 1;
    context.on('page', () => (windows = Math.max(windows, context.pages().length)));
    // The first copy Google refuses; the others come slowly enough to be seen under way.
    suite.h.emulator.injectFault({ path: '/lh/', status: 404, times: 1 });
    suite.h.emulator.injectFault({ path: '/lh/', delayMs: 1500, times: 2 });

    await page.goto(`${shop!.url}/`);
    const popupOpens = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Import in a popup' }).click();
    const popup = await popupOpens;
    await popup.locator('input[name="account"][value="alice@example.com"]').check();
    await popup.locator('button[name="decision"][value="allow"]').click();
    await popup.getByRole('button', { name: 'Continue' }).waitFor();
    await popup.waitForLoadState('load'); // the gateway's script hands the pick over at Continue
    await popup.getByRole('button', { name: 'Continue' }).click();
    await popup.waitForURL(`${suite.h.emulator.url}/picker/**/autoclose`);
    const boxes = popup.locator('input[type="checkbox"]');
    for (let index = 0; index < 3; index += 1) await boxes.nth(index).check();
    const closed = popup.waitForEvent('close');
    await popup.getByRole('button', { name: 'Done' }).click();
    await closed;

    await page.getByText(/^Importing 3 photos… [0-3] of 3 done\.$/).waitFor({ timeout: 20_000 });
    await page.getByRole('heading', { name: 'Not imported' }).waitFor({ timeout: 30_000 });
    assert.match(page.url(), new RegExp(`^${shop!.url}/picks/[\\w-]{22}$`));
    assert.equal(await page.locator('.failed li').count(), 1);
    assert.match((await page.locator('.failed li').textContent())!, /^.+: .+$/, 'the photo, and why');
    assert.equal(await page.locator('.photos li').count(), 2);
    assert.equal(windows, 2, 'the shop\'s page and the popup, and no other window');
    assert.deepEqual(problems, []);
  });
});
