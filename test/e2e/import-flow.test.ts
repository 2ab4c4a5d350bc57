import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { directAccessToken } from '@photos-picker-gateway/google-emulator';
import { signInWith, watchPage, withBrowserAndGateway } from '../helpers/browser.ts';

interface ManifestItem { id: string; key: string; previewKey: string; filename: string; mimeType: string; type: string; bytes: number; sha256: string; status: string; error: string | null }
interface GoogleItem { id: string; type: string; mediaFile: { baseUrl: string; filename: string; mimeType: string } }

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('importing in a real browser', () => {
  const suite = withBrowserAndGateway({ imports: true });

  /** What the emulator serves for these items, asked directly as Alice in a Picker session of her own. */
  async function googleBytes(itemIds: string[]): Promise<Map<string, Buffer>> {
    const { emulator } = suite.h;
    const token = await directAccessToken(emulator);
    const auth = { authorization: `Bearer ${token}` };
    const session = (await (await fetch(`${emulator.url}/v1/sessions`, { method: 'POST', headers: auth })).json()) as { id: string };
    emulator.pick(session.id, { itemIds });
    const listed = await fetch(`${emulator.url}/v1/mediaItems?sessionId=${session.id}&pageSize=100`, { headers: auth });
    const { mediaItems } = (await listed.json()) as { mediaItems: GoogleItem[] };
    const bytes = new Map<string, Buffer>();
    for (const item of mediaItems) {
      const answer = await fetch(`${item.mediaFile.baseUrl}${item.type === 'VIDEO' ? '=dv' : '=d'}`, { headers: auth });
      assert.equal(answer.status, 200);
      bytes.set(item.id, Buffer.from(await answer.arrayBuffer()));
    }
    return bytes;
  }

  it('when a user picks five items, then the page shows their bars moving to done and the folder holds the very bytes Google serves, with a manifest', async () => {
    const { h } = suite;
    const page = await suite.newPage();
    const { problems } = await watchPage(page);
    await signInWith(page, h);
    await page.goto(`${h.url}/`);

    const popupPromise = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Pick photos' }).click();
    const popup = await popupPromise;
    await popup.waitForURL(`${h.emulator.url}/picker/**/autoclose`);
    await page.waitForURL(`${h.url}/sessions/**`);
    const sessionId = new URL(page.url()).pathname.split('/')[2]!;

    // Every download from Google takes a while, so the import runs long enough to be watched.
    h.emulator.injectFault({ path: '/lh/', delayMs: 1500, times: 10 });
    const boxes = popup.locator('input[type="checkbox"]');
    for (const index of [0, 1, 2, 3, 4]) await boxes.nth(index).check();
    const closed = popup.waitForEvent('close');
    await popup.getByRole('button', { name: 'Done' }).click();
    await closed;

    const bars = page.locator('.import-items progress');
    await bars.nth(4).waitFor({ timeout: 15_000 });
    assert.equal(await bars.count(), 5);
    assert.equal(await page.getByRole('progressbar', { name: 'Overall progress' }).count(), 1);
    await page.evaluate(() => {
      const said: string[] = [];
      (window as unknown as { said: string[] }).said = said;
      new MutationObserver(() => said.push(document.getElementById('live')?.textContent ?? '')).observe(document.getElementById('live')!, { childList: true, characterData: true, subtree: true });
    });
    await page.waitForFunction(() => [...document.querySelectorAll('.import-items [data-item-status]')].some((row) => row.getAttribute('data-item-status') === 'done'), undefined, { timeout: 20_000 });

    await page.getByRole('heading', { name: '5 items imported' }).waitFor({ timeout: 30_000 });
    const said = await page.evaluate(() => (window as unknown as { said: string[] }).said);
    assert.ok(said.some((text) => /^\d of 5 imported$/.test(text)), `a milestone was announced: ${said.join(' | ')}`);
    assert.equal(said.at(-1), '5 items imported');
    assert.equal(await page.locator('progress').count(), 0);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.grid img')].every((img) => img.complete && img.naturalWidth > 0));
    assert.equal(await page.locator('.grid img').count(), 5);

    assert.doesNotMatch(await page.locator('main').innerText(), /users\//, 'no folder of ours is shown');
    const { manifestKey } = await (await page.context().request.get(`${h.url}/sessions/${sessionId}/import`, { headers: { accept: 'application/json' } })).json() as { manifestKey: string };
    const folder = `${path.posix.dirname(manifestKey)}/`;
    assert.match(folder, new RegExp(`^users/[A-Za-z0-9_-]+/${sessionId}/$`));
    const manifest = JSON.parse(await readFile(path.join(suite.importRoot, folder, 'manifest.json'), 'utf8')) as { pickingSessionId: string; status: string; items: ManifestItem[] };
    assert.equal(manifest.pickingSessionId, sessionId);
    assert.equal(manifest.status, 'done');
    assert.equal(manifest.items.length, 5);
    const google = await googleBytes(manifest.items.map((item) => item.id));
    for (const item of manifest.items) {
      const stored = await readFile(path.join(suite.importRoot, item.key));
      assert.equal(item.status, 'done');
      assert.equal(item.error, null);
      assert.equal(path.posix.dirname(item.key), folder.slice(0, -1));
      assert.ok(stored.equals(google.get(item.id)!), `${item.filename} is byte-identical to what Google serves`);
      assert.equal(item.bytes, stored.length);
      assert.equal(item.sha256, sha256(stored));
      assert.ok((await readFile(path.join(suite.importRoot, item.previewKey))).length > 0, `${item.filename} has a preview`);
    }
    assert.deepEqual(manifest.items.map((item) => item.type).sort(), ['PHOTO', 'PHOTO', 'PHOTO', 'PHOTO', 'VIDEO']);
    assert.deepEqual(problems, []);
  });

  it('when a user without JavaScript picks, then the picker opens in a tab of its own and the page left behind finishes by itself', async () => {
    const { h } = suite;
    const page = await suite.newPage({ javaScriptEnabled: false });
    await signInWith(page, h);
    await page.goto(`${h.url}/`);
    assert.doesNotMatch(await page.locator('main').innerText(), /opens in a new window/, 'nothing is promised that needs script');
    await page.getByRole('button', { name: 'Pick photos' }).click();
    await page.waitForURL(`${h.url}/sessions/**`);
    const sessionId = new URL(page.url()).pathname.split('/')[2]!;
    assert.match(await page.locator('main').innerText(), /This page checks by itself every few seconds/);

    const tabPromise = page.context().waitForEvent('page');
    await page.getByRole('link', { name: 'Open Google Photos' }).click();
    const picker = await tabPromise;
    await picker.waitForURL(`${h.emulator.url}/picker/${sessionId}/autoclose`);
    h.emulator.injectFault({ path: '/lh/', delayMs: 1500, times: 4 });
    const boxes = picker.locator('input[type="checkbox"]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await picker.getByRole('button', { name: 'Done' }).click();
    // Google's Done screen (the emulator's, without script, cannot close itself): the person closes it.
    await picker.getByRole('heading', { name: 'Done' }).waitFor();
    await picker.close();

    // Nothing here reloads the page left behind: only its own refresh brings the import, then the result.
    await page.getByRole('heading', { name: '2 items imported' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.grid img').count(), 2);
    assert.equal(page.context().pages().length, 1, 'one tab left: the picker\'s is gone');
  });
});
