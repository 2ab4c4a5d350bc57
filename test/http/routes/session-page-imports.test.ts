import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createPickerSession, eventually, startHarness, type Client, type Harness } from '../../helpers/harness.ts';

interface ImportAnswer {
  status: string;
  items: Array<{ id: string; filename: string; status: string; error: string | null }>;
}

/** The session page as the server renders it, before any script runs. */
async function pageOf(client: Client, id: string): Promise<string> {
  const answer = await client.get(`/sessions/${id}`, { accept: 'html' });
  assert.equal(answer.status, 200);
  return answer.text();
}

async function importOf(client: Client, id: string): Promise<ImportAnswer> {
  return (await (await client.get(`/sessions/${id}/import`, { accept: 'json' })).json()) as ImportAnswer;
}

const progressBars = (html: string) => html.match(/<progress\b[^>]*>/g) ?? [];
const NO_SCRIPT_REFRESH = /<noscript><meta http-equiv="refresh" content="\d+"><\/noscript>/;

describe('the session page of an import', () => {
  let h: Harness;
  let root: string;
  let client: Client;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-import-page-'));
    h = await startHarness({ env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_BACKOFF_MS: '50' }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    client = await h.signedInClient();
  });
  afterEach(() => h.emulator.clearFaults());
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  /** A new session with `count` items picked, once its import has ended. */
  async function importedSession(count: number): Promise<{ id: string; state: ImportAnswer }> {
    const id = await createPickerSession(client);
    h.emulator.pick(id, { count });
    const state = await eventually(async () => {
      const answer = await importOf(client, id);
      return ['done', 'partial', 'failed'].includes(answer.status) ? answer : undefined;
    }, 'the import ends');
    return { id, state };
  }

  it('when the items are picked but not listed yet, then the page says the import is starting, with an overall bar and a reload for browsers without script', async () => {
    h.emulator.injectFault({ method: 'GET', path: '/v1/mediaItems', hang: true, times: 100 });
    const id = await createPickerSession(client);
    h.emulator.pick(id, { count: 2 });
    await eventually(async () => (await pageOf(client, id)).includes('data-import="starting"'), 'the page shows the import starting');
    const html = await pageOf(client, id);
    assert.match(html, /<label for="import-overall">Overall progress<\/label>/);
    assert.equal(progressBars(html).length, 1);
    assert.match(html, NO_SCRIPT_REFRESH);
    assert.doesNotMatch(html, /This picking session has ended/);
    await client.post(`/sessions/${id}/delete`, { form: { confirm: '1' } });
  });

  it('when an import is running, then the page already holds a labelled bar per item and one overall, and reloads itself without script', async () => {
    // Every copy waits on Google: the import stays running while the page is read.
    h.emulator.injectFault({ path: '/lh/', hang: true, times: 100 });
    const id = await createPickerSession(client);
    h.emulator.pick(id, { count: 3 });
    const state = await eventually(async () => {
      const answer = await importOf(client, id);
      return answer.status === 'running' && answer.items.length === 3 ? answer : undefined;
    }, 'the import is running');
    const html = await pageOf(client, id);
    assert.match(html, /data-import="running"/);
    const bars = progressBars(html);
    assert.equal(bars.length, 4, 'three items and the overall bar');
    assert.match(html, /<label for="import-overall">Overall progress<\/label>/);
    assert.match(html, /<progress id="import-overall" max="3"/);
    for (const item of state.items) {
      const label = html.match(new RegExp(`<label class="name" for="([^"]+)">${item.filename}</label>`));
      assert.ok(label, `a label naming ${item.filename}`);
      assert.ok(bars.some((bar) => bar.includes(`id="${label[1]}"`)), `the bar of ${item.filename} is the labelled one`);
    }
    assert.match(html, /0 of 3 imported/);
    assert.match(html, /<div id="live" class="visually-hidden" role="status" aria-live="polite">/);
    assert.match(html, NO_SCRIPT_REFRESH);
    await client.post(`/sessions/${id}/delete`, { form: { confirm: '1' } });
  });

  it('when an import has finished, then the page lists the imported items with their thumbnails and their folder, never the storage location, and not that the session ended', async () => {
    const { id, state } = await importedSession(3);
    assert.equal(state.status, 'done');
    // Ending the import deletes the Picker session at Google on purpose: the session still reads complete, with its import.
    await eventually(() => h.emulator.sessionsOf('alice@example.com').find((s) => s.id === id)?.deleted, 'the Picker session is deleted at Google');
    const json = await (await client.get(`/sessions/${id}`, { accept: 'json' })).json();
    assert.equal(json.status, 'complete');
    assert.equal(json.mediaItemsSet, true);
    assert.deepEqual(json.import, { status: 'done', url: `/sessions/${id}/import` });
    const html = await pageOf(client, id);
    assert.match(html, /<h1>3 items imported<\/h1>/);
    assert.doesNotMatch(html, /This picking session has ended/);
    assert.equal(progressBars(html).length, 0);
    assert.doesNotMatch(html, NO_SCRIPT_REFRESH);
    assert.ok(!html.includes(root), 'the storage location is for operators');
    assert.doesNotMatch(html, /users\/|<dt>Folder<\/dt>/, 'no folder of ours is shown to the person');
    const thumbnails = [...html.matchAll(/<img src="([^"]+)" alt="([^"]*)"/g)];
    assert.deepEqual(thumbnails.map((match) => match[2]).sort(), state.items.map((item) => item.filename).sort());
    for (const [, src] of thumbnails) {
      const thumbnail = await client.get(src!.replaceAll('&amp;', '&'));
      assert.equal(thumbnail.status, 200);
      assert.match(thumbnail.headers.get('content-type') ?? '', /^image\//);
    }
  });

  it('when a session being imported is deleted from its page, then a page asks first, and once confirmed the next page says the import stopped', async () => {
    h.emulator.injectFault({ path: '/lh/', hang: true, times: 100 });
    const id = await createPickerSession(client);
    h.emulator.pick(id, { count: 2 });
    await eventually(async () => (await importOf(client, id)).status === 'running', 'the import is running');
    const asked = await client.post(`/sessions/${id}/delete`, { form: {} });
    assert.equal(asked.status, 200);
    const question = await asked.text();
    assert.match(question, /<h1 id="confirm-title">Delete this session\?<\/h1>/);
    assert.match(question, /stops the import and removes the copies made so far/);
    assert.match(question, new RegExp(`<a class="button secondary" href="/sessions/${id}">Keep it</a>`));
    assert.equal(h.emulator.sessionsOf('alice@example.com').find((s) => s.id === id)?.deleted, false, 'nothing is deleted before the answer');

    const confirmed = await client.post(`/sessions/${id}/delete`, { form: { confirm: '1' } });
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.headers.get('location'), '/?notice=importStopped');
    assert.match(await (await client.get('/?notice=importStopped')).text(), /<p class="notice" role="status">The session was deleted\. Its import was stopped/);
    assert.equal(h.emulator.sessionsOf('alice@example.com').find((s) => s.id === id)?.deleted, true);
  });

  it('when an item could not be imported, then the page says why and offers Retry, and after Retry shows the bars again', async () => {
    h.emulator.injectFault({ path: '/lh/', status: 404, times: 1 });
    const { id, state } = await importedSession(3);
    assert.equal(state.status, 'partial');
    const failed = state.items.find((item) => item.status === 'failed')!;
    const html = await pageOf(client, id);
    assert.match(html, /<h1>2 of 3 items imported<\/h1>/);
    assert.match(html, /<h2>Not imported<\/h2>/);
    const entry = html.match(/<ul class="failed-items">([\s\S]*?)<\/ul>/)?.[1] ?? '';
    assert.ok(entry.includes(failed.filename), 'the failed item is named');
    assert.ok(entry.includes(failed.error!), 'with its reason');
    const form = html.match(/<form method="post" action="([^"]+)" class="inline-form retry-form">\s*<input type="hidden" name="_csrf" value="([^"]+)">/);
    assert.equal(form?.[1], `/sessions/${id}/import`);
    assert.ok(form?.[2], 'the form carries the CSRF token');

    // The retried copy is held at Google so the page can be read while it runs.
    h.emulator.injectFault({ method: 'GET', path: '/v1/mediaItems', hang: true, times: 100 });
    const retry = await client.post(form![1]!, { form: {} });
    assert.equal(retry.status, 303);
    assert.equal(retry.headers.get('location'), `/sessions/${id}`);
    const again = await pageOf(client, id);
    assert.match(again, /data-import="running"/);
    assert.equal(progressBars(again).length, 4, 'three items and the overall bar');
    await client.post(`/sessions/${id}/delete`, { form: { confirm: '1' } });
  });
});
