import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { secretKey } from '../../../src/domain/host-apps.ts';
import { eventually, signIn, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { conforms } from '../../helpers/openapi.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const APPS = [{ id: 'shop', name: 'Print Shop', secrets: [secret], returnOrigins: ['https://app.example'], maxItems: 10 }];
const COOP = 'cross-origin-opener-policy';

async function pickRequest(h: Harness): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ return_to: 'https://app.example/back?from=gateway', state: 'order-7' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('shop').setAudience(h.config.publicUrl.href).setSubject('customer-1').setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID())
    .sign(secretKey(secret));
}

const formAction = (response: Response) => response.headers.get('content-security-policy')!.split(';').map((d) => d.trim()).find((d) => d.startsWith('form-action'))!;

/** The message a popup's page posts to the app, from its data attributes. */
function popupMessage(html: string): { origin: string; message: Record<string, unknown> } | undefined {
  const origin = html.match(/data-pick-origin="([^"]*)"/)?.[1];
  const message = html.match(/data-pick-message="([^"]*)"/)?.[1];
  if (!origin || !message) return undefined;
  return { origin, message: JSON.parse(message.replaceAll('&quot;', '"')) as Record<string, unknown> };
}

describe('host apps: the user\'s journey, full page and popup', () => {
  let h: Harness;
  let root: string;
  let client: Client;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-pick-journey-'));
    h = await startHarness({ env: { APPS: JSON.stringify(APPS), IMPORT_DESTINATION: `file:${root}` }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    client = await h.signedInClient();
  });
  after(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Starts a pick as the app's link would; answers its id and the answer of /pick. */
  async function startPick(mode?: 'popup', browser = client): Promise<{ pick: string; start: Response }> {
    const start = await browser.get(`/pick?app=shop&request=${await pickRequest(h)}${mode ? `&mode=${mode}` : ''}`);
    assert.equal(start.status, 303);
    return { pick: start.headers.get('location')!.split('/')[2]!, start };
  }

  async function begin(pick: string, browser = client): Promise<string> {
    const begun = await browser.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    assert.equal(begun.status, 201);
    return ((await begun.json()) as { id: string }).id;
  }

  /** The session page's answer once it redirects; Google is asked at most once per poll interval, so it is polled as the page's script would. */
  const sessionPageRedirects = (sessionId: string) => eventually(async () => {
    const page = await client.get(`/sessions/${sessionId}`, { accept: 'html' });
    return page.status === 303 ? page : undefined;
  }, 'the session page redirects');

  const apiStatus = async (pick: string) =>
    ((await (await conforms(await fetch(`${h.url}/api/v1/picks/${pick}`, { headers: { authorization: `Bearer ${secret}` } }))).json()) as { status: string }).status;

  it('when a popup pick is started, then no answer on its way severs the opener, and its pages post to the app\'s origin only', async () => {
    // A browser that signs in only once it is at the gateway.
    const browser = h.client();
    const { pick, start } = await startPick('popup', browser);
    assert.equal(start.headers.get(COOP), null, 'a redirect carries no COOP');
    const signedOut = await browser.get(`/picks/${pick}`);
    assert.equal(signedOut.status, 303);
    assert.match(signedOut.headers.get('location')!, /^\/auth\/google\?/);
    assert.equal(signedOut.headers.get(COOP), null, 'nor does the way to sign in');
    await signIn(browser);

    const consent = await browser.get(`/picks/${pick}`, { accept: 'html' });
    assert.equal(consent.status, 200);
    assert.equal(consent.headers.get(COOP), 'unsafe-none');
    assert.deepEqual(popupMessage(await consent.text()), { origin: 'https://app.example', message: { source: 'photos-picker-gateway', pick, status: 'pending', state: 'order-7' } });
    assert.doesNotMatch(formAction(consent), /app\.example/, 'a popup\'s Cancel stays on the gateway');

    const sessionId = await begin(pick, browser);
    const session = await browser.get(`/sessions/${sessionId}`, { accept: 'html' });
    assert.equal(session.headers.get(COOP), 'unsafe-none');
    const html = await session.text();
    assert.equal(popupMessage(html)?.message.status, 'picking');
    assert.match(html, new RegExp(`data-pick-cancel-on-close="/picks/${pick}/cancel"`));
    assert.match(html, /Cancel and go back to Print Shop/);
    assert.doesNotMatch(html, /\/delete"/, 'the gateway\'s own controls are not in the app\'s flow');
  });

  it('when a full-page pick is shown, then its page keeps the gateway\'s COOP, and its Cancel may redirect to the app\'s origin and nowhere else', async () => {
    const { pick } = await startPick();
    const consent = await client.get(`/picks/${pick}`, { accept: 'html' });
    assert.equal(consent.headers.get(COOP), 'same-origin-allow-popups');
    assert.ok(formAction(consent).split(' ').includes('https://app.example'), formAction(consent));
    assert.equal(popupMessage(await consent.text()), undefined, 'nothing is posted');
    assert.doesNotMatch(formAction(await client.get('/', { accept: 'html' })), /app\.example/, 'other pages do not allow it');
  });

  it('when a popup pick is cancelled, then its end page carries the outcome for the app and the way back, and the pick is cancelled', async () => {
    const { pick } = await startPick('popup');
    const cancelled = await client.post(`/picks/${pick}/cancel`);
    assert.equal(cancelled.status, 303);
    assert.equal(cancelled.headers.get('location'), `/picks/${pick}`);
    const end = await client.get(`/picks/${pick}`, { accept: 'html' });
    assert.equal(end.status, 200);
    assert.equal(end.headers.get(COOP), 'unsafe-none');
    const html = await end.text();
    assert.deepEqual(popupMessage(html), { origin: 'https://app.example', message: { source: 'photos-picker-gateway', pick, status: 'cancelled', state: 'order-7' } });
    assert.match(html, /Nothing was shared with Print Shop/);
    assert.ok(html.includes(`href="https://app.example/back?from=gateway&amp;pick=${pick}&amp;status=cancelled&amp;state=order-7"`), 'the way back without script');
    assert.equal(await apiStatus(pick), 'cancelled');
  });

  it('when a popup is closed while its user picks (the page\'s beacon), then the pick is cancelled and its Picker session deleted at Google', async () => {
    const { pick } = await startPick('popup');
    const sessionId = await begin(pick);
    assert.equal((await client.post(`/picks/${pick}/cancel`, { form: {} })).status, 303);
    assert.equal(await apiStatus(pick), 'cancelled');
    assert.equal(h.emulator.sessionsOf('alice@example.com').find((session) => session.id === sessionId)?.deleted, true);
  });

  it('when a full-page pick\'s import ends, then its session page sends the user to the pick, and the pick back to the app with status done', async () => {
    const { pick } = await startPick();
    const sessionId = await begin(pick);
    h.emulator.pick(sessionId, { count: 2 });
    const ended = await sessionPageRedirects(sessionId);
    assert.equal(ended.headers.get('location'), `/picks/${pick}`);
    const back = await client.get(`/picks/${pick}`, { accept: 'html' });
    assert.equal(back.status, 303);
    const url = new URL(back.headers.get('location')!);
    assert.equal(`${url.origin}${url.pathname}`, 'https://app.example/back');
    assert.deepEqual(Object.fromEntries(url.searchParams), { from: 'gateway', pick, status: 'done', state: 'order-7' });
    assert.equal(await apiStatus(pick), 'done');
  });

  it('when a pick\'s Picker session expires before Done, then its page ends the pick as expired and the user goes back with status expired', async () => {
    const { pick } = await startPick();
    const sessionId = await begin(pick);
    h.emulator.expireSession(sessionId);
    const ended = await sessionPageRedirects(sessionId);
    assert.equal(ended.headers.get('location'), `/picks/${pick}`);
    const back = await client.get(`/picks/${pick}`, { accept: 'html' });
    assert.equal(new URL(back.headers.get('location')!).searchParams.get('status'), 'expired');
    assert.equal(await apiStatus(pick), 'expired');
  });

  it('when a popup\'s request is refused, then the error page still keeps the opener, so the app hears of it only when the user closes it', async () => {
    const refused = await client.get('/pick?app=shop&request=not-a-token&mode=popup', { accept: 'html' });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get(COOP), 'unsafe-none');
    assert.equal((await client.get('/pick?app=shop&request=not-a-token', { accept: 'html' })).headers.get(COOP), 'same-origin-allow-popups');
  });
});
