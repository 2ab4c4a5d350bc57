import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHostApp, type HostApp } from '../src/app.ts';
import type { ShopConfig } from '../src/config.ts';

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export interface ShopServer extends HostApp {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * The shop's server on a free loopback port. It listens before the shop is built, so a test knows the shop's
 * origin (the gateway's APPS needs it) before it knows the gateway's; `serve` then puts the shop behind it.
 */
export async function listenShop(): Promise<{ url: string; serve(config: Omit<ShopConfig, 'shopUrl'>): ShopServer }> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    serve(config) {
      const shop = createHostApp({ ...config, shopUrl: url }, { log: () => undefined });
      server.on('request', shop.app);
      return {
        ...shop,
        url,
        server,
        close: async () => {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
      };
    },
  };
}
