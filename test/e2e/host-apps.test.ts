import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { watchPage, withBrowserAndGateway } from '../helpers/browser.ts';
import { eventually } from '../helpers/harness.ts';
import { HOST_APP, hostPage } from './host-page.ts';

interface Outcome { pick: string | null; status: string; state: string | null }

describe('a host app on another origin, in a real browser', () => {
  const host = hostPage(() => suite.h.url);
  const suite = withBrowserAndGateway({ imports: true, env: () => ({ APPS: host.apps() }) });

  /** Signs in on the emulator's consent page, wherever the flow has brought `page`. */
  async function signInHere(page: Page) {
    await page.locator('input[name="account"][value="alice@example.com"]').check();
    await page.locator('button[name="decision"][value="allow"]').click();
  }

  /** Picks `count` items in Google's picker, open in `picker` (with /autoclose), and presses Done; the picker closes itself. */
  async function pickAndDone(picker: Page, count: number): Promise<string> {
    await picker.waitForURL(`${suite.h.emulator.url}/picker/**/autoclose`);
    const sessionId = new URL(picker.url()).pathname.split('/')[2]!;
    const boxes = picker.locator('input[type="checkbox"]');
    for (let index = 0; index < count; index += 1) await boxes.nth(index).check();
    const closed = picker.waitForEvent('close');
    await picker.getByRole('button', { name: 'Done' }).click();
    await closed;
    return sessionId;
  }

  /** Presses Continue on the consent page; picks `count` items in the picker window it opens beside it and presses Done. */
  async function continueAndPick(page: Page, count: number): Promise<string> {
    await page.waitForLoadState('load'); // the page's script opens the picker: a click before it runs posts the form
    const pickerOpens = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Continue' }).click();
    return pickAndDone(await pickerOpens, count);
  }

  /** Counts the windows open at once in the app's browser, from now on: the most there ever were. */
  function countWindows(app: Page): () => number {
    const context = app.context();
    let most = context.pages().length;
    context.on('page', () => (most = Math.max(most, context.pages().length)));
    return () => most;
  }

  /** Opens the app's page (`path`: which embed.js it loads) and presses its popup button; answers the popup, on the gateway's consent page after sign-in. */
  async function openPopup(app: Page, path = '/'): Promise<Page> {
    await app.goto(`${host.origin}${path}`);
    const popupOpens = app.waitForEvent('popup');
    await app.getByRole('button', { name: 'Import in a popup' }).click();
    const popup = await popupOpens;
    await popup.waitForURL(`${suite.h.emulator.url}/**`);
    await signInHere(popup);
    await popup.getByRole('heading', { name: `${HOST_APP.name} asks for photos from your Google Photos` }).waitFor();
    await popup.waitForLoadState('load'); // its script hands the pick over at Continue
    return popup;
  }

  async function outcomeOn(app: Page): Promise<Outcome> {
    await app.locator('#result:not(:empty)').waitFor({ timeout: 30_000 });
    return JSON.parse((await app.locator('#result').textContent())!) as Outcome;
  }

  const api = async (pick: string) => (await (await fetch(`${suite.h.url}/api/v1/picks/${pick}`, { headers: { authorization: `Bearer ${host.secret}` } })).json()) as { status: string; items: unknown[] };

  it('when the user follows the full-page link, signs in, consents and picks, then the import runs and the browser lands back on the app with pick, status done and state', async () => {
    const app = await suite.newPage();
    const { problems } = await watchPage(app);
    await app.goto(`${host.origin}/`);
    await app.getByRole('link', { name: 'Import from Google Photos' }).click();
    await app.waitForURL(`${suite.h.emulator.url}/**`);
    await signInHere(app);
    await app.getByRole('heading', { name: `${HOST_APP.name} asks for photos from your Google Photos` }).waitFor();
    await continueAndPick(app, 3);
    await app.waitForURL(`${host.origin}/back?**`, { timeout: 30_000 });
    const back = new URL(app.url()).searchParams;
    assert.equal(back.get('status'), 'done');
    assert.equal(back.get('state'), HOST_APP.state);
    const pick = back.get('pick')!;
    const answer = await api(pick);
    assert.equal(answer.status, 'done');
    assert.equal(answer.items.length, 3);
    assert.deepEqual(problems, []);
  });

  it('when the user picks in the popup, then the popup itself becomes Google\'s picker (two windows, never three), the app\'s page follows the import, and pick() resolves with the pick, status done and the state', async () => {
    const app = await suite.newPage();
    const { problems } = await watchPage(app);
    const windows = countWindows(app);
    const popup = await openPopup(app);
    const popupProblems = await watchPage(popup);
    await popup.getByRole('button', { name: 'Continue' }).click();
    await pickAndDone(popup, 2);
    const outcome = await outcomeOn(app);
    assert.equal(windows(), 2, 'the app\'s page and the popup, and no other window');
    assert.equal(outcome.status, 'done');
    assert.equal(outcome.state, HOST_APP.state);
    assert.match(outcome.pick ?? '', /^[\w-]{22}$/);
    assert.equal(app.url(), `${host.origin}/`, 'the app\'s page never left');
    const steps = (await app.locator('#progress').textContent())!.trim().split('\n').map((line) => JSON.parse(line) as { pick: string; status: string });
    assert.deepEqual(steps[0], { pick: outcome.pick, status: 'picking', items: null }, 'onProgress told the app as soon as the person was at Google');
    const answer = await api(outcome.pick!);
    assert.equal(answer.status, 'done');
    assert.equal(answer.items.length, 2);
    assert.deepEqual([...problems, ...popupProblems.problems], []);
  });

  it('when the user closes Google\'s window before Done, then pick() resolves cancelled, the gateway ends the pick cancelled and the app\'s webhook says so', async () => {
    const app = await suite.newPage();
    await app.clock.install();
    const popup = await openPopup(app);
    await popup.getByRole('button', { name: 'Continue' }).click();
    await popup.waitForURL(`${suite.h.emulator.url}/picker/**/autoclose`);
    // A while later: a window that reads closed at once was put out of the app's reach, not closed (see the next test).
    await app.clock.fastForward(10_000);
    await popup.close();
    const outcome = await outcomeOn(app);
    assert.deepEqual({ ...outcome, pick: null }, { pick: null, status: 'cancelled', state: HOST_APP.state });
    assert.equal((await api(outcome.pick!)).status, 'cancelled');
    const hook = await eventually(() => host.webhooks.find((event) => event.data.id === outcome.pick), 'the webhook is delivered');
    assert.equal(hook.data.status, 'cancelled');
  });

  it('when Google\'s picker puts the popup out of the app\'s reach (a COOP of its own: the app then reads it as closed), then the pick is not cancelled, and pick() resolves done', async () => {
    suite.h.emulator.knobs.pickerOpenerPolicy = 'same-origin';
    try {
      const app = await suite.newPage();
      const popup = await openPopup(app);
      await popup.getByRole('button', { name: 'Continue' }).click();
      await popup.waitForURL(`${suite.h.emulator.url}/picker/**/autoclose`);
      await popup.locator('input[type="checkbox"]').first().check();
      const closes = popup.waitForEvent('close');
      await popup.getByRole('button', { name: 'Done' }).click();
      await Promise.race([closes, new Promise((resolve) => setTimeout(resolve, 1000))]);
      if (!popup.isClosed()) await popup.close();
      const outcome = await outcomeOn(app);
      assert.equal(outcome.status, 'done');
      assert.equal((await api(outcome.pick!)).status, 'done');
    } finally {
      suite.h.emulator.knobs.pickerOpenerPolicy = '';
    }
  });

  it('when the page runs an embed.js v1 (pinned, or cached from before v2), then its popup still opens the picker beside itself and pick() resolves done', async () => {
    const app = await suite.newPage();
    const popup = await openPopup(app, '/v1');
    const closed = popup.waitForEvent('close');
    await continueAndPick(popup, 2);
    const outcome = await outcomeOn(app);
    await closed;
    assert.equal(outcome.status, 'done');
    assert.equal(outcome.state, HOST_APP.state);
    assert.equal((await api(outcome.pick!)).status, 'done');
  });

  it('when the app\'s CSP does not let its page reach the gateway (no connect-src), then embed.js v2 runs the pick as v1 did and still resolves done', async () => {
    const app = await suite.newPage();
    const popup = await openPopup(app, '/no-connect');
    await continueAndPick(popup, 1);
    const outcome = await outcomeOn(app);
    assert.equal(outcome.status, 'done');
    assert.equal((await api(outcome.pick!)).status, 'done');
  });

  it('when the user closes the popup on the consent page, then pick() resolves cancelled with the pick, and the gateway cancels the pick', async () => {
    const app = await suite.newPage();
    const popup = await openPopup(app);
    await popup.close({ runBeforeUnload: true });
    const outcome = await outcomeOn(app);
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.state, HOST_APP.state);
    assert.ok(outcome.pick, 'the popup had told the app which pick it was');
    await eventually(async () => (await api(outcome.pick!)).status === 'cancelled' || undefined, 'the pick is cancelled at the gateway');
  });

  it('when something other than the gateway\'s popup posts a look-alike outcome, then pick() ignores it', async () => {
    const app = await suite.newPage();
    await app.goto(`${host.origin}/`);
    const popupOpens = app.waitForEvent('popup');
    await app.getByRole('button', { name: 'Import in a popup' }).click();
    const popup = await popupOpens;
    await popup.waitForURL(`${suite.h.emulator.url}/**`);
    // The app's own origin, and the popup's window at another origin (Google's sign-in): neither is the gateway.
    await app.evaluate(() => window.postMessage({ source: 'photos-picker-gateway', pick: 'AAAAAAAAAAAAAAAAAAAAAA', status: 'done', state: 'forged' }, '*'));
    await popup.evaluate(() => window.opener.postMessage({ source: 'photos-picker-gateway', pick: 'AAAAAAAAAAAAAAAAAAAAAA', status: 'done', state: 'forged' }, '*'));
    await popup.close();
    assert.deepEqual(await outcomeOn(app), { pick: null, status: 'cancelled', state: HOST_APP.state });
  });

  it('when the user presses Cancel on the full page, then the browser goes back to the app with status cancelled', async () => {
    const app = await suite.newPage();
    const { problems } = await watchPage(app);
    await app.goto(`${host.origin}/`);
    await app.getByRole('link', { name: 'Import from Google Photos' }).click();
    await signInHere(app);
    await app.getByRole('button', { name: 'Cancel' }).click();
    await app.waitForURL(`${host.origin}/back?**`);
    const back = new URL(app.url()).searchParams;
    assert.equal(back.get('status'), 'cancelled');
    assert.equal(back.get('state'), HOST_APP.state);
    assert.equal((await api(back.get('pick')!)).status, 'cancelled');
    assert.deepEqual(problems, []);
  });

  it('when the Picker session expires before the user presses Done, then pick() resolves with status expired', async () => {
    const app = await suite.newPage();
    const popup = await openPopup(app);
    await popup.getByRole('button', { name: 'Continue' }).click();
    await popup.waitForURL(`${suite.h.emulator.url}/picker/**`);
    const closed = popup.waitForEvent('close');
    suite.h.emulator.expireSession(new URL(popup.url()).pathname.split('/')[2]!);
    const outcome = await outcomeOn(app);
    await closed; // embed.js closes Google's window: nothing more can come of it
    assert.equal(outcome.status, 'expired');
    assert.equal(outcome.state, HOST_APP.state);
    assert.equal((await api(outcome.pick!)).status, 'expired');
  });

  it('when a signed request is used a second time, then the gateway answers with its 400 page and starts nothing', async () => {
    const app = await suite.newPage();
    const link = `${suite.h.url}/pick?app=${HOST_APP.id}&request=${await host.sign()}`;
    await app.goto(link);
    await app.waitForURL(`${suite.h.emulator.url}/**`);
    const replay = await app.goto(link);
    assert.equal(replay?.status(), 400);
    await app.getByRole('heading', { name: 'This request for photos cannot be used' }).waitFor();
  });
});
