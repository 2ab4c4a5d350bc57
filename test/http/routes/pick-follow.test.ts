import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startHarness, type Client, type Harness } from '../../helpers/harness.ts';
import { newSecret, pickIdOf, signPickRequest } from '../../helpers/host-apps.ts';
import { conforms } from '../../helpers/openapi.ts';
import { bodyOf, startStandInServer, type StandInServer } from '../../helpers/stand-in-server.ts';

const secret = newSecret();
const APP_ORIGIN = 'https://app.example';
const TICKET = /^[A-Za-z0-9_-]{43}$/;

interface Progress {
  pick: string;
  status: string;
  items: { total: number; done: number; failed: number } | null;
  ended: { pick: string; status: string; state: string | null } | null;
}

describe('host apps: a popup\'s pick followed from the app\'s page with its ticket', () => {
  let h: Harness;
  let root: string;
  let client: Client;
  let hooks: StandInServer;
  const delivered: Array<{ data: { id: string; status: string } }> = [];

  before(async () => {
    hooks = await startStandInServer(async (req, res) => {
      delivered.push(JSON.parse((await bodyOf(req)).toString('utf8')) as (typeof delivered)[number]);
      res.writeHead(204).end();
    });
    root = await mkdtemp(path.join(tmpdir(), 'gateway-pick-follow-'));
    const apps = [{ id: 'shop', name: 'Print Shop', secrets: [secret], returnOrigins: [APP_ORIGIN], webhookUrl: `${hooks.base}/hooks` }];
    h = await startHarness({ env: { APPS: JSON.stringify(apps), IMPORT_DESTINATION: `file:${root}` }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    client = await h.signedInClient();
  });
  after(async () => {
    await h.close();
    hooks.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Starts a pick as embed.js would (`query` after the request) and continues it; answers its id, session and Continue's body. */
  async function continued(query: string): Promise<{ pick: string; sessionId: string; ticket?: string }> {
    const start = await client.get(`/pick?app=shop&request=${await signPickRequest({ audience: h.config.publicUrl.href, secret, app: 'shop' })}${query}`);
    const pick = pickIdOf(start.headers.get('location'))!;
    assert.ok(pick, `GET /pick answered ${start.status}`);
    const begun = await client.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    assert.equal(begun.status, 201);
    const body = (await begun.json()) as { id: string; ticket?: string };
    return { pick, sessionId: body.id, ...(body.ticket ? { ticket: body.ticket } : {}) };
  }

  /** What the app's page asks, as a browser sends it from the app's origin (no cookies). */
  const ask = (pick: string, options: { ticket?: string; origin?: string; settle?: boolean } = {}) =>
    fetch(`${h.url}/picks/${pick}/${options.settle ? 'settle' : 'progress'}`, {
      method: options.settle ? 'POST' : 'GET',
      headers: { origin: options.origin ?? APP_ORIGIN, ...(options.ticket ? { 'pick-ticket': options.ticket } : {}) },
    });

  async function progress(pick: string, ticket: string, settle = false): Promise<Progress> {
    const answer = await conforms(await ask(pick, { ticket, settle }), settle ? 'POST' : 'GET');
    assert.equal(answer.status, 200);
    return (await answer.json()) as Progress;
  }

  const apiStatus = async (pick: string) =>
    ((await (await fetch(`${h.url}/api/v1/picks/${pick}`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { status: string }).status;

  it('when an in-place popup\'s user continues, then only Continue\'s answer holds the ticket, and the app\'s origin follows the pick with it to its end', async () => {
    const { pick, sessionId, ticket } = await continued('&mode=popup&embed=2');
    assert.match(ticket ?? '', TICKET);
    // No page of the pick shows it, to this browser or to a link forwarded from it.
    for (const page of [`/picks/${pick}`, `/sessions/${sessionId}`]) {
      const html = await (await client.get(page, { accept: 'html' })).text();
      assert.ok(!html.includes(ticket!), `${page} does not hold the ticket`);
    }

    const answer = await conforms(await ask(pick, { ticket: ticket! }));
    assert.equal(answer.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(answer.headers.get('access-control-allow-credentials'), null, 'no cookie is ever read here');
    assert.deepEqual(answer.headers.getSetCookie(), []);
    assert.match(answer.headers.get('vary') ?? '', /origin/i);
    assert.deepEqual(await answer.json(), { pick, status: 'picking', items: null, ended: null });

    h.emulator.pick(sessionId, { count: 2 });
    const ended = await eventually(async () => (await progress(pick, ticket!)).ended && (await progress(pick, ticket!)), 'the pick ends');
    assert.deepEqual(ended, { pick, status: 'done', items: { total: 2, done: 2, failed: 0 }, ended: { pick, status: 'done', state: 'order-7' } });
  });

  it('when a pick is not an in-place popup\'s (full page, or an embed.js v1 popup), then Continue hands out no ticket', async () => {
    assert.equal((await continued('')).ticket, undefined);
    assert.equal((await continued('&mode=popup')).ticket, undefined);
    assert.equal((await continued('&embed=2')).ticket, undefined, 'embed=2 means nothing without the popup');
  });

  it('when a page without the pick\'s ticket asks (a forwarded link, another site), then it gets the same bare 404 as for no pick, no CORS allowance, and nothing is settled', async () => {
    const { pick, ticket } = await continued('&mode=popup&embed=2');
    const other = await continued('&mode=popup&embed=2');
    const refusals = [
      { what: 'no ticket', pick },
      { what: 'a made-up ticket', pick, ticket: randomBytes(32).toString('base64url') },
      { what: 'another pick\'s ticket', pick, ticket: other.ticket },
      { what: 'the ticket, from another origin', pick, ticket, origin: 'https://evil.example' },
      { what: 'the ticket, from the gateway\'s own origin', pick, ticket, origin: new URL(h.url).origin },
      { what: 'the ticket of another pick id', pick: 'AAAAAAAAAAAAAAAAAAAAAA', ticket },
      { what: 'the ticket, to settle from another origin', pick, ticket, origin: 'https://evil.example', settle: true },
      { what: 'no ticket, to settle', pick, settle: true },
    ];
    const answers = [];
    for (const { what, ...options } of refusals) {
      const answer = await conforms(await ask(options.pick, options), options.settle ? 'POST' : 'GET');
      assert.equal(answer.status, 404, what);
      assert.equal(answer.headers.get('access-control-allow-origin'), null, what);
      const { code, detail, title } = (await answer.json()) as Record<string, unknown>;
      answers.push({ what, said: { code, detail, title } });
    }
    assert.equal(answers[0]!.said.code, 'NOT_FOUND');
    for (const { what, said } of answers) assert.deepEqual(said, answers[0]!.said, `${what} is answered as ${answers[0]!.what} is`);
    // The browser that holds the pick's cookie, without the ticket, gets no further.
    assert.equal((await client.get(`/picks/${pick}/progress`, { accept: 'json', headers: { origin: APP_ORIGIN } })).status, 404);
    assert.equal(await apiStatus(pick), 'picking');
  });

  it('when a preflight comes from an app\'s origin, then the ticket header is allowed; from any other origin nothing is', async () => {
    const preflight = (origin: string) => fetch(`${h.url}/picks/AAAAAAAAAAAAAAAAAAAAAA/progress`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'pick-ticket' },
    });
    const allowed = await preflight(APP_ORIGIN);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /^pick-ticket$/i);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
    for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'http://app.example', new URL(h.url).origin]) {
      const refused = await preflight(origin);
      assert.equal(refused.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(refused.headers.get('access-control-allow-headers'), null, origin);
    }
  });

  it('when the popup closes at Google before anything was picked, then settling ends the pick cancelled, deletes its Picker session and sends the webhook', async () => {
    const { pick, sessionId, ticket } = await continued('&mode=popup&embed=2');
    const settled = await progress(pick, ticket!, true);
    assert.deepEqual(settled.ended, { pick, status: 'cancelled', state: 'order-7' });
    assert.equal(await apiStatus(pick), 'cancelled');
    assert.equal(h.emulator.sessionsOf('alice@example.com').find((session) => session.id === sessionId)?.deleted, true);
    const hook = await eventually(() => delivered.find((event) => event.data.id === pick), 'the webhook is delivered');
    assert.equal(hook.data.status, 'cancelled');
    // Settling again changes nothing and says the same.
    assert.deepEqual((await progress(pick, ticket!, true)).ended, settled.ended);
  });

  it('when the popup closes after Done, then settling asks Google afresh (not what it said a moment ago) and the import goes on to its end', async () => {
    const { pick, sessionId, ticket } = await continued('&mode=popup&embed=2');
    // The gateway has just heard "nothing picked yet" (an answer that stays fresh for the poll interval)...
    assert.equal(((await (await client.get(`/sessions/${sessionId}`, { accept: 'json' })).json()) as { status: string }).status, 'pending');
    // ...and then the person presses Done, and the picker closes itself.
    h.emulator.pick(sessionId, { count: 1 });
    const settled = await progress(pick, ticket!, true);
    assert.notEqual(settled.ended?.status, 'cancelled');
    const ended = await eventually(async () => (await progress(pick, ticket!)).ended, 'the pick ends');
    assert.deepEqual(ended, { pick, status: 'done', state: 'order-7' });
  });

  it('when the app\'s page settles fifty times at once, then Google is asked once, the pick ends cancelled once, and no answer says otherwise', async () => {
    const { pick, sessionId, ticket } = await continued('&mode=popup&embed=2');
    const asked = () => h.emulator.requests.filter((request) => request.method === 'GET' && request.path === `/v1/sessions/${sessionId}`).length;
    const before = asked();

    const answers = await Promise.all(Array.from({ length: 50 }, () => progress(pick, ticket!, true)));

    assert.equal(asked() - before, 1);
    // The settle that asked Google answers the end; the others answer the pick as it stood (still picking, or ended).
    assert.equal(answers.filter((answer) => answer.ended?.status === 'cancelled').length >= 1, true);
    for (const answer of answers) assert.ok(answer.status === 'picking' || answer.status === 'cancelled', answer.status);
    assert.equal(await apiStatus(pick), 'cancelled');
    const hooksOf = () => delivered.filter((event) => event.data.id === pick);
    await eventually(() => hooksOf().length > 0, 'the webhook is delivered');
    assert.deepEqual(hooksOf().map((hook) => hook.data.status), ['cancelled']);
  });

  // Last: it spends this address's allowance for the minute.
  it('when one address asks past its allowance (a page gone wrong, or a flood), then the rest are refused with 429 and the pick is as it was', async () => {
    const { pick, ticket } = await continued('&mode=popup&embed=2');
    const statuses = await Promise.all(Array.from({ length: 650 }, () => ask(pick, { ticket: ticket! }).then((answer) => answer.status)));
    assert.ok(statuses.includes(429), 'some are refused');
    assert.ok(statuses.filter((status) => status === 200).length <= 600, 'no more than the allowance is answered');
    assert.equal(await apiStatus(pick), 'picking');
  });
});
