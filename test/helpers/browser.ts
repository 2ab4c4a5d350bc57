/** Debian's Chromium driven by playwright-core: never a downloaded browser. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Cookie, type Page } from 'playwright-core';
import type { EmulatorOptions } from '@photos-picker-gateway/google-emulator';
import type { Env } from '../../src/config.ts';
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

export interface BrowserSuite {
  readonly h: Harness;
  readonly browser: Browser;
  /** The folder imports go into, with `imports: true`. */
  readonly importRoot: string;
  /** A page in a fresh context (its own cookies) of the suite's browser, closed after the current test. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /**
   * Signs the page in as `account` and ends on the gateway's home page, for a test about what a signed-in user sees
   * rather than about signing in. The suite's first sign-in as the account goes through the emulator (signInWith);
   * later ones hand the page's fresh context the cookies it left (the gateway's and Google's), as a browser that
   * signed in earlier keeps them, unless the home page then shows that sign-in has ended: then it signs in afresh.
   */
  signIn(page: Page, account?: string): Promise<void>;
}

export interface BrowserSuiteOptions {
  /** Imports on, into a fresh temporary folder (`importRoot`) removed after the last test. */
  imports?: boolean;
  /** More of the gateway's environment; a function is called in before(), after the before() hooks registered earlier. */
  env?: Env | (() => Env);
  /** More of the emulator's options (its knobs are merged over a 1 s poll interval). */
  emulator?: EmulatorOptions;
}

/**
 * For a browser suite (one per file): a gateway and emulator (1 s poll interval) and one Chromium, started before
 * the first test and closed after the last.
 */
export function withBrowserAndGateway(options: BrowserSuiteOptions = {}): BrowserSuite {
  let h: Harness | undefined;
  let browser: Browser | undefined;
  let importRoot: string | undefined;
  const open: BrowserContext[] = [];
  const signedIn = new Map<string, Cookie[]>();
  const suite: BrowserSuite = {
    get h() {
      if (!h) throw new Error('the gateway starts in before()');
      return h;
    },
    get browser() {
      if (!browser) throw new Error('the browser starts in before()');
      return browser;
    },
    get importRoot() {
      if (!importRoot) throw new Error('imports are on only with withBrowserAndGateway({ imports: true }), from before()');
      return importRoot;
    },
    async newPage(options) {
      const context = await suite.browser.newContext(options);
      open.push(context);
      return context.newPage();
    },
    async signIn(page, account = 'alice@example.com') {
      const cookies = signedIn.get(account);
      if (cookies) {
        await page.context().addCookies(cookies);
        await page.goto(`${suite.h.url}/`);
        if (await showsSignedIn(page, account)) return;
        await page.context().clearCookies();
      }
      await signInWith(page, suite.h, account);
      if (!(await showsSignedIn(page, account))) throw new Error(`signing in as ${account} did not end on the signed-in home page`);
      signedIn.set(account, await page.context().cookies());
    },
  };
  before(async () => {
    if (options.imports) importRoot = await mkdtemp(path.join(tmpdir(), 'gateway-e2e-imports-'));
    const more = typeof options.env === 'function' ? options.env() : options.env;
    const env: Env = { ...(importRoot ? { IMPORT_DESTINATION: `file:${importRoot}` } : {}), ...more };
    h = await startHarness({ env, emulator: { ...options.emulator, knobs: { pollIntervalSeconds: 1, ...options.emulator?.knobs } } });
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((context) => context.close()));
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    if (importRoot) await rm(importRoot, { recursive: true, force: true });
  });
  return suite;
}

/**
 * A real sign-in through the emulator; ends back on the gateway. The consent page is answered when Google shows it: a
 * browser already signed in to Google whose account granted everything before is sent straight back.
 */
export async function signInWith(page: Page, h: Harness, account = 'alice@example.com'): Promise<void> {
  await page.goto(`${h.url}/auth/google`);
  if (page.url().startsWith(`${h.emulator.url}/`)) {
    await page.locator(`input[name="account"][value="${account}"]`).check();
    await page.locator('button[name="decision"][value="allow"]').click();
  }
  await page.waitForURL(`${h.url}/**`);
}

/** Whether the page is the gateway's home page as `account` sees it once signed in (Google Photos connected). */
function showsSignedIn(page: Page, account: string): Promise<boolean> {
  return page.evaluate((email) => document.querySelector('form[data-pick-form]') !== null && (document.querySelector('.account')?.textContent ?? '').includes(email), account);
}

/** Creates a Picker session from the page, as its script would, through the JSON API; returns its id. */
export function createSessionIn(page: Page): Promise<string> {
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

/**
 * Posts the home page's Pick photos form without the script's popup (as a browser without JavaScript would); opens the
 * home page first unless the page shows it already (as a sign-in leaves it).
 */
export async function submitPickForm(page: Page, h: Harness): Promise<void> {
  const home = `${h.url}/`;
  if (page.url() !== home) await page.goto(home);
  await Promise.all([
    page.waitForURL((url) => url.href !== home),
    page.evaluate(() => HTMLFormElement.prototype.submit.call(document.querySelector<HTMLFormElement>('form[data-pick-form]')!)),
  ]);
}

/** Text a person reads in the main part of the page, without file names, emails and the like (their digits are theirs). */
export function readableText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const main = document.querySelector('main')!.cloneNode(true) as HTMLElement;
    for (const own of main.querySelectorAll('.name, code, .account, img')) own.remove();
    return main.innerText;
  });
}
