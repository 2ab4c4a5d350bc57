/** Debian's Chromium driven by playwright-core: never a downloaded browser. */
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { startHarness, type Harness } from './harness.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Collects CSP violations and console errors, so a test can assert there were none. */
export async function watchPage(page: Page): Promise<{ problems: string[] }> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return { problems };
}

export const phone: BrowserContextOptions = { viewport: { width: 320, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const desktop: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

/** For a browser suite: a gateway and emulator (1 s poll interval) and one Chromium, started before and closed after. */
export function withBrowserAndGateway(): { readonly h: Harness; readonly browser: Browser } {
  const suite = {} as { h: Harness; browser: Browser };
  before(async () => {
    suite.h = await startHarness({ emulator: { knobs: { pollIntervalSeconds: 1 } } });
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.h?.close();
  });
  return suite;
}
