import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it, mock } from 'node:test';
import { gatewayMessages } from '../../../src/i18n/index.ts';
import { startHarness, type Harness } from '../../helpers/harness.ts';

describe('error answers', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { BODY_LIMIT_BYTES: '1024' } });
  });
  after(() => h.close());

  /** A POST with a body as written, from this site, before any session: body-parser fails before the locale middleware runs. */
  const post = (body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) =>
    fetch(`${h.url}/sessions`, { method: 'POST', headers: { origin: h.url, 'content-type': 'application/json', ...headers }, body });

  const titleOf = (html: string) => html.match(/<title>([^<]*) · /)?.[1];

  it('when a client asks for application/problem+json, then it gets problem details', async () => {
    const response = await fetch(`${h.url}/nope`, { headers: { accept: 'application/problem+json' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(((await response.json()) as { code: string }).code, 'NOT_FOUND');
  });

  for (const [name, body, headers, status, code, key] of [
    ['the JSON is malformed', '{"maxItemCount":', {}, 400, 'MALFORMED_BODY', 'error.malformedBody'],
    ['the body is over the limit', `{"x":"${'a'.repeat(2_000)}"}`, {}, 413, 'PAYLOAD_TOO_LARGE', 'error.payloadTooLarge'],
    ['the charset is unknown', '{}', { 'content-type': 'application/json; charset=klingon' }, 415, 'UNSUPPORTED_MEDIA_TYPE', 'error.unsupportedMediaType'],
    ['the content encoding is unknown', '{}', { 'content-encoding': 'x-squash' }, 415, 'UNSUPPORTED_MEDIA_TYPE', 'error.unsupportedMediaType'],
  ] as const) {
    it(`when ${name}, then a browser gets a ${status} page in its language and a JSON client gets code ${code}`, async () => {
      for (const locale of ['th', 'bn'] as const) {
        const page = await post(body, { ...headers, accept: 'text/html', 'accept-language': locale });
        assert.equal(page.status, status);
        assert.match(page.headers.get('content-type')!, /^text\/html/);
        const html = await page.text();
        assert.match(html, new RegExp(`<html lang="${locale}">`));
        assert.equal(titleOf(html), gatewayMessages.translator(locale)(`${key}.title`));
      }
      const api = await post(body, { ...headers, accept: 'application/json' });
      assert.equal(api.status, status);
      const problem = (await api.json()) as { code: string; title: string; detail: string };
      assert.equal(problem.code, code);
      assert.equal(problem.title, gatewayMessages.translator('en')(`${key}.title`));
      assert.ok(problem.detail && problem.detail !== problem.title);
    });
  }

  it('when a body is gzipped, then it is unpacked and read (the encoding check refuses only unknown encodings)', async () => {
    const response = await post(new Uint8Array(gzipSync('{"maxItemCount":')), { 'content-encoding': 'gzip', accept: 'application/json' });
    assert.equal(((await response.json()) as { code: string }).code, 'MALFORMED_BODY', 'unpacked, then found cut short');
  });

  it('when saving the session fails after an error page went out, then the failure is logged through pino, not printed to stderr', async () => {
    const client = await h.signedInClient(); // no page seen yet: the 404 page makes its CSRF token, so the session changes
    const store = h.stores.sessionStore;
    store.set = (_sid, _session, callback) => callback?.(new Error('the session store is away'));
    const stderr = mock.method(process.stderr, 'write');
    try {
      assert.equal((await client.get('/nope', { accept: 'html' })).status, 404);
      const deadline = Date.now() + 2_000;
      while (!h.logs.some((line) => line.includes('the session store is away')) && Date.now() < deadline) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const logged = h.logs.find((line) => line.includes('the session store is away'));
      assert.ok(logged, 'the failure reached the logger');
      assert.equal(JSON.parse(logged).level, 50);
      assert.equal(stderr.mock.callCount(), 0, String(stderr.mock.calls[0]?.arguments[0]));
    } finally {
      stderr.mock.restore();
      delete (store as Partial<typeof store>).set;
    }
  });
});
