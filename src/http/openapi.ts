/**
 * The OpenAPI 3.1 document of everything a host app touches (GET /pick and
 * its signed request, the API for apps, the pick.completed webhook): the
 * contract's source of truth, kept beside the routes it describes. The tests
 * validate it as a document and every API answer and webhook body against it,
 * and the host-app client's types are generated from it.
 *
 * It is served at GET /api/v1/openapi.json to anyone (no secret, no cookie),
 * with `servers` naming this gateway, the same bytes on every request, so it
 * is cacheable and any origin may read it.
 */
import { createHash } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import document from './openapi.json' with { type: 'json' };

/** The version of the contract the API and the webhooks speak: the document's info.version. */
export const API_VERSION: string = document.info.version;

/** Every answer of the API for apps says which version of the contract it follows. */
export const apiVersionHeader: RequestHandler = (_req, res, next) => {
  res.set('API-Version', API_VERSION);
  next();
};

/** The document as this gateway serves it: `servers` is its own PUBLIC_URL. */
export function servedDocument(publicUrl: URL): string {
  const url = publicUrl.href.replace(/\/+$/, '');
  return JSON.stringify({ ...document, servers: [{ url, description: 'This gateway.' }] });
}

export function openApiRoutes(publicUrl: URL): Router {
  const body = servedDocument(publicUrl);
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  const router = Router();
  router.get('/api/v1/openapi.json', (_req, res) => {
    res.set({
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'public, max-age=3600',
      ETag: etag,
      'API-Version': API_VERSION,
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    res.send(body); // answers 304 to a matching If-None-Match
  });
  return router;
}
