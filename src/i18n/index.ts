import { readFileSync } from 'node:fs';
import type { Catalogue, Locale } from './core.ts';
import { LOCALES, createMessages, keepThaiWordsWhole } from './core.ts';

function load(locale: Locale): Catalogue {
  const catalogue = JSON.parse(readFileSync(new URL(`./messages/${locale}.json`, import.meta.url), 'utf8')) as Catalogue;
  return locale === 'th' ? keepThaiWordsWhole(catalogue) : catalogue;
}

/** The gateway's own catalogues (the emulator keeps its own). */
export const gatewayMessages = createMessages(
  Object.fromEntries(LOCALES.map((locale) => [locale, load(locale)])) as Record<Locale, Catalogue>,
);
