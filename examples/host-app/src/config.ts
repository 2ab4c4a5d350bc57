/**
 * What the print shop needs to know about the gateway, and what the gateway
 * needs to know about the print shop (its entry in the gateway's APPS).
 */

export interface ShopConfig {
  /** The gateway's PUBLIC_URL: where customers are sent, the API's root, and the `aud` of every request. */
  gatewayUrl: string;
  /** The shop's own origin, as browsers see it: `return_to` and the webhook URL are on it. */
  shopUrl: string;
  /** The shop's id in the gateway's APPS. */
  appId: string;
  /** The shop's Standard Webhooks secret (`whsec_…`), the same one the gateway's APPS lists. Never sent to a browser. */
  secret: string;
}

export const WEBHOOK_PATH = '/webhooks/photos';
export const RETURN_PATH = '/return';
/** A print order holds at most this many photos; the gateway caps it by the app's maxItems too. */
export const MAX_ITEMS = 20;

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export class ShopConfigError extends Error {
  override name = 'ShopConfigError';
}

const origin = (name: string, value: string): string => {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // reported below
  }
  throw new ShopConfigError(`${name} must be an http(s) origin such as http://127.0.0.1:4100`);
};

/** Reads the shop's settings from its environment; a missing or malformed one stops the start, naming it (never its value). */
export function loadShopConfig(env: Record<string, string | undefined>): ShopConfig {
  const secret = env.APP_SECRET ?? '';
  if (!SECRET.test(secret)) throw new ShopConfigError('APP_SECRET must be the app\'s whsec_ secret, as listed in the gateway\'s APPS');
  const appId = env.APP_ID ?? 'print-shop';
  if (!/^[a-z0-9-]{1,40}$/.test(appId)) throw new ShopConfigError('APP_ID must be the app\'s id in the gateway\'s APPS (a-z, 0-9 and -)');
  return {
    gatewayUrl: origin('GATEWAY_URL', env.GATEWAY_URL ?? 'http://localhost:3000'),
    shopUrl: origin('APP_URL', env.APP_URL ?? 'http://127.0.0.1:4100'),
    appId,
    secret,
  };
}

/** The shop's entry in the gateway's APPS (a JSON list of these), as `npm run example` configures it. */
export function gatewayAppEntry(config: ShopConfig, name = 'Print Shop (example)') {
  return {
    id: config.appId,
    name,
    secrets: [config.secret],
    returnOrigins: [config.shopUrl],
    webhookUrl: `${config.shopUrl}${WEBHOOK_PATH}`,
    maxItems: MAX_ITEMS,
  };
}
