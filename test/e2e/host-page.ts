/**
 * A host app in a few lines, for the browser suites: its own origin (http://localhost:port, another site than the
 * gateway's 127.0.0.1), a page with a full-page link and a popup button through embed.js (pinned with SRI, under a
 * CSP that names the gateway in script-src and connect-src and nothing else), the request signed on its server with
 * jose, a return page and a webhook receiver. Started in a before() hook registered before the gateway's, so the
 * gateway's APPS can name it. `/` loads embed.js v2; `/v1` the v1 that pages pinned before it (and browsers may
 * still hold); `/no-connect` v2 under a CSP without connect-src, which cannot reach the gateway.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { SignJWT } from 'jose';
import { secretKey } from '../../src/domain/host-apps.ts';

export interface HostPage {
  /** The app's origin, once started. */
  readonly origin: string;
  readonly secret: string;
  /** The gateway's APPS with this app in it. */
  apps(): string;
  /** A fresh signed pick request, with these claims over the usual ones. */
  sign(claims?: Record<string, unknown>): Promise<string>;
  /** The webhook deliveries received, their bodies parsed. */
  readonly webhooks: ReadonlyArray<{ type: string; data: { id: string; status: string } }>;
}

export const HOST_APP = { id: 'shop', name: 'Print Shop', state: 'order-7' } as const;

/** What an app pins in its integrity attribute: the hash of the file it reviewed. */
const integrityOf = (version: number) => `sha384-${createHash('sha384').update(readFileSync(new URL(`../../public/embed/v${version}.js`, import.meta.url))).digest('base64')}`;
const EMBED = { v1: { version: 1, integrity: integrityOf(1), connect: true }, v2: { version: 2, integrity: integrityOf(2), connect: true } };
/** The page's embed.js and whether its CSP lets it reach the gateway, by the page's path. */
const PAGES: Record<string, { version: number; integrity: string; connect: boolean }> = { '/': EMBED.v2, '/v1': EMBED.v1, '/no-connect': { ...EMBED.v2, connect: false } };

const HOST_SCRIPT = `
const result = document.getElementById('result');
const progress = document.getElementById('progress');
document.getElementById('popup').addEventListener('click', () => {
  result.textContent = '';
  // Signed on the app's server at each click; pick() opens the popup before the answer comes.
  const request = fetch('/request').then((answer) => answer.text());
  const onProgress = (step) => { progress.textContent += JSON.stringify(step) + '\\n'; };
  PhotosPickerGateway.pick({ request, onProgress }).then(
    (outcome) => { result.textContent = JSON.stringify(outcome); },
    (error) => { result.textContent = 'error: ' + error.name; },
  );
});
`;

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function hostPage(gatewayUrl: () => string): HostPage {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let server: Server | undefined;
  let origin: string | undefined;
  const webhooks: Array<{ type: string; data: { id: string; status: string } }> = [];

  const page: HostPage = {
    get origin() {
      if (!origin) throw new Error('the host page starts in before()');
      return origin;
    },
    secret,
    apps: () => JSON.stringify([{ id: HOST_APP.id, name: HOST_APP.name, secrets: [secret], returnOrigins: [page.origin], webhookUrl: `${page.origin}/hooks` }]),
    webhooks,
    async sign(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ return_to: `${page.origin}/back`, state: HOST_APP.state, ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(HOST_APP.id).setAudience(gatewayUrl()).setSubject('customer-1').setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID())
        .sign(secretKey(secret));
    },
  };

  before(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const gateway = gatewayUrl();
        const path = new URL(req.url ?? '/', 'http://host').pathname;
        const embed = PAGES[path];
        if (embed) {
          const link = `${gateway}/pick?app=${HOST_APP.id}&request=${await page.sign()}`;
          const csp = `default-src 'self'; img-src 'self' data:; script-src 'self' ${gateway}${embed.connect ? `; connect-src 'self' ${gateway}` : ''}`;
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
          res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Print Shop</title><link rel="icon" href="data:,"></head><body>
<h1>Print Shop</h1>
<p><a id="full-page" href="${escape(link)}">Import from Google Photos</a></p>
<p><button id="popup" type="button">Import in a popup</button></p>
<output id="result"></output>
<pre id="progress"></pre>
<script src="${gateway}/embed/v${embed.version}.js" integrity="${embed.integrity}" crossorigin="anonymous"></script>
<script src="/host.js"></script>
</body></html>`);
        } else if (path === '/host.js') {
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(HOST_SCRIPT);
        } else if (path === '/request') {
          res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(await page.sign());
        } else if (path === '/hooks' && req.method === 'POST') {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          webhooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof webhooks)[number]);
          res.writeHead(204).end();
        } else if (path === '/back') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Back at Print Shop</title><link rel="icon" href="data:,"><h1>Back at Print Shop</h1>');
        } else {
          res.writeHead(404).end();
        }
      })();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });
  return page;
}
