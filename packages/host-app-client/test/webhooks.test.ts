import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from '@photos-picker-gateway/host-app-client';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const current = newSecret();
const previous = newSecret();

const body = JSON.stringify({ type: 'pick.completed', timestamp: '2026-12-07T12:00:00.000Z', data: { id: 'p'.repeat(22), status: 'done' } });

/** A delivery as the gateway makes it: Standard Webhooks headers over the exact bytes, signed with `secret`. */
function delivery(secret: string, options: { at?: Date; id?: string; payload?: string } = {}) {
  const id = options.id ?? 'msg_pppppppppppppppppppppp';
  const at = options.at ?? new Date();
  const payload = options.payload ?? body;
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, payload) };
}

describe('verifyWebhook', () => {
  it('when a delivery is signed with the app\'s secret, then it answers the event and the webhook-id', () => {
    const verified = verifyWebhook(body, delivery(current), current);
    assert.equal(verified.id, 'msg_pppppppppppppppppppppp');
    assert.equal(verified.event.type, 'pick.completed');
    assert.equal(verified.event.data.id, 'p'.repeat(22));
  });

  it('when the secrets are being rotated, then a delivery signed with any of them verifies', () => {
    assert.equal(verifyWebhook(body, delivery(previous), [current, previous]).event.type, 'pick.completed');
    assert.equal(verifyWebhook(body, delivery(current), [current, previous]).event.type, 'pick.completed');
  });

  it('when the headers come as fetch\'s Headers (any case) and the body as bytes, then it verifies the same', () => {
    const headers = new Headers(Object.entries(delivery(current)).map(([name, value]) => [name.toUpperCase(), value]));
    assert.equal(verifyWebhook(new TextEncoder().encode(body), headers, current).event.type, 'pick.completed');
    const nodeStyle = Object.fromEntries(Object.entries(delivery(current)).map(([name, value]) => [name, [value]]));
    assert.equal(verifyWebhook(Buffer.from(body), nodeStyle, current).event.type, 'pick.completed');
  });

  for (const [what, make] of [
    ['signed with a secret the app does not hold', () => ({ payload: body, headers: delivery(newSecret()) })],
    ['altered after signing', () => ({ payload: body.replace('done', 'failed'), headers: delivery(current) })],
    ['older than five minutes (a captured delivery replayed)', () => ({ payload: body, headers: delivery(current, { at: new Date(Date.now() - 6 * 60_000) }) })],
    ['without its signature', () => ({ payload: body, headers: { ...delivery(current), 'webhook-signature': '' } })],
  ] as const) {
    it(`when a delivery is ${what}, then it throws WebhookVerificationError`, () => {
      const { payload, headers } = make();
      assert.throws(() => verifyWebhook(payload, headers, [current, previous]), WebhookVerificationError);
    });
  }

  it('when no secret or a malformed one is given, then it is a programming error, not a refused delivery', () => {
    assert.throws(() => verifyWebhook(body, delivery(current), []), TypeError);
    assert.throws(() => verifyWebhook(body, delivery(current), ['secret']), TypeError);
  });
});
