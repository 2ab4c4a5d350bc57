import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createEmulator, directAccessToken, type Emulator } from '../src/index.ts';
import { pngSize } from '../src/png.ts';

const DEMO_VIDEO = readFileSync(new URL('../src/assets/demo.mp4', import.meta.url));

describe('the emulator: picker page and media bytes', () => {
  let emulator: Emulator;
  let alice: string;
  before(async () => {
    // Room for every session the tests below open.
    emulator = createEmulator({ largeVideoBytes: 8 * 1024 * 1024, knobs: { maxOpenSessionsPerUser: 100 } });
    await emulator.listen();
    alice = await directAccessToken(emulator, 'alice@example.com');
  });
  after(() => emulator.close());

  const createSession = async (maxItemCount?: number) =>
    (await (await fetch(`${emulator.url}/v1/sessions`, {
      method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify(maxItemCount ? { pickingConfig: { maxItemCount } } : {}),
    })).json()) as { id: string; pickerUri: string };
  const asAlice = { cookie: 'emu_account=alice@example.com' };
  const itemIdsOn = (html: string) => [...html.matchAll(/name="item" value="([^"]+)"/g)].map((m) => m[1]!);
  const done = (id: string, items: string[], extra: Record<string, string> = {}) => {
    const form = new URLSearchParams(extra);
    for (const item of items) form.append('item', item);
    return fetch(`${emulator.url}/picker/${id}/done`, { method: 'POST', headers: asAlice, body: form });
  };

  it('when the owner opens the pickerUri, then the library is shown, framing is forbidden, and Done sets the items', async () => {
    const session = await createSession(3);
    const page = await fetch(session.pickerUri, { headers: asAlice });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const html = await page.text();
    const ids = itemIdsOn(html);
    assert.ok(ids.length >= 24);
    assert.match(html, /Select up to 3 items/);
    const thumb = await fetch(`${emulator.url}${html.match(/<img src="([^"]+)"/)![1]}`, { headers: asAlice });
    assert.equal(thumb.headers.get('content-type'), 'image/png');

    assert.equal((await done(session.id, ids.slice(0, 4))).status, 400, 'more than maxItemCount is refused');
    assert.equal((await done(session.id, [])).status, 400, 'nothing selected is refused');
    const finished = await done(session.id, ids.slice(0, 2));
    assert.equal(finished.status, 200);
    assert.match(await finished.text(), /You can close this window/);
    assert.equal(emulator.sessionsOf('alice@example.com').find((s) => s.id === session.id)?.mediaItemsSet, true);
    const dead = await fetch(session.pickerUri, { headers: asAlice });
    assert.equal(dead.status, 410, 'after Done the pickerUri no longer works');
    assert.doesNotMatch(await dead.text(), /name="item"/);
  });

  it('when another account opens the pickerUri, then it is refused', async () => {
    const session = await createSession();
    const page = await fetch(session.pickerUri, { headers: { cookie: 'emu_account=bob@example.com' } });
    assert.equal(page.status, 403);
    assert.doesNotMatch(await page.text(), /name="item"/);
    assert.equal((await fetch(session.pickerUri)).status, 403);
  });

  it('when the autoclose variant finishes, then its page closes the window with a nonce\'d script', async () => {
    const session = await createSession();
    const page = await fetch(`${session.pickerUri}/autoclose`, { headers: asAlice });
    const html = await page.text();
    assert.match(html, /name="autoclose" value="1"/);
    const finished = await done(session.id, itemIdsOn(html).slice(0, 1), { autoclose: '1' });
    const nonce = finished.headers.get('content-security-policy')!.match(/'nonce-([^']+)'/)![1];
    assert.ok((await finished.text()).includes(`<script nonce="${nonce}">window.close();</script>`));
  });

  it('when a page is asked for in Thai or Bengali, then it is written in that language', async () => {
    const session = await createSession();
    for (const [language, pattern] of [['th', /[\u0E00-\u0E7F]/], ['bn', /[\u0980-\u09FF]/]] as const) {
      const html = await (await fetch(session.pickerUri, { headers: { ...asAlice, 'accept-language': language } })).text();
      assert.match(html, new RegExp(`<html lang="${language}">`));
      assert.match(html.match(/<h1[^>]*>([^<]+)</)![1]!, pattern);
      assert.doesNotMatch(html, /\b(picker|consent)\.[a-z]+/);
    }
  });

  async function listed(count: number) {
    const session = await createSession();
    emulator.pick(session.id, { count });
    const body = (await (await fetch(`${emulator.url}/v1/mediaItems?sessionId=${session.id}&pageSize=100`, { headers: { authorization: `Bearer ${alice}` } })).json()) as {
      mediaItems: Array<{ id: string; type: string; mediaFile: { baseUrl: string; filename: string; mediaFileMetadata: { width: number; height: number; videoMetadata?: { processingStatus: string } } } }>;
    };
    return body.mediaItems;
  }
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers: { authorization: `Bearer ${alice}`, ...headers } });

  it('when image parameters are used, then the PNG has the asked size, crop and original size', async () => {
    const [photo] = await listed(1);
    const { width, height } = photo!.mediaFile.mediaFileMetadata;
    const size = async (parameter: string) => pngSize(Buffer.from(await (await get(`${photo!.mediaFile.baseUrl}${parameter}`)).arrayBuffer()));
    assert.deepEqual(await size('=d'), { width, height });
    assert.deepEqual(await size('=w400-h300'), { width: 400, height: Math.round((height * 400) / width) });
    assert.deepEqual(await size('=w256-h256-c'), { width: 256, height: 256 });
    assert.deepEqual(await size('=h200'), { width: Math.round((width * 200) / height), height: 200 });
    const again = Buffer.from(await (await get(`${photo!.mediaFile.baseUrl}=w256-h256-c`)).arrayBuffer());
    const once = Buffer.from(await (await get(`${photo!.mediaFile.baseUrl}=w256-h256-c`)).arrayBuffer());
    assert.ok(again.equals(once), 'deterministic bytes');
  });

  it('when a video is downloaded with =dv, then it is the MP4; a processing one is refused; a size gives a poster', async () => {
    const items = await listed(25);
    const ready = items.find((i) => i.type === 'VIDEO' && i.mediaFile.mediaFileMetadata.videoMetadata?.processingStatus === 'READY')!;
    const processing = items.find((i) => i.mediaFile.mediaFileMetadata.videoMetadata?.processingStatus === 'PROCESSING')!;
    const video = await get(`${ready.mediaFile.baseUrl}=dv`);
    assert.equal(video.headers.get('content-type'), 'video/mp4');
    assert.ok(Buffer.from(await video.arrayBuffer()).equals(DEMO_VIDEO));
    assert.equal((await get(`${processing.mediaFile.baseUrl}=dv`)).status, 404);
    assert.equal((await get(`${ready.mediaFile.baseUrl}=w128-h128`)).headers.get('content-type'), 'image/png');
  });

  it('when a Range is asked, then 206 with those bytes, and 416 beyond the end', async () => {
    const large = (await listed(25)).find((i) => i.mediaFile.filename === 'large-video.mp4')!;
    const whole = Buffer.from(await (await get(`${large.mediaFile.baseUrl}=dv`)).arrayBuffer());
    assert.equal(whole.length, 8 * 1024 * 1024);
    const part = await get(`${large.mediaFile.baseUrl}=dv`, { range: 'bytes=1048570-1048585' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1048570-1048585/${whole.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(1048570, 1048586)));
    const suffix = await get(`${large.mediaFile.baseUrl}=dv`, { range: 'bytes=-10' });
    assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(whole.subarray(-10)));
    const beyond = await get(`${large.mediaFile.baseUrl}=dv`, { range: `bytes=${whole.length}-` });
    assert.equal(beyond.status, 416);
  });

  it('when the bearer token is missing or another account\'s, or the baseUrl has expired, then 403', async () => {
    const [photo] = await listed(1);
    assert.equal((await fetch(`${photo!.mediaFile.baseUrl}=d`)).status, 403);
    const bob = await directAccessToken(emulator, 'bob@example.com');
    assert.equal((await fetch(`${photo!.mediaFile.baseUrl}=d`, { headers: { authorization: `Bearer ${bob}` } })).status, 403);
    assert.equal((await get(`${photo!.mediaFile.baseUrl}`)).status, 400, 'a bare baseUrl is useless');
    emulator.knobs.baseUrlTtlSeconds = 0;
    try {
      const [stale] = await listed(1);
      assert.equal((await get(`${stale!.mediaFile.baseUrl}=d`)).status, 403);
    } finally {
      emulator.knobs.baseUrlTtlSeconds = 3600;
    }
  });

  it('when a client keeps its connection alive, then the emulator holds it idle for minutes, as Google does', async () => {
    const answer = await fetch(`${emulator.url}/__emulator/knobs`);
    await answer.arrayBuffer();
    const seconds = Number(answer.headers.get('keep-alive')?.match(/timeout=(\d+)/)?.[1]);
    assert.ok(seconds >= 60, `Keep-Alive: ${answer.headers.get('keep-alive')}`);
  });

  it('when the client hangs up mid-download, then the log says the request was aborted', async () => {
    const large = (await listed(25)).find((i) => i.mediaFile.filename === 'large-video.mp4')!;
    emulator.clearRequests();
    const controller = new AbortController();
    const response = await fetch(`${large.mediaFile.baseUrl}=dv`, { headers: { authorization: `Bearer ${alice}` }, signal: controller.signal });
    await response.body!.getReader().read();
    controller.abort();
    const deadline = Date.now() + 3_000;
    while (!emulator.requests[0]?.aborted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(emulator.requests[0]?.kind, 'media');
    assert.equal(emulator.requests[0]?.aborted, true);
  });

  it('when mediaBytesPerSecond is set, then a download goes no faster; lifted mid-way, the rest comes at once and whole', async () => {
    const large = (await listed(25)).find((i) => i.mediaFile.filename === 'large-video.mp4')!;
    const rate = 1024 * 1024;
    emulator.knobs.mediaBytesPerSecond = rate;
    try {
      const response = await get(`${large.mediaFile.baseUrl}=dv`);
      const started = performance.now();
      const reader = response.body!.getReader();
      const chunks: Uint8Array[] = [];
      let received = 0;
      while (received < 512 * 1024) {
        const { value } = await reader.read();
        chunks.push(value!);
        received += value!.length;
      }
      const seconds = (performance.now() - started) / 1000;
      // The first slice goes out at once; every byte after it waits its turn.
      assert.ok(seconds >= (received - 16 * 1024) / rate - 0.05, `${received} bytes in ${seconds.toFixed(2)} s at ${rate} B/s`);
      emulator.knobs.mediaBytesPerSecond = 0;
      for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
      const whole = Buffer.from(await (await get(`${large.mediaFile.baseUrl}=dv`)).arrayBuffer());
      assert.ok(Buffer.concat(chunks).equals(whole));
    } finally {
      emulator.knobs.mediaBytesPerSecond = 0;
    }
  });

  it('when the baseUrls are expired, then their bytes are refused with 403 and a new listing gives working ones', async () => {
    const [before] = await listed(1);
    assert.equal((await get(`${before!.mediaFile.baseUrl}=w64`)).status, 200);
    const control = await fetch(`${emulator.url}/__emulator/base-urls/expire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(control.status, 204);
    assert.equal((await get(`${before!.mediaFile.baseUrl}=w64`)).status, 403);
    const [after] = await listed(1);
    assert.equal((await get(`${after!.mediaFile.baseUrl}=w64`)).status, 200);
  });
});

describe('the emulator: videos still processing', () => {
  let emulator: Emulator;
  let alice: string;
  before(async () => {
    emulator = createEmulator({ librarySize: 6 });
    await emulator.listen();
    alice = await directAccessToken(emulator, 'alice@example.com');
  });
  after(() => emulator.close());

  it('when a processing video is finished over HTTP, then its next listing says READY and =dv serves it', async () => {
    const library = (await (await fetch(`${emulator.url}/__emulator/library?account=alice@example.com`)).json()) as Array<{ id: string; processingStatus?: string }>;
    const processing = library.find((item) => item.processingStatus === 'PROCESSING')!;
    const session = (await (await fetch(`${emulator.url}/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${alice}` } })).json()) as { id: string };
    emulator.pick(session.id, { itemIds: [processing.id] });
    const listing = async () => {
      const body = (await (await fetch(`${emulator.url}/v1/mediaItems?sessionId=${session.id}`, { headers: { authorization: `Bearer ${alice}` } })).json()) as {
        mediaItems: Array<{ mediaFile: { baseUrl: string; mediaFileMetadata: { videoMetadata: { processingStatus: string } } } }>;
      };
      return body.mediaItems[0]!.mediaFile;
    };
    const waiting = await listing();
    assert.equal(waiting.mediaFileMetadata.videoMetadata.processingStatus, 'PROCESSING');
    assert.equal((await fetch(`${waiting.baseUrl}=dv`, { headers: { authorization: `Bearer ${alice}` } })).status, 404);

    assert.equal((await fetch(`${emulator.url}/__emulator/items/${processing.id}/finish-processing`, { method: 'POST' })).status, 204);
    const ready = await listing();
    assert.equal(ready.mediaFileMetadata.videoMetadata.processingStatus, 'READY');
    const video = await fetch(`${ready.baseUrl}=dv`, { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(video.status, 200);
    assert.ok(Buffer.from(await video.arrayBuffer()).equals(DEMO_VIDEO));
    assert.equal((await fetch(`${emulator.url}/__emulator/items/not-an-item/finish-processing`, { method: 'POST' })).status, 400);
  });
});

describe('the emulator: several large videos', () => {
  const MIB = 1024 * 1024;
  let emulator: Emulator;
  let alice: string;
  before(async () => {
    emulator = createEmulator({ librarySize: 2, largeVideoBytes: 3 * MIB, largeVideoCount: 3 });
    await emulator.listen();
    alice = await directAccessToken(emulator, 'alice@example.com');
  });
  after(() => emulator.close());

  it('when largeVideoCount is set, then the library ends with that many READY videos of that size, each with bytes of its own', async () => {
    const session = (await (await fetch(`${emulator.url}/v1/sessions`, {
      method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body: '{}',
    })).json()) as { id: string };
    emulator.pick(session.id, { count: 5 });
    const { mediaItems } = (await (await fetch(`${emulator.url}/v1/mediaItems?sessionId=${session.id}&pageSize=100`, {
      headers: { authorization: `Bearer ${alice}` },
    })).json()) as { mediaItems: Array<{ id: string; type: string; mediaFile: { baseUrl: string; filename: string } }> };
    const large = mediaItems.filter((item) => item.mediaFile.filename.startsWith('large-video'));
    assert.deepEqual(large.map((item) => item.mediaFile.filename), ['large-video.mp4', 'large-video-002.mp4', 'large-video-003.mp4']);
    assert.equal(new Set(large.map((item) => item.id)).size, 3);

    const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers: { authorization: `Bearer ${alice}`, ...headers } });
    const digests = new Set<string>();
    for (const item of large) {
      assert.equal(item.type, 'VIDEO');
      const whole = Buffer.from(await (await get(`${item.mediaFile.baseUrl}=dv`)).arrayBuffer());
      assert.equal(whole.length, 3 * MIB);
      digests.add(createHash('sha256').update(whole).digest('hex'));
      const part = await get(`${item.mediaFile.baseUrl}=dv`, { range: `bytes=${MIB - 5}-${MIB + 5}` });
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(MIB - 5, MIB + 6)), 'a range is a slice of the whole');
    }
    assert.equal(digests.size, 3, 'no two videos have the same bytes');
  });
});

describe('the emulator: items a test adds, with bytes and types of their own', () => {
  let emulator: Emulator;
  let alice: string;
  before(async () => {
    emulator = createEmulator({ librarySize: 2 });
    await emulator.listen();
    alice = await directAccessToken(emulator, 'alice@example.com');
  });
  after(() => emulator.close());

  it('when items are added in process and over HTTP, then they are listed with their type, id and filename (none when none was given), and every size serves their bytes as they are', async () => {
    const page = '<!doctype html><script>alert(1)</script>';
    const html = emulator.addItem('alice@example.com', { id: 'id/with/slash', mimeType: 'text/html', text: page });
    const svgAnswer = await fetch(`${emulator.url}/__emulator/library/items`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'alice@example.com', filename: 'logo.svg', mimeType: 'image/svg+xml', base64: Buffer.from('<svg/>').toString('base64') }),
    });
    assert.equal(svgAnswer.status, 200);
    const svg = (await svgAnswer.json()) as { id: string };
    assert.equal(html.id, 'id/with/slash');
    assert.throws(() => emulator.addItem('alice@example.com', { id: 'id/with/slash', mimeType: 'text/plain', text: '' }), /taken/);
    assert.deepEqual(emulator.library('alice@example.com').slice(-2), [{ id: 'id/with/slash', type: 'PHOTO' }, { id: svg.id, type: 'PHOTO', filename: 'logo.svg' }]);

    const auth = { authorization: `Bearer ${alice}` };
    const session = (await (await fetch(`${emulator.url}/v1/sessions`, { method: 'POST', headers: auth })).json()) as { id: string; pickerUri: string };
    const picker = await (await fetch(session.pickerUri, { headers: { cookie: 'emu_account=alice@example.com' } })).text();
    assert.ok(picker.includes(`/thumb/${encodeURIComponent('id/with/slash')}"`), 'the picker page links the thumbnail of an id with a slash');
    emulator.pick(session.id, { itemIds: [html.id, svg.id] });
    const { mediaItems } = (await (await fetch(`${emulator.url}/v1/mediaItems?sessionId=${session.id}`, { headers: auth })).json()) as {
      mediaItems: Array<{ id: string; mediaFile: { baseUrl: string; mimeType: string; filename?: string } }>;
    };
    assert.deepEqual(mediaItems.map((item) => [item.id, item.mediaFile.mimeType, item.mediaFile.filename]), [
      ['id/with/slash', 'text/html', undefined], [svg.id, 'image/svg+xml', 'logo.svg'],
    ]);
    assert.ok(!('filename' in mediaItems[0]!.mediaFile), 'no filename at all, as Google lists an item without one');
    for (const [item, bytes] of [[mediaItems[0]!, page], [mediaItems[1]!, '<svg/>']] as const) {
      for (const parameter of ['=d', '=w512-h512', '=w256-h256-c']) {
        const answer = await fetch(`${item.mediaFile.baseUrl}${parameter}`, { headers: auth });
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('content-type'), item.mediaFile.mimeType, parameter);
        assert.equal(await answer.text(), bytes, parameter);
      }
    }
  });
});
