import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, base64url } from 'jose';
import { createClient } from 'redis';
import { startHarness, type Harness } from '../../helpers/harness.ts';
import { newSecret, signPickRequest } from '../../helpers/host-apps.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';

const secret = newSecret();
const otherSecret = newSecret();
const APPS = [
  { id: 'shop', name: 'Print Shop', secrets: [secret], returnOrigins: ['https://app.example'], maxItems: 10 },
  { id: 'school', name: 'School', secrets: [otherSecret], returnOrigins: ['https://school.example'] },
];
const LANGUAGES = ['en', 'th', 'bn'] as const;
const titles = Object.fromEntries(LANGUAGES.map((lang) => {
  const catalogue = JSON.parse(readFileSync(new URL(`../../../src/i18n/messages/${lang}.json`, import.meta.url), 'utf8')) as Record<string, string>;
  return [lang, catalogue['error.invalidPickRequest.title']!];
}));
const now = () => Math.floor(Date.now() / 1000);

/**
 * GET `target` with exactly these headers on a connection of its own; resolves to the status (Node's own 431
 * included), or 'reset' when the server closed the connection while the request was still being sent.
 */
function rawGet(base: string, target: string, headers: Record<string, string>): Promise<number | 'reset'> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path: target, headers: { connection: 'close', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve('reset') : reject(error)));
    req.end();
  });
}

