import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IntlMessageFormat } from 'intl-messageformat';
import { createEmulator, type Emulator } from '../src/index.ts';
import { LOCALES, catalogues } from '../src/i18n.ts';

const SCRIPT = { th: /[\u0E00-\u0E7F]/, bn: /[\u0980-\u09FF]/ } as const;
const argumentsOf = (message: string) => [...new Set([...message.matchAll(/\{\s*(\w+)/g)].map((m) => m[1]))].sort();

describe('the emulator: languages', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = createEmulator();
    await emulator.listen();
  });
  after(() => emulator.close());

  it('when the catalogues are compared, then every language has the same keys, compiles, uses English\'s arguments and is translated', () => {
    const english = catalogues.en;
    assert.ok(Object.keys(english).length > 10);
    for (const locale of LOCALES) {
      assert.deepEqual(Object.keys(catalogues[locale]).sort(), Object.keys(english).sort(), locale);
      for (const [key, message] of Object.entries(catalogues[locale])) {
        assert.doesNotThrow(() => new IntlMessageFormat(message, locale), `${locale} ${key}`);
        assert.deepEqual(argumentsOf(message), argumentsOf(english[key]!), `${locale} ${key} arguments`);
        if (locale !== 'en' && /[a-z]{3,}/i.test(english[key]!.replace(/Google( Photos)?|\{[^}]*\}/g, ''))) {
          assert.match(message, SCRIPT[locale], `${locale} ${key} is not translated: ${message}`);
        }
      }
    }
  });

  it('when a page is asked for, then ?hl= wins, then the lang cookie, then Accept-Language by q-value, then English', async () => {
    const langOf = async (query: string, headers: Record<string, string>) => {
      const html = await (await fetch(`${emulator.url}/o/oauth2/v2/auth?client_id=nobody${query}`, { headers })).text();
      return html.match(/<html lang="(\w+)">/)![1];
    };
    assert.equal(await langOf('&hl=th', { 'accept-language': 'bn', cookie: 'lang=bn' }), 'th');
    assert.equal(await langOf('', { 'accept-language': 'th', cookie: 'lang=bn' }), 'bn');
    assert.equal(await langOf('', { 'accept-language': 'fr, bn;q=0.5, en;q=0.4' }), 'bn');
    assert.equal(await langOf('', { 'accept-language': 'th-TH,en;q=0.8' }), 'th');
    assert.equal(await langOf('&hl=fr', { 'accept-language': 'de, fr' }), 'en');
    assert.equal(await langOf('', {}), 'en');
  });
});
