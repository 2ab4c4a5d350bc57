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

/**
 * Thai has no spaces between words: browsers break its lines where ICU's dictionary says a word ends, and cut some
 * words wrongly ("อย่างน้อยห|นึ่ง"). These are kept whole with U+2060 WORD JOINER between their letters (invisible).
 */
const THAI_WORDS_KEPT_WHOLE = ['หนึ่ง', 'กลับ'];

function load(locale: Locale): Readonly<Record<string, string>> {
  const catalogue = JSON.parse(readFileSync(new URL(`./messages/${locale}.json`, import.meta.url), 'utf8')) as Record<string, string>;
  if (locale !== 'th') return catalogue;
  const whole = (text: string) => THAI_WORDS_KEPT_WHOLE.reduce((out, word) => out.replaceAll(word, [...word].join('\u2060')), text);
  return Object.fromEntries(Object.entries(catalogue).map(([key, text]) => [key, whole(text)]));
}

export const catalogues = Object.fromEntries(LOCALES.map((locale) => [locale, load(locale)])) as Record<Locale, Readonly<Record<string, string>>>;

const compiled = new Map<string, { message: IntlMessageFormat; plain: ReadonlySet<string> }>();

/**
 * A number given to a plain `{name}` is formatted in the page's digits too (ICU itself prints Latin digits there), so
 * "{max}" and "{count, number}" never mix scripts in one sentence.
 */
export function translator(locale: Locale): Translate {
  const number = new Intl.NumberFormat(locale, { useGrouping: 'min2' });
  return (key, values) => {
    const id = `${locale}\u0000${key}`;
    let entry = compiled.get(id);
    if (!entry) {
      const source = catalogues[locale][key];
      // A missing key is a bug here: fail loudly rather than show the key.
      if (source === undefined) throw new Error(`No message "${key}" in locale "${locale}"`);
      const message = new IntlMessageFormat(source, locale);
      compiled.set(id, (entry = { message, plain: plainArguments(message.getAst()) }));
    }
    const plain = entry.plain;
    const formatted = values && Object.fromEntries(Object.entries(values).map(([name, value]) => [name, typeof value === 'number' && plain.has(name) ? number.format(value) : value]));
    return String(entry.message.format(formatted));
  };
}

interface AstElement { type: number; value?: unknown; options?: Record<string, { value: AstElement[] }> }

/** Names used only as plain arguments (ICU element type 1), never typed (a plural needs its number). */
function plainArguments(ast: readonly unknown[]): ReadonlySet<string> {
  const plain = new Set<string>();
  const typed = new Set<string>();
  const walk = (elements: readonly AstElement[]) => {
    for (const element of elements) {
      if (typeof element.value === 'string' && element.type >= 1 && element.type <= 6) (element.type === 1 ? plain : typed).add(element.value);
      for (const option of Object.values(element.options ?? {})) walk(option.value);
    }
  };
  walk(ast as AstElement[]);
  return new Set([...plain].filter((name) => !typed.has(name)));
}

const isLocale = (value: unknown): value is Locale => (LOCALES as readonly unknown[]).includes(value);

/** An explicit choice (`?hl=` or the lang cookie) first, then the best Accept-Language match, then English. */
export function requestedLocale(req: Request, chosen: string | undefined): Locale {
  if (isLocale(chosen)) return chosen;
  return (req.acceptsLanguages(...LOCALES) || 'en') as Locale;
}
