import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Client, type Harness } from '../helpers/harness.ts';

/** Sends a request exactly as written (odd methods, raw paths, broken headers), resolving to the status. */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers, insecureHTTPParser: true }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('hostile and malformed requests', () => {
  let h: Harness;
  let alice: Client;
  before(async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'warn', RATE_LIMIT_SIGNIN: '100000', RATE_LIMIT_SESSIONS: '100000' } });
    alice = await h.signedInClient();
    await alice.refreshCsrf();
  });
  after(() => h.close());

  it('when hundreds of them arrive, then none gets a 5xx and the service keeps serving', async () => {
    const cookie = [...alice.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = alice.csrfToken!;
    const jsonHeaders = { cookie, origin: h.url, 'x-csrf-token': csrf, 'content-type': 'application/json', accept: 'application/json' };
    const cases: Array<() => Promise<number>> = [];
    const bodies = ['{', '{"maxItemCount":', '[]', 'null', '"x"', '{"maxItemCount":{"$gt":1}}', '{"requestId":["a","b"]}', '\u0000\u0001', '{"__proto__":{"polluted":1}}', 'x'.repeat(70_000)];
    for (const body of bodies) cases.push(() => raw(h.url, 'POST', '/sessions', jsonHeaders, body));
    for (const body of ['maxItemCount=1&maxItemCount=2', `_csrf=${csrf}&maxItemCount[]=3`, '%%%', `_csrf=${csrf}&${'a=1&'.repeat(2_000)}`, 'x'.repeat(100_000)]) {
      cases.push(() => raw(h.url, 'POST', '/sessions', { cookie, origin: h.url, 'content-type': 'application/x-www-form-urlencoded' }, body));
    }
    for (const method of ['PROPFIND', 'TRACE', 'PATCH', 'PUT', 'OPTIONS', 'HEAD', 'DELETE', 'CONNECT_X', 'M-SEARCH']) {
      for (const path of ['/', '/sessions', '/auth/google', '/sessions/x/media-items', '/metrics']) {
        cases.push(() => raw(h.url, method, path, { cookie, origin: h.url, 'x-csrf-token': csrf }));
      }
    }
    const paths = [
      '/static/../../../../etc/passwd', '/static/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/static/%00', '/sessions/%ff',
      '/sessions/' + 'a'.repeat(5_000), '/sessions/x/media-items?pageSize=abc', '/sessions/x/media-items?pageSize[]=1',
      '/sessions/x/media-items/y/content?w=-1&h=1e9', '/auth/google?return_to[]=/x', '/auth/google?return_to=%0d%0aSet-Cookie:x=1',
      '/auth/google/callback?state[]=1&code[]=2', '/auth/google/callback?state=' + 'x'.repeat(10_000), '/?lang[]=th', '/?lang=xx',
      '/sessions/%E0%A4%A', '//evil.example/', '/\\evil.example', '/sessions/x/../../../etc/passwd', '/%',
      // Repeated query parameters arrive as arrays.
      '/sessions/x/media-items?pageSize=1&pageSize=2', '/sessions/x/media-items?pageToken=a&pageToken=b',
      '/sessions/x/media-items/y/content?w=1&w=2&crop=1&crop=0', '/?lang=th&lang=bn', '/auth/google?return_to=/a&return_to=/b',
      '/auth/google/callback?state=a&state=b&code=c', '/sessions/x/media-items?pageSize=0x2', '/sessions/x/media-items?pageSize=%201',
    ];
    for (const path of paths) {
      cases.push(() => raw(h.url, 'GET', path, { cookie }));
      cases.push(() => raw(h.url, 'GET', path, { cookie, accept: 'application/json' }));
    }
    const junkHeaders: Record<string, string>[] = [
      { 'accept-language': ';;;q=abc,,,*' }, { 'accept-language': 'x'.repeat(4_000) }, { accept: '*/*;q=nope' }, { accept: 'application/json;q=2, text/html;q=-1' },
      { range: 'bytes=9-1' }, { range: 'bytes=abc' }, { 'x-request-id': '\u00ff'.repeat(10) }, { 'x-request-id': 'a'.repeat(500) },
      { cookie: 'sid=' + 'x'.repeat(3_000) }, { cookie: '=;=;;' }, { cookie: 'sid=s%3Aforged.signature' }, { 'content-type': 'application/json; charset=klingon' },
      { 'x-forwarded-for': 'not an ip' }, { 'x-forwarded-proto': 'gopher' }, { host: 'evil.example' }, { 'if-none-match': '"' },
      // Malformed cookies, alone and beside a valid session.
      { cookie: 'lang=%' }, { cookie: 'lang=%E0%A4' }, { cookie: `${cookie}; lang=%` }, { cookie: `${cookie}; lang=%E0%A4; lang=th` },
      { cookie: 'sid=%' }, { cookie: 'sid=s%3A%ZZ.sig' }, { cookie: `sid=a; sid=b; ${cookie}` },
      // Accept-Language in every broken shape.
      { 'accept-language': 'th;q=' }, { 'accept-language': 'bn;q=1.5, th;q=-1' }, { 'accept-language': '*;q=0' }, { 'accept-language': 'th-TH-x-%%%' },
      { 'accept-language': ',' }, { 'accept-language': 'en;q=0.9;q=0.8' },
    ];
    for (const headers of junkHeaders) {
      for (const path of ['/', '/sessions/x', '/auth/google', '/healthz']) cases.push(() => raw(h.url, 'GET', path, headers));
      cases.push(() => raw(h.url, 'POST', '/sessions', { ...headers, origin: h.url }, '{}'));
    }
    // Repeat the whole set to pass a few hundred, interleaved with real traffic.
    const statuses: Array<{ index: number; status: number }> = [];
    for (let round = 0; round < 2; round++) {
      for (const [index, send] of cases.entries()) statuses.push({ index, status: await send() });
      assert.equal((await alice.get('/', { accept: 'html' })).status, 200);
    }
    assert.ok(statuses.length >= 300, `sent ${statuses.length}`);
    const serverErrors = statuses.filter((s) => s.status >= 500);
    assert.deepEqual(serverErrors, []);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    assert.equal((await alice.post('/sessions', { accept: 'json', json: {} })).status, 201);
    assert.equal((globalThis as { polluted?: unknown }).polluted, undefined);
  });
});
