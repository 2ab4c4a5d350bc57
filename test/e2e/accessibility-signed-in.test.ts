import { describe } from 'node:test';
import type { Page } from 'playwright-core';
import { createSessionIn, submitPickForm, withBrowserAndGateway } from '../helpers/browser.ts';
import { auditPages } from './page-audit.ts';

describe('the pages a signed-in user sees, in every language', () => {
  const suite = withBrowserAndGateway();

  /**
   * Opens the session page and lets its script follow the session until it reaches `status` (the gateway asks
   * Google again once the emulator's 1 s poll interval has passed), then loads it afresh as the server renders it.
   */
  async function sessionPageOnce(page: Page, id: string, status: 'complete' | 'expired') {
    await page.goto(`${suite.h.url}/sessions/${id}`);
    await page.locator(`[data-session][data-status="${status}"]`).waitFor({ timeout: 15_000 });
    await page.reload();
  }

  auditPages(suite, {
    'signed-in': (page) => suite.signIn(page),
    'progress': async (page) => {
      await suite.signIn(page);
      const id = await createSessionIn(page);
      await page.goto(`${suite.h.url}/sessions/${id}`);
    },
    'results': async (page) => {
      await suite.signIn(page);
      const id = await createSessionIn(page);
      suite.h.emulator.pick(id, { count: 4 });
      await sessionPageOnce(page, id, 'complete');
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.grid img')].every((img) => img.complete && img.naturalWidth > 0));
    },
    'expired': async (page) => {
      await suite.signIn(page);
      const id = await createSessionIn(page);
      suite.h.emulator.expireSession(id);
      await sessionPageOnce(page, id, 'expired');
    },
    'emulator-picker-done': async (page) => {
      await suite.signIn(page);
      await submitPickForm(page, suite.h);
      await page.goto((await page.locator('[data-picker-link]').getAttribute('href'))!.replace(/\/autoclose$/, ''));
      await page.locator('input[type="checkbox"]').first().check();
      await page.locator('button[type="submit"]').click();
      await page.waitForURL(/\/done/);
    },
    'emulator-picker': async (page) => {
      await suite.signIn(page);
      await submitPickForm(page, suite.h);
      await page.goto((await page.locator('[data-picker-link]').getAttribute('href'))!);
    },
  });
});
