/**
 * The print shop: a plain Express app whose customers import photos from
 * Google Photos through the gateway. Everything that involves the shop's
 * secret (signing requests, calling the API, checking webhooks) happens here
 * on the server; browsers only ever see signed, single-use requests.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import express, { type Request, type Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { RETURN_PATH, WEBHOOK_PATH, type ShopConfig } from './config.ts';
import {
  GatewayError, GatewayUnreachableError, NotFoundError, PicksClient, RangeNotSatisfiableError, type GatewayPick,
} from '@photos-picker-gateway/host-app-client';
import { homePage, pickPage, problemPage } from './pages.ts';
import { newPickRequest } from './pick-request.ts';
import { Shop } from './shop.ts';
import { webhookRoutes } from './webhooks.ts';

declare module 'express-session' {
  interface SessionData {
    /** The shop's own id for this customer; a real shop has its own sign-in. */
    customer: string;
  }
}

export interface HostApp {
  app: express.Express;
  shop: Shop;
}

const PUBLIC = path.join(import.meta.dirname, '..', 'public');
/** Passed on as the gateway sends them: with the last three, an item that is not a picture or video never renders here. */
const CONTENT_HEADERS = [
  'content-type', 'content-length', 'content-range', 'accept-ranges', 'cache-control',
  'content-disposition', 'x-content-type-options', 'content-security-policy',
];

/** The customer of this browser, made up on the first visit (in place of a real sign-in). */
function customerOf(req: Request): string {
  req.session.customer ??= `customer-${randomBytes(4).toString('hex')}`;
  return req.session.customer;
}

const problem = (res: Response, status: number, title: string, message: string) =>
  res.status(status).set('Cache-Control', 'no-store').type('html').send(problemPage(title, message));

const oneString = (value: unknown, max: number) => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined);

