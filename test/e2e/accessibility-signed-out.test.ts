import { describe } from 'node:test';
import { withBrowserAndGateway } from '../helpers/browser.ts';
import { auditPages } from './page-audit.ts';

describe('the pages a signed-out visitor sees, in every language', () => {
  const suite = withBrowserAndGateway();
  auditPages(suite, {
    'home': async (page) => void (await page.goto(`${suite.h.url}/`)),
    'home-signed-out-notice': async (page) => void (await page.goto(`${suite.h.url}/?notice=signedOut`)),
    'error-not-found': async (page) => void (await page.goto(`${suite.h.url}/no-such-page`)),
    'error-invalid-state': async (page) => void (await page.goto(`${suite.h.url}/auth/google/callback?state=forged&code=x`)),
    'error-access-denied': async (page) => {
      await page.goto(`${suite.h.url}/auth/google`);
      await page.locator('button[name="decision"][value="deny"]').click();
      await page.waitForURL(`${suite.h.url}/**`);
    },
    'error-scope-not-granted': async (page) => {
      await page.goto(`${suite.h.url}/auth/google`);
      await page.locator('input[name="account"][value="alice@example.com"]').check();
      await page.locator('input[type="checkbox"][value*="photospicker"]').uncheck();
      await page.locator('button[name="decision"][value="allow"]').click();
      await page.waitForURL(`${suite.h.url}/**`);
    },
    'emulator-consent': async (page) => void (await page.goto(`${suite.h.url}/auth/google`)),
  });
});
