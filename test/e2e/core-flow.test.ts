import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchPage, withBrowserAndGateway } from '../helpers/browser.ts';

describe('in a real browser', () => {
  const suite = withBrowserAndGateway();

  it('when a user without JavaScript signs in and picks, then the picker opens in its own tab under the CSP and the page left behind shows the items by itself', async () => {
    const page = await suite.newPage({ javaScriptEnabled: false });
    const { problems } = await watchPage(page);
    await page.goto(`${suite.h.url}/`);
    await page.getByRole('link', { name: 'Connect Google Photos' }).click();
    await page.waitForURL(`${suite.h.emulator.url}/**`);
    await page.getByLabel(/alice@example\.com/).check();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${suite.h.url}/`);
    assert.match(await page.textContent('main') ?? '', /alice@example\.com/);

    await page.getByRole('button', { name: 'Pick photos' }).click();
    await page.waitForURL(`${suite.h.url}/sessions/**`);
    const sessionId = new URL(page.url()).pathname.split('/')[2]!;
    const tabPromise = page.context().waitForEvent('page');
    await page.getByRole('link', { name: 'Open Google Photos' }).click();
    const picker = await tabPromise;
    const pickerProblems = (await watchPage(picker)).problems;
    await picker.waitForURL(`${suite.h.emulator.url}/picker/${sessionId}/autoclose`);
    const boxes = picker.locator('input[type="checkbox"]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await picker.getByRole('button', { name: 'Done' }).click();
    await picker.getByRole('heading', { name: 'Done' }).waitFor();
    const session = suite.h.emulator.sessionsOf('alice@example.com').find((s) => s.id === sessionId);
    assert.equal(session?.mediaItemsSet, true);
    await picker.close();

    await page.getByRole('heading', { name: '2 items picked' }).waitFor({ timeout: 15_000 });
    assert.deepEqual([...problems, ...pickerProblems].filter((p) => /Content Security Policy|Refused/.test(p)), []);
  });

  it('when a user with JavaScript picks three items in the popup, then the progress page turns into the results, which download and delete', async () => {
    const page = await suite.newPage({ acceptDownloads: true });
    const { problems } = await watchPage(page);
    await page.goto(`${suite.h.url}/`);
    await page.getByRole('link', { name: 'Connect Google Photos' }).click();
    await page.getByLabel(/alice@example\.com/).check();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${suite.h.url}/`);

    const popupPromise = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Pick photos' }).click();
    const popup = await popupPromise;
    await popup.waitForURL(`${suite.h.emulator.url}/picker/**/autoclose`);
    await page.waitForURL(`${suite.h.url}/sessions/**`);
    assert.match(await page.textContent('main') ?? '', /Pick your photos in Google Photos/);

    const boxes = popup.locator('input[type="checkbox"]');
    for (const index of [0, 1, 2]) await boxes.nth(index).check();
    const closed = popup.waitForEvent('close');
    await popup.getByRole('button', { name: 'Done' }).click();
    await closed;

    await page.getByRole('heading', { name: '3 items picked' }).waitFor({ timeout: 15_000 });
    const images = page.locator('.grid img');
    assert.equal(await images.count(), 3);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.grid img')].every((img) => img.complete && img.naturalWidth > 0));
    assert.match(await page.locator('#live').textContent() ?? '', /3 items picked/);

    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('link', { name: /^Download/ }).first().click();
    const download = await downloadPromise;
    assert.ok(download.suggestedFilename().length > 0);
    assert.equal(await download.failure(), null);

    const sessionId = new URL(page.url()).pathname.split('/')[2]!;
    await page.getByRole('button', { name: 'Delete this session' }).click();
    // Nothing imported (imports are off here): no question, and the next page says it is done.
    await page.waitForURL(`${suite.h.url}/?notice=deleted`);
    await page.getByText('The picking session was deleted.').waitFor();
    assert.equal(suite.h.emulator.sessionsOf('alice@example.com').find((s) => s.id === sessionId)?.deleted, true);
    assert.deepEqual(problems, []);
  });
});
