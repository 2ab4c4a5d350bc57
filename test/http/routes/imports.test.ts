import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPickerSession, eventually, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { importEnded, importOf, sha256 } from '../../helpers/imports.ts';

describe('imports over HTTP, into a folder', () => {
  let h: Harness;
  let root: string;
  let client: Client;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-imports-'));
    h = await startHarness({ env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_BACKOFF_MS: '50' }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    client = await h.signedInClient();
  });
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when a session is picked and nobody watches it, then its items land in the folder with a manifest, and Google forgets the session', async () => {
    const id = await createPickerSession(client);
    assert.equal((await importOf(client, id)).status, 'waiting');
    h.emulator.pick(id, { count: 3 });
    // No poll from the client: the background following notices the pick.
    const state = await importEnded(client, id);
    assert.equal(state.status, 'done');
    assert.equal(state.items.length, 3);
    assert.ok(!('destination' in state) && !JSON.stringify(state).includes(root), 'the storage location is for operators');
    const folder = path.dirname(path.join(root, state.items[0]!.key));
    const manifest = JSON.parse(await readFile(path.join(root, state.manifestKey!), 'utf8'));
    assert.equal(manifest.pickingSessionId, id);
    assert.equal(manifest.status, 'done');
    assert.match(manifest.owner, /^users\/[A-Za-z0-9_-]+$/);
    assert.doesNotMatch(JSON.stringify(manifest), /@example\.com|access_token|googleusercontent|\/lh\//, 'no email, token or Google URL');
    for (const item of state.items) {
      const bytes = await readFile(path.join(root, item.key));
      assert.equal(item.status, 'done');
      assert.equal(item.bytes, bytes.length);
      assert.equal(item.sha256, sha256(bytes));
      const listed = manifest.items.find((entry: { id: string }) => entry.id === item.id);
      assert.equal(listed.sha256, item.sha256);
      assert.ok((await readdir(folder)).includes(path.basename(listed.previewKey)), 'a preview beside it');
      // The emulator sends its previews as PNG: the name says what the file holds.
      assert.match(listed.previewKey, /\.preview\.png$/);
      assert.deepEqual([...(await readFile(path.join(root, listed.previewKey))).subarray(1, 4)], [...Buffer.from('PNG')]);
    }
    await eventually(() => h.emulator.sessionsOf('alice@example.com').find((s) => s.id === id)?.deleted, 'the Picker session is deleted at Google');
  });

  it('when an imported session is viewed, then its list, thumbnails and content come from the folder, never Google', async () => {
    const id = await createPickerSession(client);
    h.emulator.pick(id, { count: 2 });
    const state = await importEnded(client, id);
    await eventually(() => h.emulator.sessionsOf('alice@example.com').find((s) => s.id === id)?.deleted, 'the Picker session is deleted at Google');
    h.emulator.clearRequests();
    const list = await client.get(`/sessions/${id}/media-items`, { accept: 'json' });
    assert.equal(list.status, 200);
    const { mediaItems } = (await list.json()) as { mediaItems: Array<{ id: string; contentUrl: string; thumbnailUrl: string; filename: string }> };
    assert.deepEqual(mediaItems.map((item) => item.id).sort(), state.items.map((item) => item.id).sort());
    const first = state.items[0]!;
    const original = await readFile(path.join(root, first.key));
    const content = await client.get(mediaItems.find((item) => item.id === first.id)!.contentUrl);
    assert.equal(content.status, 200);
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), original);
    const ranged = await client.get(`/sessions/${id}/media-items/${first.id}/content`, { headers: { range: 'bytes=10-19' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 10-19/${original.length}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), original.subarray(10, 20));
    const thumbnail = await client.get(mediaItems[0]!.thumbnailUrl);
    assert.equal(thumbnail.status, 200);
    assert.match(thumbnail.headers.get('content-type') ?? '', /^image\//);
    const page = await client.get(`/sessions/${id}`, { accept: 'html' });
    assert.equal(page.status, 200);
    assert.deepEqual(h.emulator.requests.filter((r) => r.kind !== 'oauth'), [], 'Google was not asked');
  });

  it('when another user asks about an import, then it is 404', async () => {
    const id = await createPickerSession(client);
    const bob = await h.signedInClient({ account: 'bob@example.com' });
    assert.equal((await bob.get(`/sessions/${id}/import`, { accept: 'json' })).status, 404);
    assert.equal((await bob.post(`/sessions/${id}/import`, { accept: 'json', json: {} })).status, 404);
  });

  it('when Retry is posted without a CSRF token, then it is refused', async () => {
    const id = await createPickerSession(client);
    assert.equal((await client.post(`/sessions/${id}/import`, { accept: 'json', json: {}, csrf: false })).status, 403);
  });
});

describe('imports past an owner\'s cap', () => {
  it('when a person picks more items than they may have queued, then the import fails at once saying why, and Retry is 429 in the person\'s language', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'gateway-imports-cap-'));
    const h = await startHarness({ env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_MAX_QUEUED_PER_OWNER: '2' }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client);
      h.emulator.pick(id, { itemIds: h.emulator.library('alice@example.com').filter((item) => item.type === 'PHOTO').slice(0, 3).map((item) => item.id) });
      const state = await importEnded(client, id);
      assert.equal(state.status, 'failed');
      for (const item of state.items) assert.match(item.error ?? '', /too many items waiting to be copied \(at most 2\)/);

      const json = await client.post(`/sessions/${id}/import`, { accept: 'json', json: {} });
      assert.equal(json.status, 429);
      assert.equal(((await json.json()) as { code: string }).code, 'RESOURCE_EXHAUSTED');
      for (const [language, title] of [['en', 'You have too many photos waiting to be copied'], ['th', 'มีรูปภาพของคุณรอคัดลอกอยู่มากเกินไป'], ['bn', 'আপনার অনেক বেশি ছবি কপি হওয়ার অপেক্ষায় আছে']]) {
        const page = await client.post(`/sessions/${id}/import`, { accept: 'html', headers: { 'accept-language': language! } });
        assert.equal(page.status, 429);
        assert.ok((await page.text()).includes(title!), language);
      }
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('imports off', () => {
  it('when IMPORT_DESTINATION is off, then the import route is 404 and sessions are not followed', async () => {
    const h = await startHarness({ emulator: { knobs: { pollIntervalSeconds: 1 } } });
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client);
      assert.equal((await client.get(`/sessions/${id}/import`, { accept: 'json' })).status, 404);
      assert.equal((await h.stores.jobs.counts()).waiting, 0);
    } finally {
      await h.close();
    }
  });
});
