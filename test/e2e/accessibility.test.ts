import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { LOCALES, type Locale } from '../../src/i18n/core.ts';
import { desktop, phone, withBrowserAndGateway } from '../helpers/browser.ts';
import type { Harness } from '../helpers/harness.ts';

const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;
const SHOTS = new URL('../../test-results/screenshots/', import.meta.url);
mkdirSync(SHOTS, { recursive: true });

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }

async function axe(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const result = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe.run;
    return run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A real sign-in in this context, through the emulator's consent page. */
async function signInWith(page: Page, h: Harness, account = 'alice@example.com') {
  await page.goto(`${h.url}/auth/google`);
  await page.locator(`input[name="account"][value="${account}"]`).check();
  await page.locator('button[name="decision"][value="allow"]').click();
  await page.waitForURL(`${h.url}/**`);
}

describe('every page, in every language, for everyone', () => {
  const suite = withBrowserAndGateway();

  /** name -> how to arrive at the page in a fresh signed-in (or not) context. */
  const pages: Record<string, (page: Page, context: BrowserContext) => Promise<void>> = {
    'home': async (page) => void (await page.goto(`${suite.h.url}/`)),
    'signed-in': async (page) => {
      await signInWith(page, suite.h);
      await page.goto(`${suite.h.url}/`);
    },
    'progress': async (page) => {
      await signInWith(page, suite.h);
      const id = await createSessionIn(page);
      await page.goto(`${suite.h.url}/sessions/${id}`);
    },
    'results': async (page) => {
      await signInWith(page, suite.h);
      const id = await createSessionIn(page);
      suite.h.emulator.pick(id, { count: 4 });
      await page.waitForTimeout(1_100); // one poll interval, so the gateway asks Google again
      await page.goto(`${suite.h.url}/sessions/${id}`);
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.grid img')].every((img) => img.complete && img.naturalWidth > 0));
    },
    'expired': async (page) => {
      await signInWith(page, suite.h);
      const id = await createSessionIn(page);
      suite.h.emulator.expireSession(id);
      await page.waitForTimeout(1_100);
      await page.goto(`${suite.h.url}/sessions/${id}`);
    },
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
    'error-no-photos-account': async (page) => {
      await signInWith(page, suite.h, 'carol@example.com');
      await submitPickForm(page);
    },
    'error-too-many-sessions': async (page) => {
      await signInWith(page, suite.h);
      suite.h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 429, retryAfterSeconds: 30, times: 2 });
      await submitPickForm(page);
    },
    'error-google-unavailable': async (page) => {
      await signInWith(page, suite.h);
      suite.h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 503 });
      await submitPickForm(page);
    },
    'error-signed-out-by-google': async (page) => {
      await signInWith(page, suite.h, 'bob@example.com');
      suite.h.emulator.revokeGrants('bob@example.com');
      suite.h.emulator.expireAccessTokens('bob@example.com');
      await submitPickForm(page);
    },
    'emulator-consent': async (page) => void (await page.goto(`${suite.h.url}/auth/google`)),
    'emulator-picker': async (page) => {
      await signInWith(page, suite.h);
      await submitPickForm(page);
      await page.waitForURL(`${suite.h.emulator.url}/picker/**`);
    },
  };

  /** Posts the Pick photos form without the script's popup (as a browser without JavaScript would). */
  async function submitPickForm(page: Page) {
    await page.goto(`${suite.h.url}/`);
    await Promise.all([page.waitForNavigation(), page.evaluate(() => {
      const form = document.querySelector<HTMLFormElement>('form[data-pick-form]')!;
      HTMLFormElement.prototype.submit.call(form);
    })]);
  }

  for (const locale of LOCALES) {
    it(`when each page is shown in ${locale}, then axe finds nothing serious, the language is set, and screenshots are taken`, async () => {
      const failures: string[] = [];
      for (const [name, arrive] of Object.entries(pages)) {
        // bypassCSP only so axe-core can be injected; the pages' own scripts run under their CSP in the other tests.
        const context = await suite.browser.newContext({ ...desktop, locale: localeTag(locale), bypassCSP: true });
        const page = await context.newPage();
        await arrive(page, context);
        await page.waitForLoadState('networkidle');
        assert.equal(await page.getAttribute('html', 'lang'), locale, `${name}: <html lang>`);
        const text = await page.locator('body').innerText();
        assert.doesNotMatch(text, /\b(home|session|error|item|consent|picker)\.[a-zA-Z]+(\.[a-zA-Z]+)*\b/, `${name}: untranslated key`);
        for (const violation of await axe(page)) {
          failures.push(`${locale} ${name}: ${violation.id} (${violation.impact}) ${violation.help} at ${violation.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
        }
        await page.screenshot({ path: new URL(`${locale}-${name}-desktop.png`, SHOTS).pathname, fullPage: true });
        await page.setViewportSize(phone.viewport!);
        await page.screenshot({ path: new URL(`${locale}-${name}-phone.png`, SHOTS).pathname, fullPage: true });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 1) failures.push(`${locale} ${name}: ${overflow}px of horizontal scrolling at phone width`);
        await context.close();
      }
      assert.deepEqual(failures, []);
    });
  }

  it('when the page is used by keyboard, then focus is visible and reaches the main actions', async () => {
    const context = await suite.browser.newContext(desktop);
    const page = await context.newPage();
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
    await context.close();
  });

  it('when the language is switched, then it is remembered on the next page', async () => {
    const context = await suite.browser.newContext(desktop);
    const page = await context.newPage();
    await page.goto(`${suite.h.url}/`);
    await page.getByRole('link', { name: 'ไทย' }).click();
    assert.equal(await page.getAttribute('html', 'lang'), 'th');
    await page.goto(`${suite.h.url}/no-such-page`);
    assert.equal(await page.getAttribute('html', 'lang'), 'th');
    await context.close();
  });

  it('when a session is followed, then its progress is announced in a live region', async () => {
    const context = await suite.browser.newContext(desktop);
    const page = await context.newPage();
    await signInWith(page, suite.h);
    const id = await createSessionIn(page);
    await page.goto(`${suite.h.url}/sessions/${id}`);
    assert.equal(await page.getAttribute('#live', 'aria-live'), 'polite');
    suite.h.emulator.pick(id, { count: 2 });
    await page.waitForFunction(() => /2 items picked/.test(document.getElementById('live')?.textContent ?? ''), undefined, { timeout: 15_000 });
    await context.close();
  });

});

/** Creates a Picker session from the page, as its script would, through the JSON API. */
function createSessionIn(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
    const response = await fetch('/sessions', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': token },
      body: '{}',
    });
    return ((await response.json()) as { id: string }).id;
  });
}

function localeTag(locale: Locale): string {
  return { en: 'en-US', th: 'th-TH', bn: 'bn-BD' }[locale];
}
