/**
 * The package against the real gateway on the Google emulator: a request it signs is accepted, a real webhook
 * delivery verifies (through a rotation), and the API's answers come back typed, as bytes or as typed errors.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createPickRequest, NotFoundError, PicksClient, UnauthenticatedError, verifyWebhook, type GatewayPick,
} from '@photos-picker-gateway/host-app-client';
import { eventually, startHarness, type Client, type Harness } from '../../../test/helpers/harness.ts';
import { newSecret, pickIdOf } from '../../../test/helpers/host-apps.ts';
import { bodyOf, startStandInServer, type StandInServer } from '../../../test/helpers/stand-in-server.ts';


describe('the client package against the gateway', () => {
  let h: Harness;
  let root: string;
  let receiver: StandInServer;
  let browser: Client;
  const deliveries: Array<{ headers: IncomingMessage['headers']; body: Buffer }> = [];
  // The gateway signs webhooks with its first secret; this app signs requests and calls with its second (a rotation).
  const [older, newer] = [newSecret(), newSecret()];

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gateway-client-'));
    receiver = await startStandInServer(async (req, res) => {
      deliveries.push({ headers: req.headers, body: await bodyOf(req) });
      res.writeHead(204).end();
    });
    const apps = [{ id: 'shop', name: 'Print Shop', secrets: [older, newer], returnOrigins: ['https://shop.example'], webhookUrl: `${receiver.base}/hooks` }];
    h = await startHarness({ env: { APPS: JSON.stringify(apps), IMPORT_DESTINATION: `file:${root}` }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    browser = await h.signedInClient();
  });
  after(async () => {
    await h.close();
    receiver.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when a pick is started with its request and ends, then its webhook verifies and the client reads the pick and its bytes', async () => {
    const gatewayUrl = h.config.publicUrl.href;
    const { url } = await createPickRequest({
      appId: 'shop', secret: newer, gatewayUrl, sub: 'customer-9', returnTo: 'https://shop.example/back', state: 'st-9', account: 'ana@shop', maxItems: 2,
    });
    const start = await browser.get(new URL(url).pathname + new URL(url).search);
    const pickId = pickIdOf(start.headers.get('location'));
    assert.ok(pickId, `GET /pick answered ${start.status}`);
    const begun = await browser.post(`/picks/${pickId}/continue`, { accept: 'json', json: {} });
    h.emulator.pick(((await begun.json()) as { id: string }).id, { count: 1 });

    const delivery = await eventually(() => deliveries[0], 'the webhook is delivered');
    const { id, event } = verifyWebhook(delivery.body, delivery.headers, [newer, older]);
    assert.equal(id, `msg_${pickId}`);
    assert.equal(event.data.id, pickId);

    const picks = new PicksClient({ gatewayUrl, secret: newer });
    const pick: GatewayPick = await picks.get(pickId);
    assert.deepEqual([pick.sub, pick.state, pick.status, pick.items.length], ['customer-9', 'st-9', 'done', 1]);
    const stored = await readFile(path.join(root, pick.items[0]!.key));
    const part = await picks.content(pickId, pick.items[0]!.id, { range: { start: 3, end: 12 } });
    assert.equal(part.status, 206);
    assert.deepEqual(part.contentRange, { start: 3, end: 12, size: stored.length });
    assert.deepEqual(Buffer.from(await new Response(part.body).arrayBuffer()), stored.subarray(3, 13));

    await assert.rejects(picks.get('a'.repeat(22)), NotFoundError);
    await assert.rejects(picks.content(pickId, 'no-such-item'), NotFoundError);
    await assert.rejects(new PicksClient({ gatewayUrl, secret: newSecret() }).get(pickId), UnauthenticatedError);
  });
});
