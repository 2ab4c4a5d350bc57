/**
 * embed.js, the script a host app loads from here to run a pick in a popup
 * (public/embed/v1.js says how). It is the same bytes on every request,
 * replica and restart, so an app can pin it with Subresource Integrity:
 * /embed/v1.js never changes within v1 and is cached for a year; /embed.js is
 * the current version, cached for a day.
 *
 * Another origin loads it: Cross-Origin-Resource-Policy lets it (helmet's
 * same-origin would not), and CORS, which a plain <script src> does not need,
 * is what SRI on another origin's script needs (crossorigin="anonymous"). It
 * is public and takes no cookies, so any origin may read it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Router, type RequestHandler } from 'express';

const SOURCE = readFileSync(new URL('../../../public/embed/v1.js', import.meta.url));
const ETAG = `"${createHash('sha256').update(SOURCE).digest('base64url')}"`;

const serve = (cacheControl: string): RequestHandler => (_req, res) => {
  res.set({
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': cacheControl,
    ETag: ETAG,
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  });
  res.send(SOURCE); // answers 304 to a matching If-None-Match
};

export function embedRoutes(): Router {
  const router = Router();
  router.get('/embed/v1.js', serve('public, max-age=31536000, immutable'));
  router.get('/embed.js', serve('public, max-age=86400'));
  return router;
}
