/**
 * The gateway's webhook: a Standard Webhooks delivery, verified on the raw
 * bytes by the gateway's client package (parsing first would change them),
 * handled once per webhook-id, and answered at once. The gateway retries
 * anything but a 2xx for a day with the same webhook-id, so a delivery seen
 * before is acknowledged, not handled again.
 */
import express, { Router } from 'express';
import { verifyWebhook, WebhookVerificationError, type GatewayPick, type VerifiedDelivery } from '@photos-picker-gateway/host-app-client';
import type { Shop } from './shop.ts';

/** `onPick` hears of each pick the webhook told of, and whether a customer had already come back for it. */
export function webhookRoutes(options: { path: string; secret: string; shop: Shop; onPick?: (pick: GatewayPick, credited: boolean) => void }): Router {
  const router = Router();

  router.post(options.path, express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let delivery: VerifiedDelivery;
    try {
      // The signature with the shop's secret (a list during a rotation), and a timestamp within 5 minutes (an old capture replayed).
      delivery = verifyWebhook(body, req.headers, [options.secret]);
    } catch (error) {
      res.status(error instanceof WebhookVerificationError ? 401 : 400).type('text/plain').send('not a valid delivery');
      return;
    }
    if (!options.shop.firstDelivery(delivery.id)) {
      res.status(204).end();
      return;
    }
    const { event } = delivery;
    if (event.type === 'pick.completed') {
      // What happened to a pick, not whose it is: `sub` names the customer the request was signed for, who may not be
      // the person who picked (a forwarded link). Only a credited pick's record is updated; the others wait for their return.
      options.onPick?.(event.data, options.shop.update(event.data) !== undefined);
    }
    // Anything slow (copying the photos into the shop's own storage, emailing the customer) belongs on a queue after this.
    res.status(204).end();
  });

  return router;
}
