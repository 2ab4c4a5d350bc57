/**
 * Starts the print shop on APP_URL's port. Settings, from the environment:
 * APP_SECRET (required: the shop's whsec_ secret, as in the gateway's APPS),
 * APP_ID (print-shop), APP_URL (http://127.0.0.1:4100, the shop's origin),
 * GATEWAY_URL (http://localhost:3000, the gateway's PUBLIC_URL), HOST.
 */
import { once } from 'node:events';
import { createHostApp } from './app.ts';
import { loadShopConfig, ShopConfigError } from './config.ts';

let config;
try {
  config = loadShopConfig(process.env);
} catch (error) {
  if (!(error instanceof ShopConfigError)) throw error;
  console.error(`${error.message}. \`npm run example\` at the repository's root sets everything up.`);
  process.exit(1);
}

const { app } = createHostApp(config);
const shopUrl = new URL(config.shopUrl);
const server = app.listen(Number(shopUrl.port || (shopUrl.protocol === 'https:' ? 443 : 80)), process.env.HOST ?? '127.0.0.1');
await once(server, 'listening');
console.log(`Print Shop (example host app) listening on ${config.shopUrl}, sending its customers to the gateway at ${config.gatewayUrl}`);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 2000).unref();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
