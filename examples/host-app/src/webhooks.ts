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

export function webhookRoutes(options: { path: string; secret: string; shop: Shop; onPick?: (pick: GatewayPick) => void }): Router {
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
      if (pick.success) {
        options.shop.record(pick.data);
        options.onPick?.(pick.data);
      }
    }
    // Anything slow (copying the photos into the shop's own storage, emailing the customer) belongs on a queue after this.
    res.status(204).end();
  });

  return router;
}
