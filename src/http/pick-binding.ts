/**
 * The cookie that binds a pick to the browser that presented its request: GET /pick gives that browser the pick's
 * key, and every route of the pick asks for it back. One cookie per pick, named after it, so picks started in
 * several tabs never overwrite each other, and separate from the session, whose id changes at sign-in.
 *
 * Under https it is `__Host-pick-{id}`: Secure, no Domain and Path=/, which the prefix demands. Browsers then take it
 * only from the gateway's own https origin, so a sibling subdomain cannot plant its own pick's key in a victim's
 * browser (cookie tossing); the price is that it travels with every request to the gateway until it expires. Under
 * http (local trials) no prefix can help, and Path=/picks/{id} keeps it to the pick's own routes.
 *
 * HttpOnly; SameSite=Lax, so it comes along on the app's top-level navigation, in a popup, and after the sign-in's
 * redirects, but not on another site's form post.
 */
import type { Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { pickPath } from './pick-view.ts';

/** Longer than a person spends consenting, picking and waiting for an import; the pick's end comes back within it. */
const LIFETIME_MS = 86_400_000;

export interface PickBinding {
  /** Gives this browser the pick's key. */
  give(res: Response, id: string, browserKey: string): void;
  /** The key this browser holds for the pick, if any. */
  keyOf(req: Request, id: string): string | undefined;
}

export function pickBinding(options: { secure: boolean }): PickBinding {
  const { secure } = options;
  const nameOf = (id: string) => (secure ? `__Host-pick-${id}` : `pick-${id}`);
  return {
    give(res, id, browserKey) {
      res.cookie(nameOf(id), browserKey, { httpOnly: true, sameSite: 'lax', secure, path: secure ? '/' : pickPath(id), maxAge: LIFETIME_MS });
    },
    keyOf(req, id) {
      return req.headers.cookie ? parseCookies(req.headers.cookie)[nameOf(id)] : undefined;
    },
  };
}
