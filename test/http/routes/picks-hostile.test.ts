import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { parse as parseDisposition } from 'content-disposition';
import { SignJWT, base64url } from 'jose';
import { Redis } from 'ioredis';
import { createEmulator, type Emulator } from '@photos-picker-gateway/google-emulator';
import { consentToSignIn, createPickerSession, eventually, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { newSecret, pickIdOf, signPickRequest, startPick } from '../../helpers/host-apps.ts';
import { filesUnder, importEnded, itemNamed } from '../../helpers/imports.ts';
import { conforms } from '../../helpers/openapi.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../helpers/redis.ts';

const secret = newSecret();
const otherSecret = newSecret();
const APPS = [
  { id: 'shop', name: 'Print Shop', secrets: [secret], returnOrigins: ['https://app.example'], maxItems: 10 },
  { id: 'school', name: 'School', secrets: [otherSecret], returnOrigins: ['https://school.example'] },
];
const LANGUAGES = ['en', 'th', 'bn'] as const;
const catalogues = Object.fromEntries(LANGUAGES.map((lang) => [lang, JSON.parse(readFileSync(new URL(`../../../src/i18n/messages/${lang}.json`, import.meta.url), 'utf8')) as Record<string, string>]));
const titles = Object.fromEntries(LANGUAGES.map((lang) => [lang, catalogues[lang]!['error.invalidPickRequest.title']!]));
const elsewhereTitles = Object.fromEntries(LANGUAGES.map((lang) => [lang, catalogues[lang]!['error.pickNotThisBrowser.title']!]));
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

describe('host apps: hostile pick requests over HTTP, against two replicas on one Redis', () => {
  let emulator: Emulator;
  /** Replica A, where the invalid requests go; B serves the same site from the same Redis. */
  let h: Harness;
  let b: Harness;
  let root: string;
  let redis: Redis;
  let prefix: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-hostile-picks-'));
    prefix = uniquePrefix();
    emulator = createEmulator({ knobs: { pollIntervalSeconds: 1 } });
    await emulator.listen(0, '127.0.0.1');
    const env = { APPS: JSON.stringify(APPS), IMPORT_DESTINATION: `file:${root}`, SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    h = await startHarness({ sharedEmulator: emulator, env: { ...env, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
    b = await startHarness({ sharedEmulator: emulator, env: { ...env, PUBLIC_URL: h.url, TOKEN_ENCRYPTION_KEY: h.config.tokenKeys.map((k) => k.toString('base64')).join(',') } });
    redis = new Redis(SHARED_REDIS_URL);
  });
  after(async () => {
    await h?.close();
    await b?.close();
    await emulator?.close();
    redis?.disconnect();
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
    { name: 'account over 100 characters', token: () => sign({ account: 'a'.repeat(101) }) },
    { name: 'an empty account', token: () => sign({ account: '' }) },
    { name: 'an account that is not a string', token: () => sign({ account: { name: 'ana' } }) },
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

  /**
   * Pick fixation and its kin: a pick's link (/picks/{id}, its continue and cancel) reaches a browser other than the
   * one that presented the request. The starting browser works through replica A and B alike; the other browser
   * comes through B, or through A when the row says so. Each row ends with the starting browser carrying on.
   */
  describe('a pick opened in another browser', () => {
    type Stage = 'pending' | 'picking' | 'cancelled';
    let starter: Client;
    let other: Client;
    let signedOut: Client;

    before(async () => {
      starter = await h.signedInClient();
      other = (await h.signedInClient({ account: 'bob@example.com' })).via(b.url);
      signedOut = b.client();
    });

    const viaB = (client: Client) => client.via(b.url);

    /** A pick of `starter` at `stage`: its id, and its Picker session once it has one. */
    async function pickAt(stage: Stage, popup: boolean): Promise<{ id: string; sessionId?: string }> {
      const start = await starter.get(`/pick?app=shop&request=${await sign()}${popup ? '&mode=popup' : ''}`);
      const id = pickIdOf(start.headers.get('location'));
      assert.ok(id, `GET /pick answered ${start.status}`);
      if (stage === 'picking') {
        const begun = await viaB(starter).post(`/picks/${id}/continue`, { accept: 'json', json: {} });
        assert.equal(begun.status, 201);
        return { id, sessionId: ((await begun.json()) as { id: string }).id };
      }
      if (stage === 'cancelled') assert.equal((await viaB(starter).post(`/picks/${id}/cancel`)).status, 303);
      return { id };
    }

    /** What another browser must not change: the pick's keys and fields, and everyone's Picker sessions at Google. */
    const snapshot = async (id: string) => JSON.stringify({
      keys: (await pickKeys()).sort(),
      pick: await redis.hgetall(`${prefix}pick:${id}`),
      google: ['alice@example.com', 'bob@example.com'].map((account) => emulator.sessionsOf(account)),
    });

    interface Row {
      name: string;
      stage: Stage;
      popup?: boolean;
      /** Who comes: another signed-in user (default), a browser signed in nowhere, or another user holding a key that is not this pick's. */
      who?: 'signed-in' | 'signed-out' | 'own-key' | 'stored-hash';
      /** The replica the other browser comes through (default B). */
      via?: 'A' | 'B';
      method: 'GET' | 'POST';
      path: (id: string) => string;
      accept: 'html' | 'json';
      /** Sent as the form's or JSON body (the other browser's own CSRF token is added). */
      json?: boolean;
    }

    const rows: Row[] = [
      { name: 'pick fixation: the consent page forwarded to another signed-in user', stage: 'pending', method: 'GET', path: (id) => `/picks/${id}`, accept: 'html' },
      { name: 'pick fixation: the consent page forwarded to a browser signed in nowhere (no sign-in is offered)', stage: 'pending', who: 'signed-out', method: 'GET', path: (id) => `/picks/${id}`, accept: 'html' },
      { name: 'pick fixation: the consent page read as JSON', stage: 'pending', via: 'A', method: 'GET', path: (id) => `/picks/${id}`, accept: 'json' },
      { name: 'pick fixation: Continue pressed in the other browser (form)', stage: 'pending', method: 'POST', path: (id) => `/picks/${id}/continue`, accept: 'html' },
      { name: 'pick fixation: Continue pressed in the other browser (JSON)', stage: 'pending', via: 'A', method: 'POST', path: (id) => `/picks/${id}/continue`, accept: 'json', json: true },
      { name: 'pick fixation of a popup\'s pick', stage: 'pending', popup: true, method: 'GET', path: (id) => `/picks/${id}`, accept: 'html' },
      { name: 'another signed-in user cancels a pick waiting for consent', stage: 'pending', method: 'POST', path: (id) => `/picks/${id}/cancel`, accept: 'html' },
      { name: 'another signed-in user cancels a pick being picked (JSON)', stage: 'picking', method: 'POST', path: (id) => `/picks/${id}/cancel`, accept: 'json', json: true },
      { name: 'another signed-in user reads a picking pick (it would lead to the starter\'s session)', stage: 'picking', method: 'GET', path: (id) => `/picks/${id}`, accept: 'html' },
      { name: 'another signed-in user reads an ended pick\'s state and return URL (its redirect)', stage: 'cancelled', method: 'GET', path: (id) => `/picks/${id}`, accept: 'html' },
      { name: 'another signed-in user reads an ended popup pick\'s state (its end page)', stage: 'cancelled', popup: true, via: 'A', method: 'GET', path: (id) => `/picks/${id}`, accept: 'html' },
      { name: 'another user presents their own pick\'s key under this pick\'s cookie', stage: 'pending', who: 'own-key', method: 'POST', path: (id) => `/picks/${id}/continue`, accept: 'html' },
      { name: 'another user presents the hash the store keeps (leaked from Redis)', stage: 'pending', who: 'stored-hash', method: 'GET', path: (id) => `/picks/${id}`, accept: 'html' },
      { name: 'an unknown path under the pick', stage: 'pending', method: 'GET', path: (id) => `/picks/${id}/state`, accept: 'json' },
    ];

    rows.forEach((row, index) => {
      const lang = LANGUAGES[index % LANGUAGES.length]!;
      it(`when ${row.name}, then it is 403 PICK_NOT_THIS_BROWSER (${row.accept === 'html' ? `a page in ${lang}` : 'problem+json'}), nothing of the pick is shown or changed, and its browser carries on`, async () => {
        const { id, sessionId } = await pickAt(row.stage, row.popup === true);
        let intruder = row.who === 'signed-out' ? signedOut : other;
        if (row.via === 'A') intruder = intruder.via(h.url);
        if (row.who === 'own-key') {
          const own = pickIdOf((await intruder.get(`/pick?app=shop&request=${await sign()}`)).headers.get('location'));
          intruder.setCookie(`pick-${id}`, intruder.cookies.get(`pick-${own}`)!);
        }
        if (row.who === 'stored-hash') intruder.setCookie(`pick-${id}`, (await redis.hget(`${prefix}pick:${id}`, 'browser'))!);
        const before = await snapshot(id);

        const answer = await intruder.request(row.method, row.path(id), {
          accept: row.accept,
          headers: { 'accept-language': lang },
          ...(row.json ? { json: {} } : {}),
        });
        const body = await answer.text();
        assert.equal(answer.status, 403, body.slice(0, 200));
        assert.equal(answer.headers.get('location'), null, 'no redirect: not to the app, the session or a sign-in');
        if (row.accept === 'html') {
          assert.match(body, new RegExp(`<html lang="${lang}"`));
          assert.ok(body.includes(elsewhereTitles[lang]!), `the page says ${elsewhereTitles[lang]}`);
        } else {
          assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
          assert.equal((JSON.parse(body) as { code: string }).code, 'PICK_NOT_THIS_BROWSER');
        }
        for (const secretOfThePick of ['order-7', 'app.example', ...(sessionId ? [sessionId] : [])]) assert.ok(!body.includes(secretOfThePick), `the answer shows ${secretOfThePick}`);
        assert.ok(!answer.headers.getSetCookie().some((cookie) => cookie.startsWith('pick-')), 'no pick cookie is handed out');
        assert.equal(await snapshot(id), before, 'the pick, its keys and the Picker sessions are untouched');

        // The pick's own browser, through the other replica, finds it as it left it.
        const own = await viaB(starter).get(`/picks/${id}`, { accept: 'html' });
        if (row.stage === 'pending') {
          assert.equal(own.status, 200);
          assert.match(await own.text(), /Print Shop asks for photos/);
        } else if (row.stage === 'picking') {
          assert.equal(own.headers.get('location'), `/sessions/${sessionId}`);
        } else if (row.popup) {
          assert.equal(own.status, 200);
          assert.match(await own.text(), /data-pick-message="[^"]*order-7/);
        } else {
          assert.equal(new URL(own.headers.get('location')!).searchParams.get('state'), 'order-7');
        }
      });
    });

    it('when the starting browser signs in only after GET /pick, through the other replica, then the pick is still its own: the key is not in the session, whose id changes', async () => {
      const browser = h.client();
      const id = pickIdOf((await browser.get(`/pick?app=shop&request=${await sign()}`)).headers.get('location'))!;
      const toSignIn = await viaB(browser).get(`/picks/${id}`, { accept: 'html' });
      assert.equal(toSignIn.status, 303);
      assert.equal(toSignIn.headers.get('location'), `/auth/google?return_to=${encodeURIComponent(`/picks/${id}`)}`);
      // The sign-in starts on B and Google's redirect back lands on A.
      const callback = new URL(await consentToSignIn(viaB(browser), { returnTo: `/picks/${id}` }));
      const sessionBefore = browser.sessionId;
      const landed = await browser.get(`${callback.pathname}${callback.search}`);
      assert.equal(landed.headers.get('location'), `/picks/${id}`);
      assert.notEqual(browser.sessionId, sessionBefore, 'the session id rotated at sign-in');
      browser.csrfToken = undefined;

      const consent = await viaB(browser).get(`/picks/${id}`, { accept: 'html' });
      assert.equal(consent.status, 200);
      assert.equal((await browser.post(`/picks/${id}/continue`, { accept: 'json', json: {} })).status, 201);
    });

    it('when a /pick?request= link is forwarded unopened, then the pick is the browser\'s that opened it: the sender can neither use the request again nor open the pick, and its state goes back to that browser only (whom to credit is the app\'s call: examples/host-app/test/full-page-flow.test.ts)', async () => {
      const request = await sign();
      const recipient = other;
      const id = pickIdOf((await recipient.get(`/pick?app=shop&request=${request}`)).headers.get('location'))!;
      assert.ok(id);
      const sender = starter;
      const replayed = await sender.get(`/pick?app=shop&request=${request}`, { accept: 'json' });
      assert.equal(replayed.status, 400, 'the request is single use');
      assert.equal((await sender.get(`/picks/${id}`, { accept: 'json' })).status, 403);
      const cancelled = await recipient.post(`/picks/${id}/cancel`);
      assert.equal(new URL(cancelled.headers.get('location')!).searchParams.get('state'), 'order-7', 'the state returns in the recipient\'s browser');
    });
  });

});

/**
 * Items whose bytes a browser would run or render on the gateway's origin, and names and ids made to climb out of
 * their folder, against every route that serves an item's bytes, before the import (proxied from Google) and after
 * it (from the destination), for a person's own pick and a host app's.
 */
describe('hostile items and names over HTTP', () => {
  const LOOK_ALIKE = '<!doctype html><script src="/static/app.js"></script><p>Print Shop: sign in again</p>';
  const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>parent.postMessage("pick", "*")</script></svg>';

  interface Hostile {
    what: string;
    added: { id?: string; filename?: string; mimeType: string; text: string };
    /** The name it is downloaded and stored as. */
    name: string;
  }
  const HOSTILE: Hostile[] = [
    { what: 'Google reports as text/html, with no filename and the id id/with/slash', added: { id: 'id/with/slash', mimeType: 'text/html', text: LOOK_ALIKE }, name: 'id_with_slash.jpg' },
    { what: 'Google reports as image/svg+xml', added: { filename: 'logo.svg', mimeType: 'image/svg+xml', text: SVG }, name: 'logo.svg' },
    { what: 'Google reports as application/xhtml+xml, named to climb out of its folder', added: { filename: 'รูป/../../escape.xhtml', mimeType: 'application/xhtml+xml', text: LOOK_ALIKE }, name: 'รูป_.._.._escape.xhtml' },
    { what: 'is named as a Windows device (CON.txt)', added: { filename: 'CON.txt', mimeType: 'text/plain', text: 'the console' }, name: '_CON.txt' },
  ];

  let h: Harness;
  let root: string;
  const ids = new Map<Hostile, string>();
  let photoId: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-hostile-items-'));
    h = await startHarness({
      env: { APPS: JSON.stringify(APPS), IMPORT_DESTINATION: `file:${root}`, SESSION_STORE: 'redis', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix() },
      emulator: { librarySize: 2, knobs: { pollIntervalSeconds: 1 } },
    });
    for (const item of HOSTILE) ids.set(item, h.emulator.addItem('alice@example.com', item.added).id);
    photoId = itemNamed(h.emulator, 'photo-001.png');
  });
  // A test that fails while Google is held back must not hold back the next one.
  afterEach(() => h.emulator.clearFaults());
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  const picked = () => [...ids.values(), photoId];

  /** What every answer with an item's bytes carries, whatever its status. */
  function assertGuarded(answer: Response, what: string) {
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(answer.headers.get('content-security-policy'), 'sandbox', what);
  }

  /** An item that must not render: bytes as application/octet-stream, saved under its cleaned name. */
  function assertAttachment(answer: Response, name: string, what: string) {
    assertGuarded(answer, what);
    assert.equal(answer.headers.get('content-type'), 'application/octet-stream', what);
    const disposition = parseDisposition(answer.headers.get('content-disposition') ?? '');
    assert.equal(disposition.type, 'attachment', what);
    assert.equal(disposition.parameters.filename, name, `${what}: saved as ${name}`);
  }

  /**
   * Asks `base` (the item's content URL, on the session route or the API) for the item whole, as a thumbnail, as a
   * range, by HEAD and with download=1: none of it renders, and all of it says the cleaned name.
   */
  async function assertNeverRenders(get: (target: string, init?: { method?: string; range?: string }) => Promise<Response>, base: string, item: Hostile, thumbnails: boolean) {
    const whole = await get(base);
    assert.equal(whole.status, 200, base);
    assertAttachment(whole, item.name, `${item.what}: whole`);
    assert.equal(await whole.text(), item.added.text);
    const part = await get(base, { range: 'bytes=2-9' });
    assert.equal(part.status, 206);
    assertAttachment(part, item.name, `${item.what}: a range`);
    assert.equal(await part.text(), item.added.text.slice(2, 10));
    const beyond = await get(base, { range: 'bytes=100000-' });
    assert.equal(beyond.status, 416);
    assertGuarded(beyond, `${item.what}: a range beyond its end`);
    const head = await get(base, { method: 'HEAD' });
    assertAttachment(head, item.name, `${item.what}: HEAD`);
    assertAttachment(await get(`${base}?download=1`), item.name, `${item.what}: download=1`);
    if (thumbnails) assertAttachment(await get(`${base}?w=256&h=256&crop=1`), item.name, `${item.what}: its thumbnail`);
  }

  async function assertPhotoInline(get: (target: string, init?: { method?: string; range?: string }) => Promise<Response>, base: string) {
    for (const [target, range] of [[base, undefined], [base, 'bytes=0-9']] as const) {
      const answer = await get(target, range ? { range } : {});
      assert.equal(answer.status, range ? 206 : 200);
      assertGuarded(answer, 'a photo');
      assert.equal(answer.headers.get('content-type'), 'image/png');
      assert.equal(answer.headers.get('content-disposition'), null, 'a photo shows in the browser');
    }
    const saved = await get(`${base}?download=1`);
    assert.equal(saved.headers.get('content-type'), 'image/png');
    assert.equal(parseDisposition(saved.headers.get('content-disposition') ?? '').parameters.filename, 'photo-001.png');
  }

  const browserGet = (client: Client) => (target: string, init: { method?: string; range?: string } = {}) =>
    client.request(init.method ?? 'GET', target, init.range ? { headers: { range: init.range } } : {});
  const contentPath = (sessionId: string, itemId: string) => `/sessions/${sessionId}/media-items/${encodeURIComponent(itemId)}/content`;

  it('when a person picks such items, then before the import (from Google) and after it (from the destination) none renders, every answer is nosniff and sandboxed, names are cleaned, and no page or JSON shows where the files are', async () => {
    const alice = await h.signedInClient();
    const get = browserGet(alice);
    const id = await createPickerSession(alice);
    // Google's answer to sessions.get is held back: the gateway cannot learn that the session is picked, so nothing
    // is imported yet and every byte below comes from Google.
    h.emulator.injectFault({ method: 'GET', path: '/v1/sessions/', hang: true, times: 1_000 });
    h.emulator.pick(id, { itemIds: picked() });
    for (const item of HOSTILE) await assertNeverRenders(get, contentPath(id, ids.get(item)!), item, true);
    await assertPhotoInline(get, contentPath(id, photoId));
    assert.deepEqual(await filesUnder(root), [], 'nothing was imported yet');

    h.emulator.clearFaults();
    const state = await importEnded(alice, id);
    assert.equal(state.status, 'done', JSON.stringify(state.items.map((item) => item.error)));
    const folder = path.posix.dirname(state.manifestKey!);
    assert.match(folder, new RegExp(`^users/[A-Za-z0-9_-]+/${id}$`));
    for (const item of HOSTILE) {
      const stored = state.items.find((candidate) => candidate.id === ids.get(item))!;
      assert.equal(stored.key, `${folder}/${item.name}`, `${item.what}: stored in the folder, as ${item.name}`);
      assert.equal(await readFile(path.join(root, stored.key), 'utf8'), item.added.text);
      await assertNeverRenders(get, contentPath(id, stored.id), item, true);
    }
    await assertPhotoInline(get, contentPath(id, photoId));
    const files = await filesUnder(root);
    assert.ok(files.every((file) => path.posix.dirname(file) === folder), `no file outside the import's folder: ${files.join(', ')}`);

    const json = await alice.get(`/sessions/${id}/import`, { accept: 'json' });
    const page = await alice.get(`/sessions/${id}`, { accept: 'html' });
    for (const [what, text] of [['the import\'s JSON', await json.text()], ['the session page', await page.text()]]) {
      assert.doesNotMatch(text!, /"destination"/, what);
      assert.ok(!text!.includes(root) && !text!.includes('file:'), `${what} shows no storage location`);
    }
  });

  it('when a host app\'s pick has such items, then its folder is named by the pick id, not Google\'s session id; the manifest and the API say the same keys; and the API serves none of them to render', async () => {
    const browser = await h.signedInClient();
    const pick = await startPick(browser, 'shop', await signPickRequest({ audience: h.config.publicUrl.href, app: 'shop', secret }));
    const begun = await browser.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    const sessionId = ((await begun.json()) as { id: string }).id;
    h.emulator.pick(sessionId, { itemIds: picked() });
    const api = async (target: string, init: { method?: string; range?: string } = {}) => conforms(
      await fetch(`${h.url}/api/v1${target}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${secret}`, ...(init.range ? { range: init.range } : {}) } }),
      init.method ?? 'GET',
    );
    const report = await eventually(async () => {
      const body = (await (await api(`/picks/${pick}`)).json()) as { status: string; items: Array<{ id: string; key: string; filename: string }> };
      return body.status === 'done' ? body : undefined;
    }, 'the pick is done', 45_000);

    const folder = path.posix.dirname(report.items[0]!.key);
    assert.match(folder, new RegExp(`^apps/shop/[A-Za-z0-9_-]+/${pick}$`));
    assert.ok(report.items.every((item) => path.posix.dirname(item.key) === folder && !item.key.includes(sessionId)), 'every key in the pick\'s folder, none named by Google\'s session id');
    const manifest = JSON.parse(await readFile(path.join(root, folder, 'manifest.json'), 'utf8')) as { pick: string; items: Array<{ id: string; key: string }> };
    assert.equal(manifest.pick, pick);
    assert.deepEqual(manifest.items.map(({ id, key }) => ({ id, key })).sort((a, b) => a.key.localeCompare(b.key)), report.items.map(({ id, key }) => ({ id, key })).sort((a, b) => a.key.localeCompare(b.key)));

    for (const item of HOSTILE) {
      assert.equal(report.items.find((candidate) => candidate.id === ids.get(item))!.filename, item.name);
      await assertNeverRenders(api, `/picks/${pick}/items/${encodeURIComponent(ids.get(item)!)}/content`, item, false);
    }
    await assertPhotoInline(api, `/picks/${pick}/items/${photoId}/content`);
  });
});
