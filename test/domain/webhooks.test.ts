import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import type { HostApp } from '../../src/domain/host-apps.ts';
import { BackgroundWork } from '../../src/jobs/background-work.ts';
import { JOB } from '../../src/jobs/names.ts';
import { Picks } from '../../src/domain/picks.ts';
import type { WebhookMessage, WebhookReply } from '../../src/domain/ports.ts';
import { Webhooks } from '../../src/domain/webhooks.ts';
import { domainFixture, silentLogger, type DomainFixture } from './fakes.ts';

const shop: HostApp = {
  id: 'shop',
  name: 'Print Shop',
  secrets: [`whsec_${randomBytes(24).toString('base64')}`],
  returnOrigins: ['https://app.example'],
  webhookUrl: 'https://app.example/hooks',
  maxItems: 10,
};

/** A receiver whose every answer the test chooses; it notes when each try came. */
class FakeReceiver {
  readonly tries: Array<{ at: number; message: WebhookMessage }> = [];
  answer: WebhookReply = { status: 204, body: '' };

  async send(message: WebhookMessage): Promise<WebhookReply> {
    this.tries.push({ at: Date.now(), message });
    return this.answer;
  }
}

describe('Webhooks for ended picks', () => {
  let f: DomainFixture;
  let picks: Picks;
  let receiver: FakeReceiver;
  let webhooks: Webhooks;

  const build = (backoffMs: number) => {
    picks = new Picks({ store: f.store, sessions: f.sessions, events: f.events });
    receiver = new FakeReceiver();
    webhooks = new Webhooks({ picks, apps: [shop], sender: receiver, logger: silentLogger });
    new BackgroundWork({
      queue: f.jobs, events: f.events, sessions: f.sessions, picks, webhooks, logger: silentLogger,
      concurrency: 1, attempts: 1, backoffMs: 1, completedGraceMs: 60_000, webhookBackoffMs: backoffMs,
    }).start();
  };
  const endedPick = async () => {
    const { id } = await picks.create({ app: shop, sub: 'customer-1', returnTo: new URL('https://app.example/back'), maxItems: 5, state: null, account: null });
    await picks.cancel(id, null);
    return id;
  };

  beforeEach(async () => {
    f = await domainFixture();
  });
  afterEach(async () => {
    mock.timers.reset();
    await f.close();
  });

  it('when every try fails, then the tries spread over a day, the last under 24 hours after the first, and the delivery has failed', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    build(loadConfig({}).webhooks.backoffMs);
    receiver.answer = { status: 503, body: 'down for maintenance' };
    const id = await endedPick();
    // A second of the day at a time, as the queue would wake (each try taking its whole 10 s timeout is allowed for).
    while (f.jobs.pending(JOB.deliverWebhook).length > 0) {
      await f.jobs.runDue();
      mock.timers.tick(1_000);
    }
    const times = receiver.tries.map((attempt) => attempt.at);
    const span = times.at(-1)! - times[0]!;
    assert.ok(span + 13 * 10_000 < 24 * 3_600_000, `the last try comes ${span / 3_600_000} h after the first`);
    assert.ok(span > 20 * 3_600_000, `the tries give up after only ${span / 3_600_000} h`);
    for (let n = 2; n < times.length; n++) assert.ok(times[n]! - times[n - 1]! > times[n - 1]! - times[n - 2]!, 'the waits grow');
    assert.deepEqual((await picks.get(id))!.webhook, { status: 'failed', attempts: times.length, lastError: 'HTTP 503: down for maintenance' });
    assert.ok(new Set(receiver.tries.map((attempt) => attempt.message.id)).size === 1, 'one webhook-id for every try');
  });

  it('when the pick is told as ended twice, then one delivery goes out, and none once it is delivered', async () => {
    build(10);
    const id = await endedPick();
    await picks.cancel(id, null);
    await f.jobs.runDue();
    assert.equal(receiver.tries.length, 1);
    assert.deepEqual((await picks.get(id))!.webhook, { status: 'delivered', attempts: 1, lastError: null });
    await picks.cancel(id, null);
    assert.equal(f.jobs.pending(JOB.deliverWebhook).length, 0);
  });

  it('when the queue refused the delivery as the pick ended, then telling it again queues it', async () => {
    build(10);
    const add = f.jobs.add.bind(f.jobs);
    f.jobs.add = async () => {
      throw new Error('queue away');
    };
    const { id } = await picks.create({ app: shop, sub: 'customer-1', returnTo: new URL('https://app.example/back'), maxItems: 5, state: null, account: null });
    await assert.rejects(picks.cancel(id, null), /queue away/);
    f.jobs.add = add;
    await picks.cancel(id, null);
    await f.jobs.runDue();
    assert.equal(receiver.tries.length, 1);
    assert.equal((await picks.get(id))!.webhook.status, 'delivered');
  });
});
