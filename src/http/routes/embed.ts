/**
 * embed.js, the script a host app loads from here to run a pick in a popup
 * (public/embed/v2.js says how). It is the same bytes on every request,
 * replica and restart, so an app can pin it with Subresource Integrity: each
 * /embed/vN.js never changes and is cached for a year; /embed.js is the
 * current version (v2), cached for a day, so a browser may still run a v1
 * copy for a day after the switch, and a page that pinned v1 runs it for
 * good. The gateway serves both flows: v1's (the popup opens the picker
 * beside itself) for a popup that does not say `embed=2`.
 *
 * Another origin loads it: Cross-Origin-Resource-Policy lets it (helmet's
 * same-origin would not), and CORS, which a plain <script src> does not need,
 * is what SRI on another origin's script needs (crossorigin="anonymous"). It
 * is public and takes no cookies, so any origin may read it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Router, type RequestHandler } from 'express';

const script = (version: number) => {
  const source = readFileSync(new URL(`../../../public/embed/v${version}.js`, import.meta.url));
  return { source, etag: `"${createHash('sha256').update(source).digest('base64url')}"` };
};
const V1 = script(1);
const V2 = script(2);

const serve = ({ source, etag }: ReturnType<typeof script>, cacheControl: string): RequestHandler => (_req, res) => {
  res.set({
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': cacheControl,
    ETag: etag,
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  });
  res.send(source); // answers 304 to a matching If-None-Match
};

export function embedRoutes(): Router {
  const router = Router();
  const forever = 'public, max-age=31536000, immutable';
  router.get('/embed/v1.js', serve(V1, forever));
  router.get('/embed/v2.js', serve(V2, forever));
  router.get('/embed.js', serve(V2, 'public, max-age=86400'));
  return router;
}