describe('host apps: hostile pick requests over HTTP', () => {
  let h: Harness;
  let root: string;
  let redis: ReturnType<typeof createClient>;
  let prefix: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-hostile-picks-'));
    prefix = uniquePrefix();
    h = await startHarness({
      env: { APPS: JSON.stringify(APPS), IMPORT_DESTINATION: `file:${root}`, SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix },
    });
    redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
  });
  after(async () => {
    await h.close();
    await redis.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Every key a pick leaves in the shared store (`pick:{id}`, `pick:{id}:taken`, `pick:by-session:…`). */
  const pickKeys = () => redis.keys(`${prefix}pick:*`);
  const sign = (claims: Record<string, unknown> = {}, options: { key?: string; alg?: string } = {}) =>
    signPickRequest({ audience: h.config.publicUrl.href, app: 'shop', secret: options.key ?? secret, claims, ...(options.alg ? { alg: options.alg } : {}) });

  const cases: Array<{ name: string; app?: string; token: () => Promise<string> }> = [
    {
      name: 'alg none',
      token: async () => `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({
        iss: 'shop', aud: h.config.publicUrl.href, sub: 'customer-1', iat: now(), exp: now() + 300, jti: randomUUID(), return_to: 'https://app.example/back',
      }))}.`,
    },
    { name: 'HS512', token: () => sign({}, { alg: 'HS512' }) },
    {
      name: 'RS256',
      token: () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return new SignJWT({ sub: 'customer-1', return_to: 'https://app.example/back', jti: randomUUID() })
          .setProtectedHeader({ alg: 'RS256' }).setIssuer('shop').setAudience(h.config.publicUrl.href).setIssuedAt().setExpirationTime('5m').sign(privateKey);
      },
    },
    { name: 'another app\'s secret', token: () => sign({}, { key: otherSecret }) },
    { name: 'expired', token: () => sign({ iat: now() - 400, exp: now() - 60 }) },
    { name: 'iat in the future', token: () => sign({ iat: now() + 120, exp: now() + 300 }) },
    { name: 'the wrong aud', token: () => sign({ aud: 'https://elsewhere.example/' }) },
    {
      name: 'a replayed jti',
      token: async () => {
        const token = await sign();
        assert.equal(await rawGet(h.url, `/pick?app=shop&request=${token}`, {}), 303, 'the first use is accepted');
        return token;
      },
    },
    { name: 'return_to on a foreign origin', token: () => sign({ return_to: 'https://evil.test/steal' }) },
    { name: 'return_to with credentials before a foreign host', token: () => sign({ return_to: 'https://app.example@evil.test/' }) },
    { name: 'return_to on a look-alike host', token: () => sign({ return_to: 'https://app.example.evil.test/' }) },
    { name: 'return_to javascript:', token: () => sign({ return_to: 'javascript:alert(document.cookie)' }) },
    { name: 'return_to relative', token: () => sign({ return_to: '/back' }) },
    { name: 'return_to over-long', token: () => sign({ return_to: `https://app.example/${'a'.repeat(3_000)}` }) },
    { name: 'max_items 0', token: () => sign({ max_items: 0 }) },
    { name: 'max_items 2001', token: () => sign({ max_items: 2001 }) },
    { name: 'state over 512 characters', token: () => sign({ state: 's'.repeat(513) }) },
    { name: 'an unknown app', app: 'nobody', token: () => sign({ iss: 'nobody' }) },
    { name: 'a token over 8 KB that Node still takes (about 11 KB)', token: () => sign({ pad: 'p'.repeat(8 * 1024) }) },
  ];

  cases.forEach(({ name, app = 'shop', token: tokenFor }, index) => {
    const lang = LANGUAGES[index % LANGUAGES.length]!;
    it(`when the request has ${name}, then it is 400 (a page in ${lang}, or problem+json), nothing is created, and the log says why without the token`, async () => {
      const token = await tokenFor();
      const keysBefore = await pickKeys();
      const logsBefore = h.logs.length;
      const target = `${h.url}/pick?app=${app}&request=${token}`;

      const page = await fetch(target, { headers: { accept: 'text/html', 'accept-language': lang }, redirect: 'manual' });
      assert.equal(page.status, 400);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      assert.match(html, new RegExp(`<html lang="${lang}"`));
      assert.ok(html.includes(titles[lang]!), `the page says ${titles[lang]}`);

      const json = await fetch(target, { headers: { accept: 'application/json' }, redirect: 'manual' });
      assert.equal(json.status, 400);
      assert.match(json.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(((await json.json()) as { code: string }).code, 'INVALID_PICK_REQUEST');
      assert.equal(json.headers.get('set-cookie'), null);

      assert.deepEqual(await pickKeys(), keysBefore, 'no pick is created');
      const logs = h.logs.slice(logsBefore);
      const refusals = logs.map((line) => JSON.parse(line) as { event?: string; reason?: string }).filter((line) => line.event === 'pick_request_refused');
      assert.equal(refusals.length, 2);
      assert.ok(refusals.every((line) => typeof line.reason === 'string' && line.reason.length > 0));
      const signature = token.split('.')[2] || token.split('.')[1]!;
      assert.ok(!logs.some((line) => line.includes(signature)), 'the token is logged');
    });
  });

  it('when the token is 100 KB, then Node refuses the request line with 431 before the gateway reads it, and the largest that Node takes is a 400', async () => {
    const keysBefore = await pickKeys();
    const logsBefore = h.logs.length;
    const statusFor = async (padding: number) =>
      rawGet(h.url, `/pick?app=shop&request=${await sign({ pad: 'p'.repeat(padding) })}`, { accept: 'application/json' });
    // Node answers 431 and closes; a client still sending its 100 KB may see the connection reset instead.
    assert.ok([431, 'reset'].includes(await statusFor(100 * 1024)));
    // The edge: the longest request line Node accepts (its 16 KB header limit, less the request's few headers).
    let taken = 8 * 1024;
    let refused = 100 * 1024;
    while (refused - taken > 1) {
      const middle = Math.floor((taken + refused) / 2);
      if ((await statusFor(middle)) !== 400) refused = middle;
      else taken = middle;
    }
    assert.equal(await statusFor(taken), 400);
    assert.equal(await statusFor(taken + 1), 431);
    assert.deepEqual(await pickKeys(), keysBefore, 'no pick is created');
    assert.ok(!h.logs.slice(logsBefore).some((line) => line.includes('p'.repeat(1024))), 'no token is logged');
  });
});
