/**
 * Server-rendered pages (Eta, auto-escaped). Every page gets the shared
 * locals: language and translator, CSP nonce, CSRF token (empty for visitors
 * with nothing in their session), language switcher.
 */
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import { LOCALES, LOCALE_NAMES, type Locale, type Translate } from '../i18n/core.ts';
import { setPageOpenerPolicy } from './middleware/security.ts';

export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

export interface Views {
  render(req: Request, res: Response, view: string, data: Record<string, unknown> & { title: string }, status?: number): void;
}

export function createViews(options: { cache: boolean; csrfToken: (req: Request) => string }): Views {
  const eta = new Eta({ views: VIEWS_DIR, cache: options.cache, autoEscape: true, autoTrim: [false, 'nl'] });
  return {
    render(req, res, view, data, status = 200) {
      const locale = res.locals.locale as Locale;
      const html = eta.render(`./${view}`, {
        ...data,
        locale,
        t: res.locals.t as Translate,
        cspNonce: res.locals.cspNonce as string,
        csrfToken: options.csrfToken(req),
        languages: LOCALES.map((code) => ({ code, name: LOCALE_NAMES[code], current: code === locale })),
      });
      setPageOpenerPolicy(res);
      res.status(status).type('html').send(html);
    },
  };
}
