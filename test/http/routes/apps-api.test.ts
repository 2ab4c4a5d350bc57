import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { newSecret, signPickRequest, startPick } from '../../helpers/host-apps.ts';
import { conforms } from '../../helpers/openapi.ts';

const secret = newSecret();
const rotatedSecret = newSecret();
const otherSecret = newSecret();
const APPS = [
  { id: 'shop', name: 'Print Shop', secrets: [secret, rotatedSecret], returnOrigins: ['https://app.example'] },
  { id: 'school', name: 'School', secrets: [otherSecret], returnOrigins: ['https://school.example'] },
];

interface Item {
  id: string;
  key: string;
  bytes: number;
}

describe('the API for host apps', () => {
  let h: Harness;
  let root: string;
  let browser: Client;
  let pick: string;
  let item: Item;
  let stored: Buffer;

  /** Every answer of the API is held to the OpenAPI document: its status, its content type, its body. */
  const api = async (route: string, init: { secret?: string | null; headers?: Record<string, string>; method?: string } = {}) => {
    const { secret: bearer = secret, headers = {}, method = 'GET' } = init;
    const answer = await fetch(`${h.url}/api/v1${route}`, { method, headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers }, redirect: 'manual' });
    return conforms(answer, method);
  };

  /** The Cookie header of the signed-in browser, as it would send it along to any route of the site. */
  const browserCookie = () => [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-apps-api-'));
    h = await startHarness({ env: { APPS: JSON.stringify(APPS), IMPORT_DESTINATION: `file:${root}` }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    browser = await h.signedInClient();
    pick = await startPick(browser, 'shop', await signPickRequest({ audience: h.config.publicUrl.href, app: 'shop', secret }));
    const begun = await browser.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    h.emulator.pick(((await begun.json()) as { id: string }).id, { count: 1 });
    const done = await eventually(async () => {
      const body = (await (await api(`/picks/${pick}`)).json()) as { status: string; items: Item[] };
      return body.status === 'done' ? body : undefined;
    }, 'the pick is done');
    item = done.items[0]!;
    stored = await readFile(path.join(root, item.key));
  });
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when the app asks for a byte range of an item, then it gets exactly those bytes as 206', async () => {
    const answer = await api(`/picks/${pick}/items/${item.id}/content`, { headers: { range: 'bytes=10-99' } });
    assert.equal(answer.status, 206);
    assert.equal(answer.headers.get('content-range'), `bytes 10-99/${stored.length}`);
    assert.deepEqual(Buffer.from(await answer.arrayBuffer()), stored.subarray(10, 100));

    const whole = await api(`/picks/${pick}/items/${item.id}/content`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), stored);

    const beyond = await api(`/picks/${pick}/items/${item.id}/content`, { headers: { range: `bytes=${stored.length + 10}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${stored.length}`);
  });

  it('when the app authenticates with its second secret (rotation), then it is the same app', async () => {
    assert.equal((await api(`/picks/${pick}`, { secret: rotatedSecret })).status, 200);
  });

  it('when another app asks for the pick or its items, then they do not exist for it (404)', async () => {
    for (const route of [`/picks/${pick}`, `/picks/${pick}/items/${item.id}/content`]) {
      const answer = await api(route, { secret: otherSecret });
      assert.equal(answer.status, 404, route);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
  });

  for (const [what, headers] of [
    ['no Authorization', {}],
    ['a secret of no app', { authorization: `Bearer ${newSecret()}` }],
    ['the right secret in another scheme', { authorization: `Basic ${secret}` }],
    ['a bearer with nothing after it', { authorization: 'Bearer ' }],
    ['the signed-in user\'s cookie instead of a secret', {}],
  ] as const) {
    it(`when the app sends ${what}, then it is 401 with WWW-Authenticate, as problem+json`, async () => {
      const sent: Record<string, string> = { ...headers, accept: 'text/html' };
      if (what.includes('cookie')) sent.cookie = browserCookie();
      const answer = await api(`/picks/${pick}`, { secret: null, headers: sent });
      assert.equal(answer.status, 401);
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(((await answer.json()) as { code: string }).code, 'UNAUTHENTICATED');
    });
  }

  it('when the API answers, whatever the answer, then it sets no cookie, even to a browser that holds one', async () => {
    const cookie = browserCookie();
    const answers = await Promise.all([
      api(`/picks/${pick}`, { headers: { cookie } }),
      api(`/picks/${pick}/items/${item.id}/content`, { headers: { cookie, range: 'bytes=0-9' } }),
      api(`/picks/${pick}`, { secret: otherSecret, headers: { cookie } }),
      api(`/picks/${pick}`, { secret: null, headers: { cookie } }),
      api('/picks/nothing-like-a-pick-id', { headers: { cookie } }),
      api(`/picks/${pick}`, { method: 'POST', headers: { cookie } }),
    ]);
    assert.deepEqual(answers.map((answer) => answer.headers.getSetCookie()), answers.map(() => []));
    assert.deepEqual(answers.map((answer) => answer.status), [200, 206, 404, 401, 404, 404]);
  });

  it('when the call comes from another site, with no CSRF token, then it is answered as any other', async () => {
    const answer = await api(`/picks/${pick}`, { headers: { origin: 'https://app.example', 'sec-fetch-site': 'cross-site' } });
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { id: string }).id, pick);
  });
});
