import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Page } from 'playwright-core';
import { withBrowserAndGateway } from '../helpers/browser.ts';
import { auditPages } from './page-audit.ts';
import { hostPage } from './host-page.ts';

describe('the pages of a host app\'s pick, in every language', () => {
  const host = hostPage(() => suite.h.url);
  const suite = withBrowserAndGateway({ imports: true, env: () => ({ APPS: host.apps() }) });

  /** Signs in and follows the app's link to the consent page (naming the app's longest account label: it must wrap at 320 px). */
  async function consent(page: Page, mode = '') {
    await suite.signIn(page);
    await page.goto(`${suite.h.url}/pick?app=shop&request=${await host.sign({ account: `${'ana.maria.'.repeat(8)}@printshop.example`.slice(0, 100) })}${mode}`);
    await page.locator('[data-pick-form]').waitFor();
  }

  auditPages(suite, {
    'pick-consent': (page) => consent(page),
    'pick-session': async (page) => {
      await consent(page);
      const sessionId = await page.evaluate(async () => {
        const form = document.querySelector<HTMLFormElement>('[data-pick-form]')!;
        const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
        const response = await fetch(form.dataset.pickEndpoint!, { method: 'POST', headers: { accept: 'application/json', 'x-csrf-token': token } });
        return ((await response.json()) as { id: string }).id;
      });
      await page.goto(`${suite.h.url}/sessions/${sessionId}`);
      await page.locator('[data-pick][data-status="pending"]').waitFor();
    },
    'pick-elsewhere': async (page) => {
      // The consent page's link opened in another browser than the one that presented the request.
      const start = await fetch(`${suite.h.url}/pick?app=shop&request=${await host.sign()}`, { redirect: 'manual' });
      const answer = await page.goto(`${suite.h.url}${start.headers.get('location')}`);
      assert.equal(answer?.status(), 403);
    },
    'pick-end': async (page) => {
      // The end of a popup's pick, as a browser without script shows it (with script it posts and closes).
      await page.route('**/static/app.js', (route) => route.abort());
      await consent(page, '&mode=popup');
      await page.locator('form[action$="/cancel"] button').click();
      await page.locator('[data-pick-end]').waitFor();
    },
  });
});