export function createHostApp(config: ShopConfig, options: { log?: (line: string) => void } = {}): HostApp {
  const log = options.log ?? ((line: string) => console.log(line));
  const shop = new Shop();
  // The gateway's API, with the shop's secret, from the server only; it retries what the gateway says to retry.
  const gateway = new PicksClient({ gatewayUrl: config.gatewayUrl, secret: config.secret });
  /** The pick, or undefined when the gateway knows no such pick of this shop. */
  const pickOf = (id: string) => gateway.get(id).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  const app = express();

  app.use(helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // embed.js comes from the gateway; no inline script anywhere.
        scriptSrc: ["'self'", config.gatewayUrl],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        mediaSrc: ["'self'"],
        // embed.js v2 follows the popup's pick from this page: it asks the gateway, with the pick's ticket.
        connectSrc: ["'self'", config.gatewayUrl],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    // The popup must keep its opener, or the gateway's page could not hand this page the pick's ticket.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
    strictTransportSecurity: config.shopUrl.startsWith('https:'),
  }));

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  // The shop has no icon: browsers ask anyway, and a 404 would be an error in every console.
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.use(express.static(PUBLIC, { index: false }));
  // Before the session: the gateway's deliveries carry no cookie and need none.
  app.use(webhookRoutes({
    path: WEBHOOK_PATH,
    secret: config.secret,
    shop,
    onPick: (pick, credited) => log(`webhook: pick ${pick.id} ended ${pick.status} with ${pick.items.length} item(s); ${credited ? 'its customer has it' : 'no customer has come back for it yet, so it is no one\'s'}`),
  }));
  app.use(session({
    name: 'shop.sid',
    // Sessions last as long as the process: a restart signs every customer out, which an example can afford.
    secret: randomBytes(32).toString('base64'),
    resave: false,
    saveUninitialized: false,
    // Lax: the return from the gateway is a top-level GET from another site, which must carry the cookie.
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.shopUrl.startsWith('https:') },
  }));

  /** A fresh request for this customer, with a state the shop will expect back. */
  const newRequest = (customer: string) => newPickRequest(config, { customer, state: shop.issueState(customer) });

  app.get('/', async (req, res) => {
    const customer = customerOf(req);
    res.set('Cache-Control', 'no-store').type('html').send(homePage({
      customer,
      gatewayUrl: config.gatewayUrl,
      appId: config.appId,
      // embed.js must open its popup during the click, so the popup's request is signed ahead, here.
      popupRequest: (await newRequest(customer)).request,
      picks: shop.picksOf(customer),
    }));
  });

  // The full-page button: signed at the click, so it is never stale and never used twice.
  app.get('/import', async (req, res) => {
    res.set('Cache-Control', 'no-store').redirect(303, (await newRequest(customerOf(req))).url);
  });

  // A new request for the popup button once its last one is used or nearly expired.
  app.get('/import/request', async (req, res) => {
    res.set('Cache-Control', 'no-store').json({ app: config.appId, request: (await newRequest(customerOf(req))).request });
  });

  app.get(RETURN_PATH, async (req, res) => {
    const customer = customerOf(req);
    const pickId = oneString(req.query.pick, 100);
    const state = oneString(req.query.state, 512);
    // Anyone can link a customer here with made-up parameters, or forward a request the shop signed for them to someone
    // else, whose browser then comes back here with it: only a state issued to this very customer counts.
    if (!pickId || !state || !shop.takeState(state, customer)) {
      problem(res, 400, 'This import was not started here', 'The link that brought you here does not belong to an import you started in this browser. Start the import again from the shop.');
      return;
    }
    // `status` in the URL is a hint only; the API says what really happened.
    const pick = await pickOf(pickId);
    if (!pick || pick.sub !== customer || pick.state !== state) {
      problem(res, 400, 'This import was not started here', 'The gateway knows no such import of yours. Start the import again from the shop.');
      return;
    }
    // Only now, and only here, does the pick become this customer's.
    shop.credit(customer, pick);
    res.redirect(303, `/picks/${encodeURIComponent(pick.id)}`);
  });

  /** The customer's pick, fresh from the API; undefined when it is not theirs. */
  const customersPick = async (req: Request): Promise<GatewayPick | undefined> => {
    const id = String(req.params.pick);
    if (!shop.pickOf(customerOf(req), id)) return undefined;
    const pick = await pickOf(id);
    if (pick) shop.update(pick);
    return pick;
  };

  app.get('/picks/:pick', async (req, res) => {
    const pick = await customersPick(req);
    if (!pick) return void problem(res, 404, 'No such import', 'You have no import with this address.');
    res.set('Cache-Control', 'no-store').type('html').send(pickPage(pick));
  });

  app.get('/picks/:pick/status', async (req, res) => {
    const pick = await customersPick(req);
    if (!pick) return void res.status(404).json({ status: null });
    res.set('Cache-Control', 'no-store').json({ status: pick.status });
  });

  // The photos' bytes, fetched with the secret on the server and streamed through; Range passes both ways (videos seek).
  app.get('/picks/:pick/items/:item/content', async (req, res) => {
    const pickId = String(req.params.pick);
    if (!shop.pickOf(customerOf(req), pickId)) return void res.status(404).end();
    const aborted = new AbortController();
    res.once('close', () => aborted.abort());
    const range = req.get('range');
    let upstream;
    try {
      upstream = await gateway.content(pickId, String(req.params.item), { ...(range?.startsWith('bytes=') ? { range } : {}), signal: aborted.signal });
    } catch (error) {
      // 404 and 416 mean the same to the browser; anything else is the shop's trouble with the gateway, not the browser's.
      if (error instanceof NotFoundError) return void res.status(404).end();
      if (error instanceof RangeNotSatisfiableError) return void res.status(416).set('content-range', `bytes */${error.size ?? '*'}`).end();
      throw error;
    }
    res.status(upstream.status);
    for (const name of CONTENT_HEADERS) {
      const value = upstream.headers.get(name);
      if (value !== null) res.setHeader(name, value);
    }
    await pipeline(Readable.fromWeb(upstream.body as NodeReadableStream<Uint8Array>), res).catch(() => undefined); // a customer who leaves mid-video
  });

  app.use((error: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (res.headersSent) return void res.destroy();
    const gatewayTrouble = error instanceof GatewayError || error instanceof GatewayUnreachableError;
    if (gatewayTrouble) problem(res, 502, 'The gateway did not answer', 'The photo gateway could not be reached or refused the shop. Try again in a moment.');
    else problem(res, 500, 'Something went wrong', 'Something went wrong in the shop. Try again in a moment.');
  });

  return { app, shop };
}
