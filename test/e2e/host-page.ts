/**
 * A host app in a few lines, for the browser suites: its own origin (http://localhost:port, another site than the
 * gateway's 127.0.0.1), a page with a full-page link and a popup button through embed.js (pinned with SRI, under a
 * CSP that names the gateway in script-src and nothing else), the request signed on its server with jose, and a
 * return page. Started in a before() hook registered before the gateway's, so the gateway's APPS can name it.
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
}

export const HOST_APP = { id: 'shop', name: 'Print Shop', state: 'order-7' } as const;

/** What an app pins in its integrity attribute: the hash of the file it reviewed. */
const EMBED_INTEGRITY = `sha384-${createHash('sha384').update(readFileSync(new URL('../../public/embed/v1.js', import.meta.url))).digest('base64')}`;

const HOST_SCRIPT = `
const result = document.getElementById('result');
document.getElementById('popup').addEventListener('click', () => {
  result.textContent = '';
  // Signed on the app's server at each click; pick() opens the popup before the answer comes.
  const request = fetch('/request').then((answer) => answer.text());
  PhotosPickerGateway.pick({ request }).then(
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

  const page: HostPage = {
    get origin() {
      if (!origin) throw new Error('the host page starts in before()');
      return origin;
    },
    secret,
    apps: () => JSON.stringify([{ id: HOST_APP.id, name: HOST_APP.name, secrets: [secret], returnOrigins: [page.origin] }]),
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
        if (path === '/') {
          const link = `${gateway}/pick?app=${HOST_APP.id}&request=${await page.sign()}`;
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': `default-src 'self'; img-src 'self' data:; script-src 'self' ${gateway}` });
          res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Print Shop</title><link rel="icon" href="data:,"></head><body>
<h1>Print Shop</h1>
<p><a id="full-page" href="${escape(link)}">Import from Google Photos</a></p>
<p><button id="popup" type="button">Import in a popup</button></p>
<output id="result"></output>
<script src="${gateway}/embed/v1.js" integrity="${EMBED_INTEGRITY}" crossorigin="anonymous"></script>
<script src="/host.js"></script>
</body></html>`);
        } else if (path === '/host.js') {
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(HOST_SCRIPT);
        } else if (path === '/request') {
          res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(await page.sign());
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
