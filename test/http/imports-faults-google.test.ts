import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createPickerSession, eventually, startHarness, type Client, type Harness } from '../helpers/harness.ts';
import { assertNoSecretsIn, downloading, filesUnder, googleBytes, IMPORT_STEP_MS, importEnded, importOf, itemNamed, sha256 } from '../helpers/imports.ts';

const LARGE_VIDEO_BYTES = 3 * 1024 * 1024;

/** A gateway importing into a fresh folder, on an emulator with a ready video, a processing one and a large one. */
async function importingGateway(env: Record<string, string> = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'gateway-import-faults-'));
  const h = await startHarness({
    env: { IMPORT_DESTINATION: `file:${root}`, IMPORT_BACKOFF_MS: '50', IMPORT_CONCURRENCY: '1', ...env },
    emulator: { librarySize: 6, largeVideoBytes: LARGE_VIDEO_BYTES, knobs: { pollIntervalSeconds: 1 } },
  });
  const client = await h.signedInClient();
  const videos = {
    ready: itemNamed(h.emulator, 'video-005.mp4'),
    processing: itemNamed(h.emulator, 'video-006.mp4'),
    large: itemNamed(h.emulator, 'large-video.mp4'),
  };
  return {
    h, root, client, videos,
    close: async () => {
      await h.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** One sample of a metric from /metrics text, 0 when absent. */
function sample(metrics: string, name: string, labels = ''): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const metricsOf = async (h: Harness) => (await fetch(`${h.url}/metrics`)).text();

describe('imports when Google gets in the way', () => {
  let gateway: Awaited<ReturnType<typeof importingGateway>>;
  let client: Client;
  before(async () => {
    gateway = await importingGateway();
    client = gateway.client;
  });
  afterEach(() => {
    gateway.h.emulator.knobs.mediaBytesPerSecond = 0;
  });
  after(() => gateway?.close());

  it('when the baseUrls expire mid-import, then the copy meets 403, lists the items again and goes on', async () => {
    const { h, root, videos } = gateway;
    const id = await createPickerSession(client);
    h.emulator.knobs.mediaBytesPerSecond = 64 * 1024;
    h.emulator.clearRequests();
    h.emulator.pick(id, { itemIds: [videos.ready, videos.large] });
    await eventually(() => downloading(h.emulator), 'a copy is under way', IMPORT_STEP_MS);
    const listingsBefore = h.emulator.requests.filter((request) => request.path === '/v1/mediaItems').length;
    h.emulator.expireBaseUrls(id);
    const expiredAt = h.emulator.requests.length;
    h.emulator.knobs.mediaBytesPerSecond = 0;

    const state = await importEnded(client, id);

    assert.equal(state.status, 'done', JSON.stringify(state.items));
    const after = h.emulator.requests.slice(expiredAt);
    const refused = after.findIndex((request) => request.kind === 'media' && request.status === 403);
    assert.ok(refused >= 0, 'a copy met an expired baseUrl');
    assert.ok(after.slice(refused).some((request) => request.path === '/v1/mediaItems'), 'the items were listed again');
    assert.equal(h.emulator.requests.filter((request) => request.path === '/v1/mediaItems').length, listingsBefore + 1, 'once');
    const google = await googleBytes(h.emulator, [videos.ready, videos.large]);
    for (const item of state.items) {
      assert.equal(sha256(await readFile(path.join(root, item.key))), sha256(google.get(item.id)!), item.filename);
    }
    assertNoSecretsIn(h.logs);
  });

  it('when an import finishes, then /metrics has moved, and its log lines name the import and its items and hold no secret', async () => {
    const { h, videos } = gateway;
    const before = await metricsOf(h);
    const id = await createPickerSession(client);
    h.emulator.pick(id, { itemIds: [videos.ready, videos.large] });
    const state = await importEnded(client, id);
    assert.equal(state.status, 'done');

    const metrics = await metricsOf(h);
    const moved = (name: string, labels = '') => sample(metrics, name, labels) - sample(before, name, labels);
    assert.equal(moved('import_items_total', 'outcome="done"'), 2);
    assert.equal(moved('import_items_total', 'outcome="failed"'), 0);
    assert.equal(moved('import_bytes_total'), state.items.reduce((sum, item) => sum + item.bytes, 0));
    assert.equal(moved('import_item_duration_seconds_count', 'outcome="done"'), 2);
    assert.equal(sample(metrics, 'import_destination_writable'), 1);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) assert.match(metrics, new RegExp(`^job_queue_jobs\\{state="${state}"\\} \\d+$`, 'm'));

    const lines = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.import === id);
    const done = lines.filter((line) => line.event === 'import_item_done');
    assert.deepEqual(done.map((line) => line.item).sort(), state.items.map((item) => item.id).sort());
    assert.ok(lines.some((line) => line.event === 'import_finished'));
    assertNoSecretsIn(h.logs);
  });
});

describe('imports of a video Google is still processing', () => {
  it('when the video becomes READY while its copy is retried, then it stays queued until then and is imported once READY', async () => {
    const { h, root, client, videos, close } = await importingGateway({ IMPORT_ATTEMPTS: '20', IMPORT_BACKOFF_MS: '100' });
    try {
      const id = await createPickerSession(client);
      h.emulator.pick(id, { itemIds: [videos.processing] });
      const waiting = await eventually(async () => {
        const state = await importOf(client, id);
        return state.items[0]?.error ? state : undefined;
      }, 'a first try finds the video still processing', IMPORT_STEP_MS);
      assert.equal(waiting.status, 'running');
      assert.equal(waiting.items[0]!.status, 'queued');
      assert.match(waiting.items[0]!.error!, /processing/i);
      assert.deepEqual(await filesUnder(root), [], 'nothing written meanwhile');

      h.emulator.finishProcessing(videos.processing);
      const state = await importEnded(client, id);

      assert.equal(state.status, 'done');
      assert.equal(state.items[0]!.error, null);
      // One warning per try that met the processing video (the queue's own word on it is debug), none at error.
      const lines = h.logs.map((line) => JSON.parse(line) as { level: number; event?: string; msg: string });
      const warnings = lines.filter((line) => line.level === 40);
      assert.ok(warnings.length >= 1);
      assert.deepEqual(warnings.filter((line) => line.event !== 'import_item_retry').map((line) => line.msg), [], 'each try warns once, as import_item_retry');
      assert.deepEqual(lines.filter((line) => line.level >= 50), []);
      const google = await googleBytes(h.emulator, [videos.processing]);
      assert.deepEqual(await readFile(path.join(root, state.items[0]!.key)), google.get(videos.processing));
    } finally {
      await close();
    }
  });

  it('when the video is still processing after the last attempt, then the item fails saying so', async () => {
    const { h, root, client, videos, close } = await importingGateway({ IMPORT_ATTEMPTS: '2' });
    try {
      const id = await createPickerSession(client);
      h.emulator.pick(id, { itemIds: [videos.processing] });
      const state = await importEnded(client, id);

      assert.equal(state.status, 'failed');
      assert.equal(state.items[0]!.status, 'failed');
      assert.match(state.items[0]!.error!, /not finished processing this video/);
      const manifest = JSON.parse(await readFile(path.join(root, state.manifestKey!), 'utf8'));
      assert.equal(manifest.items[0].error, state.items[0]!.error);
      assert.deepEqual(await filesUnder(root), [state.manifestKey], 'only the manifest');
    } finally {
      await close();
    }
  });
});
