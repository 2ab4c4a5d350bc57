/**
 * The check every page gets, once per language: <html lang> is the language, no message key shows untranslated,
 * axe finds nothing serious at desktop width nor at 320 px, and nothing scrolls sideways at 320 px. With
 * SCREENSHOTS=1 it also writes the page at both widths to test-results/screenshots/ for review.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { LOCALES, type Locale } from '../../src/i18n/core.ts';
import { desktop, phone, type BrowserSuite } from '../helpers/browser.ts';

/** How to arrive at one page, in a fresh context of the page's language; ends once the page has loaded. */
export type Arrive = (page: Page) => Promise<void>;

// The minified build of the same release: the same rules, half the script for every page to parse.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = process.env.SCREENSHOTS === '1' ? new URL('../../test-results/screenshots/', import.meta.url) : undefined;
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }

async function seriousAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const { axe } = globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } };
    // Every rule runs; asking for violations alone spares axe the selectors of what passed (its documented way to run
    // faster), and only what is read here comes back from the page.
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map(({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.map(({ target }) => ({ target })) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

function localeTag(locale: Locale): string {
  return { en: 'en-US', th: 'th-TH', bn: 'bn-BD' }[locale];
}

/** One describe per page, one test per language in it. */
export function auditPages(suite: BrowserSuite, pages: Record<string, Arrive>): void {
  for (const [name, arrive] of Object.entries(pages)) {
    describe(`the ${name} page`, () => {
      for (const locale of LOCALES) {
        it(`when it is shown in ${locale}, then its language is set, every text is translated, axe finds nothing serious at desktop or 320 px, and nothing scrolls sideways at 320 px`, async () => {
          // bypassCSP only so axe-core can be injected; the pages' own scripts run under their CSP in the other tests.
          const page = await suite.newPage({ ...desktop, locale: localeTag(locale), bypassCSP: true });
          await arrive(page);
          assert.equal(await page.getAttribute('html', 'lang'), locale, '<html lang>');
          assert.doesNotMatch(await page.locator('body').innerText(), /\b(home|session|import|error|item|consent|picker|pick)\.[a-zA-Z]+(\.[a-zA-Z]+)*\b/, 'untranslated key');
          assert.deepEqual(await seriousAxeViolations(page), [], 'axe at desktop width');
          await screenshot(page, `${locale}-${name}-desktop`);
          await page.setViewportSize(phone.viewport!);
          assert.deepEqual(await seriousAxeViolations(page), [], 'axe at 320 px');
          await screenshot(page, `${locale}-${name}-phone`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(overflow <= 1, `${overflow}px of horizontal scrolling at phone width`);
        });
      }
    });
  }
}
