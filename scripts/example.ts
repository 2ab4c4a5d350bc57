/**
 * `npm run example`: the gateway (on its built-in Google emulator) and the
 * example host app, a print shop, side by side on two origins, as a host app
 * and the gateway would run in the world. Ctrl-C stops both.
 *
 * Ports come from the environment: PORT (the gateway, 3000), EMULATOR_PORT
 * (its emulator, PORT + 1) and SHOP_PORT (the shop, 4100).
 *
 * The shop's secret is EXAMPLE_APP_SECRET when set, else a fresh one for
 * this run; it reaches both processes through their environment only and is
 * never printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { gatewayAppEntry, loadShopConfig } from '../examples/host-app/src/config.ts';

const ROOT = path.join(import.meta.dirname, '..');

/** A port from the environment, or the default; anything else stops the example with a word on what to fix. */
function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error(`${name} must be a port number from 1 to 65535, not "${raw}".`);
    process.exit(1);
  }
  return port;
}

const GATEWAY_PORT = portFrom('PORT', 3000);
const EMULATOR_PORT = portFrom('EMULATOR_PORT', GATEWAY_PORT + 1);
const SHOP_PORT = portFrom('SHOP_PORT', 4100);
const GATEWAY_URL = `http://localhost:${GATEWAY_PORT}`;
const EMULATOR_URL = `http://localhost:${EMULATOR_PORT}`;
// Another host than the gateway's, not only another port: the two sites' cookies stay apart, as they would in the world.
const SHOP_URL = `http://127.0.0.1:${SHOP_PORT}`;
const STOP_GRACE_MS = 15_000;

const shop = loadShopConfig({
  APP_ID: 'print-shop',
  APP_SECRET: process.env.EXAMPLE_APP_SECRET ?? `whsec_${randomBytes(32).toString('base64')}`,
  APP_URL: SHOP_URL,
  GATEWAY_URL,
});

/** This shell's environment without what would point the gateway elsewhere than the emulator and this one app. */
const { GOOGLE_CLIENT_ID: _id, GOOGLE_CLIENT_SECRET: _secret, APPS_FILE: _file, EXAMPLE_APP_SECRET: _example, PUBLIC_URL: _url, SHOP_PORT: _shop, ...inherited } = process.env;

const children: Array<{ name: string; process: ChildProcess }> = [];

function start(name: string, script: string, env: Record<string, string>): void {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...inherited, ...env }, stdio: 'inherit' });
  children.push({ name, process: child });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped (${signal ?? `exit code ${code}`}); stopping the example.`);
      void stop(1);
    }
  });
}

let stopping = false;
async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const running = children.filter(({ process: child }) => child.exitCode === null && child.signalCode === null);
  for (const { process: child } of running) child.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const { process: child } of running) child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(running.map(({ process: child }) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
  clearTimeout(killer);
  process.exit(exitCode);
}

async function answers(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (stopping) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// Ctrl-C reaches the children too (one process group); this makes sure they go, and waits for them.
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

// Its own data directory, so the example runs beside `npm start` (one process per embedded store).
const dataDir = process.env.DATA_DIR ?? 'data/example';
start('The gateway', 'src/server.ts', { PORT: String(GATEWAY_PORT), EMULATOR_PORT: String(EMULATOR_PORT), PUBLIC_URL: GATEWAY_URL, DATA_DIR: dataDir, APPS: JSON.stringify([gatewayAppEntry(shop)]) });
start('The print shop', 'examples/host-app/src/main.ts', { APP_ID: shop.appId, APP_SECRET: shop.secret, APP_URL: SHOP_URL, GATEWAY_URL });

try {
  await Promise.all([answers(`${GATEWAY_URL}/healthz`), answers(`${SHOP_URL}/healthz`)]);
} catch (error) {
  console.error((error as Error).message);
  await stop(1);
}
if (!stopping) {
  console.log(`
  The example runs on two origins:
    ${SHOP_URL}   the print shop, a host app: open this one
    ${GATEWAY_URL}   the Photos Picker Gateway, where the shop sends its customers
    ${EMULATOR_URL}   Google, emulated (sign in as alice@example.com)
  Ctrl-C stops them.
`);
}
