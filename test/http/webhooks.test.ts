import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { eventually, jobsSettled, startHarness, type Client } from '../helpers/harness.ts';
import { newSecret, signPickRequest, startPick } from '../helpers/host-apps.ts';
import { assertWebhook, conforms } from '../helpers/openapi.ts';
import { bodyOf, startStandInServer, type StandInServer } from '../helpers/stand-in-server.ts';

/** One host app per way a receiver can behave; `quiet` has no webhookUrl. */
const RECEIVERS = ['ok', 'flaky', 'redirect', 'hang', 'close', 'gone', 'huge'] as const;
const secrets = new Map([...RECEIVERS, 'quiet'].map((id) => [id, newSecret()]));
const secretOf = (app: string) => secrets.get(app)!;

interface Received {
  app: string;
  headers: Record<string, string>;
  body: string;
}

interface WebhookState {
  status: string;
  attempts: number;
  lastError: string | null;
}


/** A loopback server with one webhook receiver per app, behaving as the app's id says; it records what it gets. */
async function startReceivers() {
  const received: Received[] = [];
  const to = (app: string) => received.filter((request) => request.app === app);
  const seen = { redirectFollowed: false, hungUpOn: false, hugeBytesSent: 0, hugeCut: false };
  const server: StandInServer = await startStandInServer(async (req, res) => {
    const body = (await bodyOf(req)).toString('utf8');
    if (req.url === '/elsewhere') {
      seen.redirectFollowed = true;
      return void res.writeHead(200).end();
    }
    const app = req.url!.replace('/hooks/', '');
    received.push({ app, headers: req.headers as Record<string, string>, body });
    const first = to(app).length === 1;
    switch (app) {
      case 'flaky':
        return void (first ? res.writeHead(500, { 'content-type': 'text/plain' }).end('try later') : res.writeHead(200).end());
      case 'redirect':
        return void (first ? res.writeHead(307, { location: `${server.base}/elsewhere` }).end() : res.writeHead(200).end());
      case 'hang':
        if (!first) return void res.writeHead(200).end();
        req.socket.once('close', () => (seen.hungUpOn = true));
        return; // no answer, ever
      case 'close':
        return void (first ? req.socket.destroy() : res.writeHead(200).end());
      case 'gone':
        return void res.writeHead(410).end();
      case 'huge': {
        // An answer with no end: a sender that read it whole would never finish.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.once('close', () => (seen.hugeCut = true));
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (!res.destroyed && seen.hugeBytesSent < 4 * 1024 ** 3) {
            seen.hugeBytesSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        return pump();
      }
      default:
        return void res.writeHead(204).end();
    }
  });
  const apps = [...secrets].map(([id, secret]) => ({
    id,
    name: `App ${id}`,
    secrets: [secret],
    returnOrigins: ['https://app.example'],
    ...(id === 'quiet' ? {} : { webhookUrl: `${server.base}/hooks/${id}` }),
  }));
  return { server, received, to, seen, apps };
}

type Receivers = Awaited<ReturnType<typeof startReceivers>>;

/** A gateway serving the receivers' apps, with short webhook timeouts and backoff, and a user signed in. */
async function startGateway(receivers: Receivers) {
  const root = await mkdtemp(path.join(tmpdir(), 'gateway-webhooks-'));
  const h = await startHarness({
    env: { APPS: JSON.stringify(receivers.apps), IMPORT_DESTINATION: `file:${root}`, WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_BACKOFF_MS: '20' },
    emulator: { knobs: { pollIntervalSeconds: 1 } },
  });
  const client = await h.signedInClient();
  const api = async (app: string, pick: string) => {
    const answer = await conforms(await fetch(`${h.url}/api/v1/picks/${pick}`, { headers: { authorization: `Bearer ${secretOf(app)}` } }));
    assert.equal(answer.status, 200);
    return (await answer.json()) as Record<string, unknown> & { webhook: WebhookState; items: unknown[] };
  };
  return {
    h,
    client,
    api,
    settledWebhook: (app: string, pick: string) =>
      eventually(async () => {
        const { webhook } = await api(app, pick);
        return webhook.status === 'delivered' || webhook.status === 'failed' ? webhook : undefined;
      }, `the webhook of ${app} is settled`),
    /** A pick its user cancels on the consent page: it ends at once, and no Picker session (nor its jobs) exists. */
    cancelledPick: async (app: string) => {
      const pick = await startPick(client, app, await signPickRequest({ audience: h.config.publicUrl.href, app, secret: secretOf(app) }));
      assert.equal((await client.post(`/picks/${pick}/cancel`)).status, 303);
      return pick;
    },
    async close() {
      await h.close();
      receivers.server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Receivers and a gateway started before the suite's tests and stopped after them. */
function inEachSuite() {
  const suite = {} as { receivers: Receivers; gateway: Awaited<ReturnType<typeof startGateway>> };
  before(async () => {
    suite.receivers = await startReceivers();
    suite.gateway = await startGateway(suite.receivers);
  });
  after(() => suite.gateway.close());
  return suite;
}

/** A delivery verified with the app's secret, and its headers and body held to the OpenAPI document's webhook. */
function verified(app: string, request: Received): Record<string, unknown> {
  const message = new Webhook(secretOf(app)).verify(request.body, request.headers) as Record<string, unknown>;
  assertWebhook('pick.completed', request.headers, request.body);
  return message;
}

describe('webhooks: a picked and imported pick is told to its app', () => {
  const suite = inEachSuite();

  it('when the receiver answers 2xx, then one delivery, signed per Standard Webhooks, carries the pick as the API shows it', async () => {
    const { h, client, api } = suite.gateway;
    const pick = await startPick(client, 'ok', await signPickRequest({ audience: h.config.publicUrl.href, app: 'ok', secret: secretOf('ok') }));
    const begun = await client.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    const { id: sessionId } = (await begun.json()) as { id: string };
    h.emulator.pick(sessionId, { count: 2 });

    assert.deepEqual(await suite.gateway.settledWebhook('ok', pick), { status: 'delivered', attempts: 1, lastError: null });
    assert.equal(suite.receivers.to('ok').length, 1);
    const [delivery] = suite.receivers.to('ok');
    assert.equal(delivery!.headers['webhook-id'], `msg_${pick}`);
    const message = verified('ok', delivery!) as { type: string; timestamp: string; data: Record<string, unknown> };
    assert.equal(message.type, 'pick.completed');
    const shown = await api('ok', pick);
    assert.equal(message.timestamp, shown.completedAt);
    const { webhook: _sent, ...data } = message.data;
    const { webhook: _now, ...expected } = shown;
    assert.deepEqual(data, expected);
    assert.equal(shown.status, 'done');
    assert.equal(shown.items.length, 2);
  });
});

describe('webhooks: receivers that fail', () => {
  const suite = inEachSuite();

  it('when the app has no webhookUrl, then nothing is sent and the state stays none', async () => {
    const pick = await suite.gateway.cancelledPick('quiet');
    await jobsSettled(suite.gateway.h);
    assert.deepEqual((await suite.gateway.api('quiet', pick)).webhook, { status: 'none', attempts: 0, lastError: null });
    assert.equal(suite.receivers.received.length, 0);
  });

  it('when the receiver answers 500 then 200, then it is tried again with the same webhook-id, and both tries verify', async () => {
    const pick = await suite.gateway.cancelledPick('flaky');
    assert.deepEqual(await suite.gateway.settledWebhook('flaky', pick), { status: 'delivered', attempts: 2, lastError: 'HTTP 500: try later' });
    const tries = suite.receivers.to('flaky');
    assert.equal(tries.length, 2);
    assert.deepEqual(tries.map((request) => request.headers['webhook-id']), [`msg_${pick}`, `msg_${pick}`]);
    for (const request of tries) assert.equal((verified('flaky', request).data as { id: string }).id, pick);
  });

  it('when the receiver redirects, then the redirect is not followed and the webhook is tried again', async () => {
    const pick = await suite.gateway.cancelledPick('redirect');
    const webhook = await suite.gateway.settledWebhook('redirect', pick);
    assert.equal(webhook.status, 'delivered');
    assert.equal(webhook.attempts, 2);
    assert.match(webhook.lastError ?? '', /HTTP 307.*redirects are not followed/);
    assert.equal(suite.receivers.seen.redirectFollowed, false);
  });

  it('when the receiver never answers, then the try times out (WEBHOOK_TIMEOUT_MS), the connection is dropped, and it is tried again', async () => {
    const pick = await suite.gateway.cancelledPick('hang');
    assert.deepEqual(await suite.gateway.settledWebhook('hang', pick), { status: 'delivered', attempts: 2, lastError: 'no answer within 1 s' });
    await eventually(() => suite.receivers.seen.hungUpOn, 'the gateway hung up on the silent receiver');
  });

  it('when the receiver closes the connection, then it is tried again', async () => {
    const pick = await suite.gateway.cancelledPick('close');
    const webhook = await suite.gateway.settledWebhook('close', pick);
    assert.equal(webhook.status, 'delivered');
    assert.equal(webhook.attempts, 2);
    assert.match(webhook.lastError ?? '', /closed the connection/);
  });

  it('when the receiver answers 410, then it is never tried again and the delivery has failed', async () => {
    const pick = await suite.gateway.cancelledPick('gone');
    assert.deepEqual(await suite.gateway.settledWebhook('gone', pick), { status: 'failed', attempts: 1, lastError: 'HTTP 410' });
    await jobsSettled(suite.gateway.h);
    assert.equal(suite.receivers.to('gone').length, 1);
    const metrics = await (await fetch(`${suite.gateway.h.url}/metrics`)).text();
    assert.match(metrics, /^webhook_deliveries_total\{outcome="gone"\} 1$/m);
  });

  it('when the receiver answers with an endless body, then the delivery counts without reading it, and the answer is cut off', async () => {
    const pick = await suite.gateway.cancelledPick('huge');
    assert.deepEqual(await suite.gateway.settledWebhook('huge', pick), { status: 'delivered', attempts: 1, lastError: null });
    await eventually(() => suite.receivers.seen.hugeCut, 'the gateway cut the endless answer off');
    // What the receiver got to write is what the sockets' buffers took (a few MB): the gateway read a few KB of it.
    assert.ok(suite.receivers.seen.hugeBytesSent < 32 * 1024 ** 2, `the receiver got to send ${suite.receivers.seen.hugeBytesSent} bytes`);
  });

  it('when webhooks went out, then the log names the pick and the app of each try, and holds no secret and no signature', () => {
    const logs = suite.gateway.h.logs;
    const tries = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => String(line.event).startsWith('webhook_'));
    assert.ok(tries.length >= suite.receivers.received.length, 'each try is logged');
    for (const line of tries) assert.ok(typeof line.pick === 'string' && typeof line.app === 'string', JSON.stringify(line));
    for (const secret of secrets.values()) assert.ok(!logs.some((line) => line.includes(secret.slice('whsec_'.length))), 'a secret is logged');
    for (const request of suite.receivers.received) {
      assert.ok(!logs.some((line) => line.includes(request.headers['webhook-signature']!.slice('v1,'.length))), 'a signature is logged');
    }
  });
});

describe('webhooks: a pick whose Picker session goes during its import', () => {
  const suite = inEachSuite();

  /** A pick of `client`'s whose import is under way, slowly (media throttled until the test lets it go). */
  async function importingPick(client: Client): Promise<{ pick: string; sessionId: string }> {
    const { h, api } = suite.gateway;
    const pick = await startPick(client, 'ok', await signPickRequest({ audience: h.config.publicUrl.href, app: 'ok', secret: secretOf('ok') }));
    const begun = await client.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    const { id: sessionId } = (await begun.json()) as { id: string };
    h.emulator.knobs.mediaBytesPerSecond = 1024;
    h.emulator.pick(sessionId, { count: 2 });
    await eventually(async () => (await api('ok', pick)).status === 'importing', 'the pick is being imported');
    return { pick, sessionId };
  }

  /** The pick ended cancelled without waiting for any job, and its app heard of it. */
  async function assertCancelledAndTold(pick: string): Promise<void> {
    const { api, settledWebhook } = suite.gateway;
    assert.equal((await api('ok', pick)).status, 'cancelled', 'ended at once');
    suite.gateway.h.emulator.knobs.mediaBytesPerSecond = 0;
    assert.equal((await settledWebhook('ok', pick)).status, 'delivered');
    const told = suite.receivers.to('ok').map((request) => verified('ok', request).data as { id: string; status: string }).filter((data) => data.id === pick);
    assert.deepEqual(told.map((data) => data.status), ['cancelled']);
  }

  it('when the user deletes the Picker session during the import, then the pick ends cancelled at once and its webhook goes out', async () => {
    const { client } = suite.gateway;
    const { pick, sessionId } = await importingPick(client);
    assert.equal((await client.delete(`/sessions/${sessionId}`, { accept: 'json' })).status, 204);
    await assertCancelledAndTold(pick);
  });

  it('when the user signs out during the import, then the pick ends cancelled at once and its webhook goes out', async () => {
    const bob = await suite.gateway.h.signedInClient({ account: 'bob@example.com' });
    const { pick } = await importingPick(bob);
    assert.equal((await bob.post('/auth/logout')).status, 303);
    await assertCancelledAndTold(pick);
  });
});
