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

/**
 * Thai has no spaces between words: browsers break its lines where ICU's dictionary says a word ends, and words it
 * does not know get cut inside ("โท|เค็น" for token) or nearby words cut wrongly ("อย่างน้อยห|นึ่ง"). These words are
 * kept whole with U+2060 WORD JOINER between their letters: invisible, and ignored by screen readers and search.
 */
export const THAI_WORDS_KEPT_WHOLE = ['โทเค็น', 'หนึ่ง', 'กลับ'];

const WORD_JOINER = '\u2060';

/** A Thai catalogue with THAI_WORDS_KEPT_WHOLE unbreakable (see there). */
export function keepThaiWordsWhole(catalogue: Catalogue): Catalogue {
  const joined = THAI_WORDS_KEPT_WHOLE.map((word) => [word, [...word].join(WORD_JOINER)] as const);
  return Object.fromEntries(Object.entries(catalogue).map(([key, text]) => [key, joined.reduce((out, [word, whole]) => out.replaceAll(word, whole), text)]));
}

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
  const compiled = new Map<string, { message: IntlMessageFormat; plain: ReadonlySet<string> }>();
  const numbers = new Map<Locale, Intl.NumberFormat>();

  function format(locale: Locale, key: string, values?: MessageValues): string {
    const cacheKey = `${locale}\u0000${key}`;
    let entry = compiled.get(cacheKey);
    if (!entry) {
      const source = catalogues[locale][key];
      if (source === undefined) throw new MissingMessageError(`No message "${key}" in locale "${locale}"`);
      const message = new IntlMessageFormat(source, locale);
      entry = { message, plain: plainArguments(message.getAst()) };
      compiled.set(cacheKey, entry);
    }
    if (!values || entry.plain.size === 0) return String(entry.message.format(values));
    let number = numbers.get(locale);
    if (!number) numbers.set(locale, (number = plainNumberFormat(locale)));
    const formatted = Object.fromEntries(
      Object.entries(values).map(([name, value]) => [name, typeof value === 'number' && entry.plain.has(name) ? number.format(value) : value]),
    );
    return String(entry.message.format(formatted));
  }

  return {
    catalogues,
    translator(locale: Locale): Translate {
      return (key, values) => format(locale, key, values);
    },
  };
}

/** Numbers in plain arguments: the language's digits, grouped from five digits on (so "1600 × 1200", "12,345"). */
export const plainNumberFormat = (locale: string) => new Intl.NumberFormat(locale, { useGrouping: 'min2' });

interface AstElement {
  type: number;
  value?: unknown;
  options?: Record<string, { value: AstElement[] }>;
  children?: AstElement[];
}

/** ICU element types (@formatjs/icu-messageformat-parser): 1 a plain argument; 2-6 typed ones; 8 a tag. */
const PLAIN_ARGUMENT = 1;

/** The names a message uses only as plain `{name}` arguments, never as a typed one (a plural needs its number). */
function plainArguments(ast: readonly unknown[]): ReadonlySet<string> {
  const plain = new Set<string>();
  const typed = new Set<string>();
  const walk = (elements: readonly AstElement[]) => {
    for (const element of elements) {
      if (typeof element.value === 'string' && element.type !== 0 && element.type !== 8) (element.type === PLAIN_ARGUMENT ? plain : typed).add(element.value);
      for (const option of Object.values(element.options ?? {})) walk(option.value);
      if (element.children) walk(element.children);
    }
  };
  walk(ast as AstElement[]);
  for (const name of typed) plain.delete(name);
  return plain;
}
