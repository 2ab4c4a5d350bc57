import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../helpers/harness.ts';

describe('embed.js', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  /** What pages that pinned v1 hold in their integrity attribute: v1's bytes may never change. */
  const V1_PINNED = 'sha384-gktZHLF2oxSSuKC50bbn7qL2Y8L6tnbkO+HJAr3jL0BjdAJd+dAvf0Itda8Y9LMa';
  const sha384 = (bytes: Buffer) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

  it('when it is fetched again and again, from any URL, then the bytes are the same, so an app can pin them with SRI, and v1 is still the v1 apps pinned', async () => {
    const v1 = await readFile(new URL('../../../public/embed/v1.js', import.meta.url));
    const v2 = await readFile(new URL('../../../public/embed/v2.js', import.meta.url));
    assert.equal(sha384(v1), V1_PINNED);
    const expected: Array<[string, Buffer]> = [['/embed/v1.js', v1], ['/embed/v1.js', v1], ['/embed/v2.js', v2], ['/embed/v2.js', v2], ['/embed.js', v2]];
    const answers = await Promise.all(expected.map(([path]) => fetch(`${h.url}${path}`)));
    for (const [index, answer] of answers.entries()) {
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(sha384(Buffer.from(await answer.arrayBuffer())), sha384(expected[index]![1]), expected[index]![0]);
    }
    assert.match(v2.toString('utf8').split('\n').slice(0, 5).join('\n'), /PhotosPickerGateway\.pick\(\{ request, app\?, onProgress\? \}\): Promise<\{ pick: string \| null, status: Status, state: string \| null \}>/);
  });

  it('when another origin loads it, then it may (CORP cross-origin, and CORS for SRI), with no cookie and a year\'s cache on the versioned URL', async () => {
    for (const path of ['/embed/v1.js', '/embed/v2.js']) {
      const versioned = await fetch(`${h.url}${path}`, { headers: { origin: 'https://app.example' } });
      assert.equal(versioned.headers.get('cross-origin-resource-policy'), 'cross-origin');
      assert.equal(versioned.headers.get('access-control-allow-origin'), '*');
      assert.equal(versioned.headers.get('access-control-allow-credentials'), null);
      assert.equal(versioned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.deepEqual(versioned.headers.getSetCookie(), []);
    }
    const current = await fetch(`${h.url}/embed.js`);
    assert.equal(current.headers.get('cache-control'), 'public, max-age=86400');
    assert.equal(current.headers.get('cross-origin-resource-policy'), 'cross-origin');
    // Only embed.js: the gateway's pages and scripts stay its own.
    assert.equal((await fetch(`${h.url}/`)).headers.get('cross-origin-resource-policy'), 'same-origin');
  });

  it('when the browser has it already, then a revalidation is a 304 without the bytes', async () => {
    const first = await fetch(`${h.url}/embed/v1.js`);
    const etag = first.headers.get('etag');
    assert.ok(etag);
    // As a browser revalidates (fetch() would otherwise add no-cache to a conditional request).
    const again = await fetch(`${h.url}/embed/v1.js`, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    assert.equal(again.status, 304);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
  });
});
