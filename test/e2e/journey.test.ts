/**
 * The person's journey where it used to be rough: Done acknowledged at once, bars that say how far a copy has got,
 * a question before a delete and a word after it, the same explanation with script as without, and numbers in the
 * page's own digits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { readableText, signInWith, watchPage, withBrowserAndGateway } from '../helpers/browser.ts';

const LARGE_VIDEO_BYTES = 6_000_000;

describe('the journey in a real browser', () => {
  const suite = withBrowserAndGateway({ imports: true, emulator: { largeVideoBytes: LARGE_VIDEO_BYTES } });

  /** Presses Pick photos on the home page; answers the picker's popup and the session id of the page it leads to. */
  async function startPicking(page: Page) {
    await page.goto(`${suite.h.url}/`);
    const popupPromise = page.context().waitForEvent('page');
    await page.getByRole('button', { name: /Pick photos|เลือกรูปภาพ|ছবি বেছে নিন/ }).click();
    const popup = await popupPromise;
    await popup.waitForURL(`${suite.h.emulator.url}/picker/**/autoclose`);
    await page.waitForURL(`${suite.h.url}/sessions/**`);
    return { popup, sessionId: new URL(page.url()).pathname.split('/')[2]! };
  }

  it('when the picker window closes, then the page says at once that it is checking, without waiting for its next poll', async () => {
    const { h } = suite;
    const page = await suite.newPage();
    await signInWith(page, h);
    // A poll interval no test waits for: only the close of the window can make the page speak before it.
    h.emulator.knobs.pollIntervalSeconds = 120;
    try {
      const { popup, sessionId } = await startPicking(page);
      await popup.locator('input[type="checkbox"]').first().check();
      const closed = popup.waitForEvent('close');
      await popup.getByRole('button', { name: 'Done' }).click();
      await closed;
      await page.locator('[data-picker-state]', { hasText: 'Google Photos has closed. Checking what you picked…' }).waitFor({ timeout: 10_000 });
      assert.match(await page.locator('#live').textContent() ?? '', /Checking what you picked/, 'said in the live region too');
      await page.context().request.post(`${h.url}/sessions/${sessionId}/delete`, {
        headers: { origin: h.url },
        form: { _csrf: (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!, confirm: '1' },
      });
    } finally {
      h.emulator.knobs.pollIntervalSeconds = 1;
    }
  });

  it('when a large video is copied, then its bar counts bytes of its size with a rate and time left, with and without script; deleting it afterwards asks first and says what happened', async () => {
    const { h } = suite;
    const page = await suite.newPage();
    const { problems } = await watchPage(page);
    await signInWith(page, h);
    const { popup } = await startPicking(page);
    // About eight seconds of copying: long enough to be watched, measured and read without script.
    h.emulator.knobs.mediaBytesPerSecond = 750_000;
    try {
      await popup.getByLabel(/large-video\.mp4/).check();
      const closed = popup.waitForEvent('close');
      await popup.getByRole('button', { name: 'Done' }).click();
      await closed;

      const bar = page.locator('.import-items [data-item-status="copying"] progress');
      await page.waitForFunction((size) => {
        const copying = document.querySelector<HTMLProgressElement>('.import-items [data-item-status="copying"] progress');
        return copying !== null && copying.max === size && copying.value > 0;
      }, LARGE_VIDEO_BYTES, { timeout: 20_000 });
      assert.equal(await bar.getAttribute('max'), String(LARGE_VIDEO_BYTES));
      assert.equal(await page.locator('progress:not([value])').count(), 0, 'no bar is indeterminate');

      // What a browser without script reads: the same bar and words, from the server.
      const html = await (await page.context().request.get(page.url(), { headers: { accept: 'text/html' } })).text();
      assert.match(html, new RegExp(`<progress id="import-item-0" max="${LARGE_VIDEO_BYTES}" value="\\d+"`));
      assert.match(html, /Copying… [\d.]+ (kB|MB|bytes?) of 6 MB/);
      assert.match(html, /<noscript><meta http-equiv="refresh"/);

      await page.getByText(/^Copying… [\d.]+ MB of 6 MB at [\d.]+ (kB|MB)\/s, about \d+ seconds? left$/).waitFor({ timeout: 10_000 });

      await page.getByRole('heading', { name: '1 item imported' }).waitFor({ timeout: 30_000 });
    } finally {
      h.emulator.knobs.mediaBytesPerSecond = 0;
    }

    await page.getByRole('button', { name: 'Delete this session' }).click();
    await page.getByRole('heading', { name: 'Delete this session?' }).waitFor();
    assert.match(await page.locator('main').innerText(), /the imported copies stay/);
    await page.getByRole('button', { name: 'Delete the session' }).click();
    await page.waitForURL(`${h.url}/?notice=importKept`);
    assert.match(await page.getByRole('status').first().innerText(), /The session was deleted\. The copies already imported stay/);
    assert.deepEqual(problems, []);
  });

  it('when Pick photos fails for an account without Google Photos, then with script the page says what to do, as it does without', async () => {
    const { h } = suite;
    const page = await suite.newPage();
    await signInWith(page, h, 'carol@example.com');
    await page.goto(`${h.url}/`);
    const popupPromise = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Pick photos' }).click();
    await popupPromise; // opened at the click, closed by the page once the answer came
    const status = page.locator('[data-pick-status]');
    await status.getByText('No Google Photos account').waitFor();
    assert.match(await status.innerText(), /Open Google Photos once to set it up, or sign in with another account\./);
    assert.equal(await status.getByRole('link', { name: 'Connect Google Photos again' }).getAttribute('href'), '/auth/google');
  });

  for (const [locale, tag, foreign] of [['bn', 'bn-BD', /[0-9]/], ['th', 'th-TH', /[\u0E50-\u0E59]/]] as const) {
    it(`when the pages are in ${locale}, then every number on them is in the page's own digits, in the picker's counter too`, async () => {
      const { h } = suite;
      const page = await suite.newPage({ locale: tag });
      await signInWith(page, h);
      const { popup } = await startPicking(page);
      const boxes = popup.locator('input[type="checkbox"]');
      for (const index of [0, 1, 2]) await boxes.nth(index).check();
      const counter = (await popup.locator('#count').innerText()).trim();
      assert.doesNotMatch(counter, foreign, `the picker's counter: ${counter}`);
      assert.match(counter, new RegExp(new Intl.NumberFormat(locale).format(3)));
      const closed = popup.waitForEvent('close');
      await popup.locator('button[type="submit"]').click();
      await closed;

      await page.locator('[data-import="done"]').waitFor({ timeout: 30_000 });
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.grid img')].every((img) => img.complete && img.naturalWidth > 0));
      const result = await readableText(page);
      assert.match(result, new RegExp(new Intl.NumberFormat(locale, { useGrouping: 'min2' }).format(1600)), 'the sizes are there');
      assert.doesNotMatch(result, foreign, `the result page: ${result}`);
      await page.goto(`${h.url}/`);
      const home = await readableText(page);
      assert.doesNotMatch(home, foreign, `the home page: ${home}`);
    });
  }
});
