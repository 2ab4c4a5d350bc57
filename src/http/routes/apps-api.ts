/**
 * The API for host apps: a pick's outcome and its imported items' bytes.
 * Apps authenticate with one of their secrets as a bearer token (compared in
 * constant time); there are no cookies and no CSRF here, and every answer is
 * JSON or problem+json. Another app's pick does not exist for an app.
 */
import { Router, type RequestHandler, type Response } from 'express';
import type { HostApp } from '../../domain/host-apps.ts';
import type { Imports } from '../../domain/imports.ts';
import { pickReport } from '../../domain/pick-reports.ts';
import type { Picks } from '../../domain/picks.ts';
import { AppError, notFound } from '../../errors.ts';
import { sameSecret } from '../../security/constant-time.ts';
import { apiVersionHeader } from '../openapi.ts';
import { mediaItemIdParam } from '../inputs.ts';
import { serveStored } from '../content-response.ts';

export interface AppsApiDeps {
  apps: readonly HostApp[];
  picks: Picks;
  imports?: Imports;
}

const unauthorized = () =>
  new AppError({ status: 401, code: 'UNAUTHENTICATED', detail: 'Send one of the app\'s secrets as Authorization: Bearer whsec_….' });

/** Finds the app whose secret the request carries; every secret is compared, so the time taken says nothing of which. */
function authenticate(apps: readonly HostApp[]): RequestHandler {
  return (req, res, next) => {
    // Problem details whatever the client's Accept header says: this is an API, never a page.
    req.headers.accept = 'application/json';
    const [scheme, token] = (req.get('authorization') ?? '').split(' ');
    let found: HostApp | undefined;
    if (scheme?.toLowerCase() === 'bearer' && token) {
      for (const app of apps) for (const secret of app.secrets) if (sameSecret(token, secret)) found ??= app;
    }
    if (!found) {
      res.set('WWW-Authenticate', 'Bearer realm="picks"');
      return next(unauthorized());
    }
    res.locals.hostApp = found;
    next();
  };
}

const appOf = (res: Response) => res.locals.hostApp as HostApp;

export function appsApiRoutes(deps: AppsApiDeps): Router {
  const router = Router();
  router.use(apiVersionHeader, authenticate(deps.apps));

  const pickOf = (res: Response, id: unknown) => deps.picks.ofApp(appOf(res).id, String(id));

  router.get('/picks/:pick', async (req, res) => {
    const pick = await pickOf(res, req.params.pick);
    res.set('Cache-Control', 'no-store').json(await pickReport(pick, deps.imports));
  });

  router.get('/picks/:pick/items/:itemId/content', async (req, res) => {
    const pick = await pickOf(res, req.params.pick);
    const itemId = mediaItemIdParam.parse(req.params.itemId);
    const stored = pick.userId && pick.pickerSessionId ? await deps.imports?.stored(pick.userId, pick.pickerSessionId, itemId) : undefined;
    if (!stored || !deps.imports) throw notFound('No imported item with this id in this pick.');
    await serveStored(req, res, deps.imports, stored, { download: typeof req.query.download === 'string' ? req.query.download : undefined });
  });

  // Everything else under the API ends here: falling through would reach the browser's session middleware, which
  // would roll (and set) the cookie of a browser calling the API.
  router.use(() => {
    throw notFound('No such API route: GET /api/v1/picks/{pick} and GET /api/v1/picks/{pick}/items/{itemId}/content are the API; /api/v1/openapi.json describes it.');
  });

  return router;
}
