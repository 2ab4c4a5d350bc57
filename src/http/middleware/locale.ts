/**
 * The page language: ?lang= (a switch, remembered in a cookie), then the
 * cookie, then Accept-Language (negotiated by Express), then English. A
 * malformed cookie or header counts as absent. Sets res.locals for the views.
 */
import type { Request, RequestHandler, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import type { Config } from '../../config.ts';
import { DEFAULT_LOCALE, LOCALES, LOCALE_COOKIE, isLocale, type Locale, type Translate } from '../../i18n/core.ts';
import { gatewayMessages } from '../../i18n/index.ts';

function chosenLocale(req: Request): Locale | undefined {
  const switchTo = req.query.lang;
  if (isLocale(switchTo)) return switchTo;
  const remembered = parseCookies(req.headers.cookie ?? '')[LOCALE_COOKIE];
  return isLocale(remembered) ? remembered : undefined;
}

function negotiatedLocale(req: Request): Locale {
  const accepted = req.acceptsLanguages(...LOCALES);
  return isLocale(accepted) ? accepted : DEFAULT_LOCALE;
}

/** Picks the request's language and puts it and its translator in res.locals; the translator is returned. */
export function localize(req: Request, res: Response): Translate {
  const locale = chosenLocale(req) ?? negotiatedLocale(req);
  const t = gatewayMessages.translator(locale);
  res.locals.locale = locale;
  res.locals.t = t;
  res.vary('Accept-Language');
  return t;
}

export function localeMiddleware(config: Config): RequestHandler {
  return (req, res, next) => {
    const switchTo = req.query.lang;
    if (isLocale(switchTo)) {
      res.cookie(LOCALE_COOKIE, switchTo, {
        httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/', maxAge: 365 * 86_400_000,
      });
    }
    localize(req, res);
    next();
  };
}
