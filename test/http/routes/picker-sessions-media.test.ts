import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { directAccessToken } from '@photos-picker-gateway/google-emulator';
import { createPickerSession, startHarness, waitForStatus, type Client, type Harness } from '../../helpers/harness.ts';

interface GoogleItem { id: string; type: string; mediaFile: { baseUrl: string; mimeType: string; filename: string; mediaFileMetadata: { videoMetadata?: { processingStatus: string } } } }

describe('the media proxy', () => {
  let h: Harness;
  let alice: Client;
  let sessionId: string;
  let googleItems: GoogleItem[];
  let token: string;

  before(async () => {
    h = await startHarness({ emulator: { knobs: { pollIntervalSeconds: 1 }, librarySize: 24, largeVideoBytes: 64 * 1024 * 1024 } });
    alice = await h.signedInClient();
    sessionId = await createPickerSession(alice);
    const library = await listLibraryIds();
    h.emulator.pick(sessionId, { itemIds: library });
    await waitForStatus(alice, sessionId, 'complete');
    token = await directAccessToken(h.emulator);
    const listed = await fetch(`${h.emulator.url}/v1/mediaItems?sessionId=${sessionId}&pageSize=100`, { headers: { authorization: `Bearer ${token}` } });
    googleItems = ((await listed.json()) as { mediaItems: GoogleItem[] }).mediaItems;
  });
  after(() => h.close());

  /** Every item of Alice's library: pick a throwaway session fully and read it through Google directly. */
  async function listLibraryIds(): Promise<string[]> {
    const probe = await createPickerSession(alice);
    h.emulator.pick(probe, { count: 25 });
    const direct = await directAccessToken(h.emulator);
    const response = await fetch(`${h.emulator.url}/v1/mediaItems?sessionId=${probe}&pageSize=100`, { headers: { authorization: `Bearer ${direct}` } });
    const ids = ((await response.json()) as { mediaItems: GoogleItem[] }).mediaItems.map((i) => i.id);
    await alice.delete(`/sessions/${probe}`, { accept: 'json' });
    return ids;
  }

  const firstOf = (predicate: (item: GoogleItem) => boolean) => {
    const item = googleItems.find(predicate);
    assert.ok(item, 'the demo library has such an item');
    return item!;
  };
  const photo = () => firstOf((i) => i.type === 'PHOTO');
  const readyVideo = () => firstOf((i) => i.type === 'VIDEO' && i.mediaFile.mediaFileMetadata.videoMetadata?.processingStatus === 'READY' && i.mediaFile.filename !== 'large-video.mp4');
  const content = (id: string, query = '') => `/sessions/${sessionId}/media-items/${encodeURIComponent(id)}/content${query}`;
  const direct = async (baseUrl: string, parameter: string, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}${parameter}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const bytes = async (response: Response) => Buffer.from(await response.arrayBuffer());

  for (const [name, query, parameter] of [
    ['a full photo', '', '=d'],
    ['a resized photo', '?w=300&h=200', '=w300-h200'],
    ['a cropped thumbnail', '?w=256&h=256&crop=1', '=w256-h256-c'],
  ] as const) {
    it(`when ${name} is asked for, then the bytes are identical to Google's (${parameter})`, async () => {
      const item = photo();
      const viaGateway = await alice.get(content(item.id, query));
      assert.equal(viaGateway.status, 200);
      const straight = await direct(item.mediaFile.baseUrl, parameter);
      assert.equal(straight.status, 200);
      const [a, b] = [await bytes(viaGateway), await bytes(straight)];
      assert.ok(a.length > 0);
      assert.ok(a.equals(b), 'byte-identical');
      assert.equal(viaGateway.headers.get('content-type'), straight.headers.get('content-type'));
      assert.equal(viaGateway.headers.get('content-length'), String(a.length));
      assert.match(viaGateway.headers.get('cache-control') ?? '', /private/);
    });
  }

  it('when a video is downloaded, then it is =dv bytes with a file name', async () => {
    const item = readyVideo();
    const viaGateway = await alice.get(content(item.id, '?download=1'));
    assert.equal(viaGateway.status, 200);
    assert.equal(viaGateway.headers.get('content-type'), 'video/mp4');
    assert.match(viaGateway.headers.get('content-disposition') ?? '', new RegExp(`^attachment; filename="?${item.mediaFile.filename}"?$`));
    assert.ok((await bytes(viaGateway)).equals(await bytes(await direct(item.mediaFile.baseUrl, '=dv'))));
  });

  it('when a byte range is asked for, then 206 with exactly those bytes', async () => {
    const item = readyVideo();
    const whole = await bytes(await direct(item.mediaFile.baseUrl, '=dv'));
    const partial = await alice.get(content(item.id), { headers: { range: 'bytes=100-1099' } });
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get('content-range'), `bytes 100-1099/${whole.length}`);
    assert.equal(partial.headers.get('content-length'), '1000');
    assert.ok((await bytes(partial)).equals(whole.subarray(100, 1100)));
  });

  it('when a video is still processing, then its download answers 409 and no bytes are fetched', async () => {
    const item = firstOf((i) => i.type === 'VIDEO' && i.mediaFile.mediaFileMetadata.videoMetadata?.processingStatus === 'PROCESSING');
    h.emulator.clearRequests();
    const response = await alice.get(content(item.id), { accept: 'json' });
    assert.equal(response.status, 409);
    assert.equal((await response.json()).code, 'VIDEO_NOT_READY');
    assert.equal(h.emulator.requests.filter((r) => r.kind === 'media').length, 0);
  });

  it('when a large video streams through, then every byte arrives', async () => {
    const item = firstOf((i) => i.mediaFile.filename === 'large-video.mp4');
    const response = await alice.get(content(item.id));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(64 * 1024 * 1024));
    let received = 0;
    for await (const chunk of response.body!) received += chunk.byteLength;
    assert.equal(received, 64 * 1024 * 1024);
  });

  it('when a HEAD asks for a large video, then Google is asked for its headers only', async () => {
    const item = firstOf((i) => i.mediaFile.filename === 'large-video.mp4');
    h.emulator.clearRequests();
    const response = await alice.request('HEAD', content(item.id));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(64 * 1024 * 1024));
    const media = h.emulator.requests.filter((r) => r.kind === 'media');
    assert.deepEqual(media.map((r) => r.method), ['HEAD']);
  });

  it('when the client goes away mid-download, then the Google download is aborted', async () => {
    const item = firstOf((i) => i.mediaFile.filename === 'large-video.mp4');
    h.emulator.clearRequests();
    const controller = new AbortController();
    const response = await alice.get(content(item.id), { signal: controller.signal });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    const deadline = Date.now() + 5_000;
    let entry;
    while (Date.now() < deadline) {
      entry = h.emulator.requests.find((r) => r.kind === 'media');
      if (entry?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(entry?.aborted, true, 'the emulator saw the upstream request closed early');
  });

  it('when the baseUrls have expired, then the gateway lists again once and the download still works', async () => {
    h.emulator.knobs.baseUrlTtlSeconds = 1;
    try {
      const id = await createPickerSession(alice);
      h.emulator.pick(id, { count: 2 });
      await waitForStatus(alice, id, 'complete');
      const listed = await (await alice.get(`/sessions/${id}/media-items`, { accept: 'json' })).json();
      const itemId = listed.mediaItems[0].id;
      h.emulator.clearRequests();
      mock.timers.enable({ apis: ['Date'], now: Date.now() + 1_300 }); // the baseUrls' hour (here a second) is over
      let response: Response;
      try {
        response = await alice.get(`/sessions/${id}/media-items/${encodeURIComponent(itemId)}/content?w=64&h=64`);
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      } finally {
        mock.timers.reset();
      }
      const calls = h.emulator.requests.map((r) => `${r.kind} ${r.status}`);
      assert.deepEqual(calls, ['media 403', 'picker 200', 'media 200']);
    } finally {
      h.emulator.knobs.baseUrlTtlSeconds = 3600;
    }
  });

  it('when a session has 300 items, then media-items pages through all of them exactly once', async () => {
    const big = await startHarness({ emulator: { librarySize: 300, knobs: { pollIntervalSeconds: 1 } } });
    try {
      const client = await big.signedInClient();
      const id = await createPickerSession(client);
      big.emulator.pick(id, { count: 300 });
      await waitForStatus(client, id, 'complete');
      big.emulator.clearRequests();
      const ids: string[] = [];
      let pageToken: string | null = null;
      let pages = 0;
      do {
        const query: string = `?pageSize=100${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`;
        const body = (await (await client.get(`/sessions/${id}/media-items${query}`, { accept: 'json' })).json()) as { mediaItems: { id: string }[]; nextPageToken: string | null };
        ids.push(...body.mediaItems.map((m) => m.id));
        pageToken = body.nextPageToken;
        pages++;
      } while (pageToken);
      assert.equal(ids.length, 300);
      assert.equal(new Set(ids).size, 300);
      assert.equal(pages, 3);
      const googleLists = big.emulator.requests.filter((r) => r.path === '/v1/mediaItems');
      assert.equal(googleLists.length, 3, 'Google was listed in pages of 100, once');
      assert.ok(googleLists.every((r) => r.query.pageSize === '100'));
    } finally {
      await big.close();
    }
  });
});

describe('the media host allow-list', () => {
  it('when a baseUrl is outside MEDIA_HOSTS, then 502 MEDIA_HOST_NOT_ALLOWED and the token is never sent there', async () => {
    const h = await startHarness({ env: { MEDIA_HOSTS: 'googleusercontent.com' }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    try {
      const client = await h.signedInClient();
      const id = await createPickerSession(client);
      h.emulator.pick(id, { count: 1 });
      await waitForStatus(client, id, 'complete');
      const { mediaItems } = await (await client.get(`/sessions/${id}/media-items`, { accept: 'json' })).json();
      h.emulator.clearRequests();
      const response = await client.get(`/sessions/${id}/media-items/${encodeURIComponent(mediaItems[0].id)}/content`, { accept: 'json' });
      assert.equal(response.status, 502);
      assert.equal((await response.json()).code, 'MEDIA_HOST_NOT_ALLOWED');
      assert.equal(h.emulator.requests.filter((r) => r.kind === 'media').length, 0);
    } finally {
      await h.close();
    }
  });
});
