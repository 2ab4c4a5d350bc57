import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import { secretKey } from '../../../src/domain/host-apps.ts';
import { Client as Browser, eventually, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { assertSchema, conforms } from '../../helpers/openapi.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;
const APPS = [
  { id: 'shop', name: 'Print Shop', secrets: [secret], returnOrigins: ['https://app.example'], maxItems: 10 },
  { id: 'school', name: 'School', secrets: [otherSecret], returnOrigins: ['https://school.example'] },
];

async function pickRequest(h: Harness, claims: Record<string, unknown> = {}, key = secret): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ return_to: 'https://app.example/back?from=gateway', state: 'order-7', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('shop').setAudience(h.config.publicUrl.href).setSubject('customer-1').setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID())
    .sign(secretKey(key));
  assertSchema('/components/schemas/PickRequestClaims', decodeJwt(token), 'the signed request\'s claims');
  return token;
}

const pickIdOf = (location: string | null) => location?.match(/^\/picks\/([\w-]+)$/)?.[1];

/** A Set-Cookie line as its name, value and attributes (lower-case names). */
function parseSetCookie(line: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
  const attributes = new Map(rest.map((attribute) => {
    const [key = '', value = ''] = attribute.split('=');
    return [key.toLowerCase(), value];
  }));
  return { name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1), attributes };
}

const FOR_ACCOUNT = Object.fromEntries((['en', 'th', 'bn'] as const).map((lang) => [
  lang,
  (JSON.parse(readFileSync(new URL(`../../../src/i18n/messages/${lang}.json`, import.meta.url), 'utf8')) as Record<string, string>)['pick.forAccount']!,
]));
const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

describe('host apps: a pick from request to return', () => {
  let h: Harness;
  let root: string;
  let client: Client;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-picks-'));
    h = await startHarness({ env: { APPS: JSON.stringify(APPS), IMPORT_DESTINATION: `file:${root}` }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    client = await h.signedInClient();
  });
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when the user continues and picks, then the items land in the app\'s folder, the API has them, and the user goes back with pick, status and state', async () => {
    const start = await conforms(await client.get(`/pick?app=shop&request=${await pickRequest(h)}`));
    assert.equal(start.status, 303);
    const pick = pickIdOf(start.headers.get('location'));
    assert.ok(pick);
    const consent = await client.get(`/picks/${pick}`, { accept: 'html' });
    assert.equal(consent.status, 200);
    assert.match(await consent.text(), /Print Shop asks for photos from your Google Photos/);
    const begun = await client.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    assert.equal(begun.status, 201);
    const { id: sessionId } = (await begun.json()) as { id: string };
    h.emulator.pick(sessionId, { count: 2 });

    const api = async (p: string) => conforms(await fetch(`${h.url}/api/v1/picks/${p}`, { headers: { authorization: `Bearer ${secret}` } }));
    const body = await eventually(async () => {
      const answer = (await (await api(pick)).json()) as { status: string; items: Array<{ id: string; key: string; sha256: string }> };
      return answer.status === 'done' ? answer : undefined;
    }, 'the pick is done');
    assert.equal(body.items.length, 2);
    assert.match(body.items[0]!.key, /^apps\/shop\/[\w-]+\//);
    const file = await readFile(path.join(root, body.items[0]!.key));
    const content = await conforms(await fetch(`${h.url}/api/v1/picks/${pick}/items/${body.items[0]!.id}/content`, { headers: { authorization: `Bearer ${secret}` } }));
    assert.equal(content.status, 200);
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), file);

    const asked = async (headers: Record<string, string>) => (await conforms(await fetch(`${h.url}/api/v1/picks/${pick}`, { headers }))).status;
    assert.equal(await asked({ authorization: `Bearer ${otherSecret}` }), 404, 'another app');
    assert.equal(await asked({}), 401);
    assert.equal(await asked({ authorization: 'Bearer whsec_wrong' }), 401);
  });

  it('when the user cancels, then they go back to return_to with status cancelled and the state', async () => {
    const start = await client.get(`/pick?app=shop&request=${await pickRequest(h)}`);
    const pick = pickIdOf(start.headers.get('location'))!;
    const cancelled = await client.post(`/picks/${pick}/cancel`);
    assert.equal(cancelled.status, 303);
    const back = new URL(cancelled.headers.get('location')!);
    assert.equal(back.origin + back.pathname, 'https://app.example/back');
    assert.equal(back.searchParams.get('from'), 'gateway');
    assert.equal(back.searchParams.get('pick'), pick);
    assert.equal(back.searchParams.get('status'), 'cancelled');
    assert.equal(back.searchParams.get('state'), 'order-7');
  });

  it('when GET /pick answers, then it hands this browser the pick\'s key in pick-{id}: HttpOnly, SameSite=Lax, kept to the pick\'s path, for a day', async () => {
    const start = await client.get(`/pick?app=shop&request=${await pickRequest(h)}`);
    const pick = pickIdOf(start.headers.get('location'))!;
    const cookies = start.headers.getSetCookie().map(parseSetCookie).filter((cookie) => cookie.name.includes('pick'));
    assert.equal(cookies.length, 1);
    const [cookie] = cookies;
    assert.equal(cookie!.name, `pick-${pick}`);
    assert.match(cookie!.value, /^[\w-]{43}$/, 'an unguessable key (32 random bytes)');
    assert.ok(!h.logs.some((line) => line.includes(cookie!.value)), 'the key is not logged');
    assert.equal(cookie!.attributes.get('path'), `/picks/${pick}`);
    assert.ok(cookie!.attributes.has('httponly'));
    assert.equal(cookie!.attributes.get('samesite')?.toLowerCase(), 'lax');
    assert.equal(cookie!.attributes.get('max-age'), '86400');
    assert.ok(!cookie!.attributes.has('secure') && !cookie!.attributes.has('domain'));
  });

  it('when the request names an account, then the consent page says whose account the photos are for, in each language, as text', async () => {
    const account = '<b>ana</b>@printshop & "co"';
    for (const lang of ['en', 'th', 'bn'] as const) {
      const start = await client.get(`/pick?app=shop&request=${await pickRequest(h, { account })}`);
      const consent = await client.get(`/picks/${pickIdOf(start.headers.get('location'))}`, { accept: 'html', headers: { 'accept-language': lang } });
      const html = await consent.text();
      const sentence = FOR_ACCOUNT[lang]!.replace('{app}', 'Print Shop').replace('{account}', account);
      assert.ok(html.includes(escapeHtml(sentence)), `${lang}: ${sentence}`);
      assert.ok(!html.includes('<b>ana</b>'), 'the label is escaped');
    }
    const plain = await client.get(`/picks/${pickIdOf((await client.get(`/pick?app=shop&request=${await pickRequest(h, { account: 'ana@printshop' })}`)).headers.get('location'))}`, { accept: 'html' });
    assert.match(await plain.text(), /Print Shop asks for photos for the account ana@printshop/);
    const without = await client.get(`/picks/${pickIdOf((await client.get(`/pick?app=shop&request=${await pickRequest(h)}`)).headers.get('location'))}`, { accept: 'html' });
    assert.doesNotMatch(await without.text(), /for the account/);
  });

  it('when the request is replayed, then it is 400 and nothing is created', async () => {
    const request = await pickRequest(h);
    assert.equal((await client.get(`/pick?app=shop&request=${request}`)).status, 303);
    const replay = await conforms(await client.get(`/pick?app=shop&request=${request}`, { accept: 'json' }));
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { code: string }).code, 'INVALID_PICK_REQUEST');
    assert.ok(!h.logs.some((line) => line.includes(request)), 'the token is not logged');
  });
});

