/**
 * The page language: ?lang= (a switch, remembered in a cookie), then the
 * cookie, then Accept-Language. Sets res.locals for the views.
 */
import type { RequestHandler } from 'express';
import type { Config } from '../../config.ts';
import { LOCALE_COOKIE, isLocale, negotiateLocale } from '../../i18n/core.ts';
import { gatewayMessages } from '../../i18n/index.ts';

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export function localeMiddleware(config: Config): RequestHandler {
  return (req, res, next) => {
    const switchTo = req.query.lang;
    if (isLocale(switchTo)) {
      res.cookie(LOCALE_COOKIE, switchTo, {
        httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/', maxAge: 365 * 86_400_000,
      });
    }
    const locale = negotiateLocale(req.get('accept-language'), isLocale(switchTo) ? switchTo : cookieValue(req.headers.cookie, LOCALE_COOKIE));
    res.locals.locale = locale;
    res.locals.t = gatewayMessages.translator(locale);
    res.vary('Accept-Language');
    next();
  };
}
