import { readFileSync } from 'node:fs';
import type { Catalogue, Locale } from './core.ts';
import { LOCALES, createMessages } from './core.ts';

function load(locale: Locale): Catalogue {
  return JSON.parse(readFileSync(new URL(`./messages/${locale}.json`, import.meta.url), 'utf8')) as Catalogue;
}

/** The gateway's own catalogues (the emulator keeps its own). */
export const gatewayMessages = createMessages(
  Object.fromEntries(LOCALES.map((locale) => [locale, load(locale)])) as Record<Locale, Catalogue>,
);
