import { afterEach, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { createSessionIn, withBrowserAndGateway } from '../helpers/browser.ts';
import type { Client } from '../helpers/harness.ts';
import { auditPages } from './page-audit.ts';

describe('the pages of an import, in every language', () => {
  const suite = withBrowserAndGateway({
    imports: true,
    // Copies held by a fault must outlast an audit, and must not take every copy slot from the next test's import.
    env: { UPSTREAM_TIMEOUT_MS: '120000', IMPORT_CONCURRENCY: '16', IMPORT_BACKOFF_MS: '50' },
  });
  const held: string[] = [];
  let alice: Client | undefined;
  afterEach(async () => {
    suite.h.emulator.clearFaults();
    // Deleting a session stops its import's copies, held or not.
    alice ??= await suite.h.signedInClient();
    await Promise.all(held.splice(0).map((id) => alice!.post(`/sessions/${id}/delete`, { form: { confirm: '1' } })));
  });

  /** Signs in, picks `count` items in a new session and opens its page; answers the session id. */
  async function picked(page: Page, count: number): Promise<string> {
    await suite.signIn(page);
    const id = await createSessionIn(page);
    held.push(id);
    suite.h.emulator.pick(id, { count });
    await page.goto(`${suite.h.url}/sessions/${id}`);
    return id;
  }

  /** Waits until the page's script has followed the import to its end, then loads it afresh as the server renders it. */
  async function ended(page: Page, phase: 'done' | 'partial') {
    await page.locator(`[data-import="${phase}"]`).waitFor({ timeout: 20_000 });
    await page.reload();
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.grid img')].every((img) => img.complete && img.naturalWidth > 0));
  }

  auditPages(suite, {
    'import-progress': async (page) => {
      // Two of the four copies wait on Google, the other two finish: bars done, under way and overall.
      suite.h.emulator.injectFault({ path: '/lh/', hang: true, times: 2 });
      await picked(page, 4);
      await page.locator('[data-import="running"] [data-item-status="done"]').nth(1).waitFor({ timeout: 20_000 });
    },
    'imported': async (page) => {
      await picked(page, 4);
      await ended(page, 'done');
    },
    'home-with-sessions': async (page) => {
      await picked(page, 3);
      await ended(page, 'done');
      await page.goto(`${suite.h.url}/`);
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.session-list img')].every((img) => img.complete && img.naturalWidth > 0));
    },
    'confirm-delete': async (page) => {
      await picked(page, 2);
      await ended(page, 'done');
      await page.getByRole('button', { name: /./ }).and(page.locator('.button.danger')).click();
      await page.locator('#confirm-title').waitFor();
    },
    'import-partial': async (page) => {
      suite.h.emulator.injectFault({ path: '/lh/', status: 404, times: 1 });
      await picked(page, 3);
      await ended(page, 'partial');
    },
  });
});
