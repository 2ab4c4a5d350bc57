/**
 * Message catalogues and language negotiation, shared by the gateway and the
 * emulator (each passes its own catalogues). Messages are ICU MessageFormat, so
 * plurals, numbers and dates follow each language's rules through Intl.
 */
import { IntlMessageFormat } from 'intl-messageformat';

export const LOCALES = ['en', 'th', 'bn'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
export const LOCALE_COOKIE = 'lang';

/** The name of each language in itself, for the language switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', th: 'ไทย', bn: 'বাংলা' };

export type Catalogue = Readonly<Record<string, string>>;
export type MessageValues = Record<string, string | number | Date>;
export type Translate = (key: string, values?: MessageValues) => string;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export class MissingMessageError extends Error {
  override name = 'MissingMessageError';
}

/**
 * Builds translators over a set of catalogues. A missing key is a programming
 * error: it throws rather than showing a key or silently falling back.
 */
export function createMessages(catalogues: Record<Locale, Catalogue>) {
  const compiled = new Map<string, IntlMessageFormat>();

  function format(locale: Locale, key: string, values?: MessageValues): string {
    const cacheKey = `${locale}\u0000${key}`;
    let message = compiled.get(cacheKey);
    if (!message) {
      const source = catalogues[locale][key];
      if (source === undefined) throw new MissingMessageError(`No message "${key}" in locale "${locale}"`);
      message = new IntlMessageFormat(source, locale);
      compiled.set(cacheKey, message);
    }
    return String(message.format(values));
  }

  return {
    catalogues,
    translator(locale: Locale): Translate {
      return (key, values) => format(locale, key, values);
    },
  };
}
