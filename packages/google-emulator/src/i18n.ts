/**
 * The emulator's pages speak English, Thai and Bengali: its own ICU MessageFormat catalogues (messages/*.json, through
 * intl-messageformat, so plurals and numbers follow each language) and the language a request asks for. The package
 * keeps this to itself so it needs nothing from the gateway.
 */
import { readFileSync } from 'node:fs';
import type { Request } from 'express';
import { IntlMessageFormat } from 'intl-messageformat';

export const LOCALES = ['en', 'th', 'bn'] as const;
export type Locale = (typeof LOCALES)[number];
/** Each language's name in itself, for the language switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', th: 'ไทย', bn: 'বাংলা' };
export type Translate = (key: string, values?: Record<string, string | number>) => string;

export const catalogues = Object.fromEntries(
  LOCALES.map((locale) => [locale, JSON.parse(readFileSync(new URL(`./messages/${locale}.json`, import.meta.url), 'utf8'))]),
) as Record<Locale, Readonly<Record<string, string>>>;

const compiled = new Map<string, IntlMessageFormat>();

export function translator(locale: Locale): Translate {
  return (key, values) => {
    const id = `${locale}\u0000${key}`;
    let message = compiled.get(id);
    if (!message) {
      const source = catalogues[locale][key];
      // A missing key is a bug here: fail loudly rather than show the key.
      if (source === undefined) throw new Error(`No message "${key}" in locale "${locale}"`);
      compiled.set(id, (message = new IntlMessageFormat(source, locale)));
    }
    return String(message.format(values));
  };
}

const isLocale = (value: unknown): value is Locale => (LOCALES as readonly unknown[]).includes(value);

/** An explicit choice (`?hl=` or the lang cookie) first, then the best Accept-Language match, then English. */
export function requestedLocale(req: Request, chosen: string | undefined): Locale {
  if (isLocale(chosen)) return chosen;
  return (req.acceptsLanguages(...LOCALES) || 'en') as Locale;
}
