import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSessionIn, desktop, signInWith, withBrowserAndGateway } from '../helpers/browser.ts';

// Every page's axe, language and 320 px checks are in accessibility-*.test.ts (one test per page and language).
describe('using the gateway by keyboard, in another language, and with a screen reader', () => {
  const suite = withBrowserAndGateway();

  it('when the page is used by keyboard, then focus is visible and reaches the main actions', async () => {
    const page = await suite.newPage(desktop);
    await page.goto(`${suite.h.url}/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to main content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none');
    const reached: string[] = [];
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
    }
    assert.ok(reached.includes('Connect Google Photos'), reached.join(' | '));
  });

  it('when the language is switched, then it is remembered on the next page', async () => {
    const page = await suite.newPage(desktop);
    await page.goto(`${suite.h.url}/`);
    await page.getByRole('link', { name: 'ไทย' }).click();
    assert.equal(await page.getAttribute('html', 'lang'), 'th');
    await page.goto(`${suite.h.url}/no-such-page`);
    assert.equal(await page.getAttribute('html', 'lang'), 'th');
  });

  it('when a session is followed, then its progress is announced in a live region', async () => {
    const page = await suite.newPage(desktop);
    await signInWith(page, suite.h);
    const id = await createSessionIn(page);
    await page.goto(`${suite.h.url}/sessions/${id}`);
    assert.equal(await page.getAttribute('#live', 'aria-live'), 'polite');
    suite.h.emulator.pick(id, { count: 2 });
    await page.waitForFunction(() => /2 items picked/.test(document.getElementById('live')?.textContent ?? ''), undefined, { timeout: 15_000 });
  });
});
