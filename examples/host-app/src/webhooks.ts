/**
 * The gateway's webhook: a Standard Webhooks delivery, verified on the raw
 * bytes (parsing first would change them), handled once per webhook-id, and
 * answered at once. The gateway retries anything but a 2xx for a day with
 * the same webhook-id, so a delivery seen before is acknowledged, not handled
 * again.
 */
import express, { Router } from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { z } from 'zod';
import { pickSchema, type GatewayPick } from './gateway.ts';
import type { Shop } from './shop.ts';

const eventSchema = z.object({ type: z.string(), timestamp: z.string(), data: z.unknown() });

/** `onPick` hears of each pick the webhook told of, and whether a customer had already come back for it. */
export function webhookRoutes(options: { path: string; secret: string; shop: Shop; onPick?: (pick: GatewayPick, credited: boolean) => void }): Router {
  const webhook = new Webhook(options.secret);
  const router = Router();

  router.post(options.path, express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers = {
      'webhook-id': req.get('webhook-id') ?? '',
      'webhook-timestamp': req.get('webhook-timestamp') ?? '',
      'webhook-signature': req.get('webhook-signature') ?? '',
    };
    let event: z.infer<typeof eventSchema>;
    try {
      // Checks the signature with the shop's secret and that the timestamp is within 5 minutes (an old capture replayed).
      event = eventSchema.parse(webhook.verify(body, headers));
    } catch (error) {
      res.status(error instanceof WebhookVerificationError ? 401 : 400).type('text/plain').send('not a valid delivery');
      return;
    }
    if (!options.shop.firstDelivery(headers['webhook-id'])) {
      res.status(204).end();
      return;
    }
    if (event.type === 'pick.completed') {
      const pick = pickSchema.safeParse(event.data);
      // What happened to a pick, not whose it is: `sub` names the customer the request was signed for, who may not be
      // the person who picked (a forwarded link). Only a credited pick's record is updated; the others wait for their return.
      if (pick.success) options.onPick?.(pick.data, options.shop.update(pick.data) !== undefined);
    }
    // Anything slow (copying the photos into the shop's own storage, emailing the customer) belongs on a queue after this.
    res.status(204).end();
  });

  return router;
}