describe('host apps: a pick\'s browser under an https PUBLIC_URL', () => {
  let h: Harness;
  let root: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-picks-https-'));
    // The gateway behind a TLS-ending proxy: its own address stays http, what browsers see is https.
    h = await startHarness({ env: { APPS: JSON.stringify(APPS), IMPORT_DESTINATION: `file:${root}`, PUBLIC_URL: 'https://gateway.example', TRUST_PROXY: '1' } });
  });
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when GET /pick answers, then the key is in __Host-pick-{id} (Secure, Path=/, no Domain), and only that name is asked for', async () => {
    const browser = new Browser(h.url);
    const start = await browser.get(`/pick?app=shop&request=${await pickRequest(h)}`, { headers: { 'x-forwarded-proto': 'https' } });
    const pick = pickIdOf(start.headers.get('location'))!;
    const cookie = start.headers.getSetCookie().map(parseSetCookie).find((c) => c.name.includes(pick))!;
    assert.equal(cookie.name, `__Host-pick-${pick}`);
    assert.ok(cookie.attributes.has('secure') && cookie.attributes.has('httponly'));
    assert.equal(cookie.attributes.get('path'), '/');
    assert.ok(!cookie.attributes.has('domain'));

    const forwarded = { 'x-forwarded-proto': 'https' };
    assert.equal((await browser.get(`/picks/${pick}`, { headers: forwarded })).status, 303, 'to sign in: the pick is this browser\'s');
    // The same key under a name without the prefix, as a sibling subdomain or plain http could have set it.
    const tossed = new Browser(h.url);
    tossed.setCookie(`pick-${pick}`, cookie.value);
    assert.equal((await tossed.get(`/picks/${pick}`, { headers: forwarded })).status, 403);
  });
});
