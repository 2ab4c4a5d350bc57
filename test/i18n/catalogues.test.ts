import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { IntlMessageFormat } from 'intl-messageformat';
import { LOCALES, MissingMessageError, createMessages } from '../../src/i18n/core.ts';
import { gatewayMessages } from '../../src/i18n/index.ts';

const SCRIPT = { th: /[\u0E00-\u0E7F]/, bn: /[\u0980-\u09FF]/ } as const;

function catalogues(dir: URL) {
  return Object.fromEntries(LOCALES.map((locale) => [locale, JSON.parse(readFileSync(new URL(`${locale}.json`, dir), 'utf8')) as Record<string, string>]));
}

const sets = {
  gateway: new URL('../../src/i18n/messages/', import.meta.url),
};

describe('message catalogues', () => {
  for (const [name, dir] of Object.entries(sets)) {
    it(`when the ${name} catalogues are compared, then every language has exactly the same keys`, () => {
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.json')).sort(), LOCALES.map((l) => `${l}.json`).sort());
      const all = catalogues(dir);
      const english = Object.keys(all.en!).sort();
      assert.ok(english.length > 10);
      for (const locale of LOCALES) assert.deepEqual(Object.keys(all[locale]!).sort(), english, locale);
    });

    it(`when the ${name} messages are compiled, then each parses, uses the same arguments as English, and is really translated`, () => {
      const all = catalogues(dir);
      const argumentsOf = (message: string) => [...message.matchAll(/\{\s*(\w+)/g)].map((m) => m[1]).sort();
      for (const locale of LOCALES) {
        for (const [key, message] of Object.entries(all[locale]!)) {
          assert.doesNotThrow(() => new IntlMessageFormat(message, locale), `${locale} ${key}`);
          assert.deepEqual([...new Set(argumentsOf(message))], [...new Set(argumentsOf(all.en![key]!))], `${locale} ${key} arguments`);
          if (locale !== 'en' && /[a-z]{3,}/i.test(all.en![key]!.replace(/Google( Photos)?|Photos Picker Gateway|\{[^}]*\}/g, ''))) {
            assert.match(message, SCRIPT[locale], `${locale} ${key} is not translated: ${message}`);
          }
        }
      }
    });
  }

  it('when Thai text is cut into words as browsers cut its lines, then no known word is cut inside', () => {
    const th = Object.values(gatewayMessages.catalogues.th).join(' ');
    const words = [...new Intl.Segmenter('th', { granularity: 'word' }).segment(th)].map((part) => part.segment);
    for (const fragment of ['โท', 'เค็น', 'น้อยห', 'นึ่ง', 'แล้วก', 'ลับ']) assert.ok(!words.includes(fragment), `"${fragment}" is not a Thai word`);
    assert.ok(th.includes(`โ\u2060ท\u2060เ\u2060ค\u2060็\u2060น`), 'token, kept whole');
  });

  it('when the gateway\'s messages are read, then none writes a number itself: every number comes through Intl, in the page\'s digits', () => {
    for (const locale of LOCALES) {
      for (const [key, message] of Object.entries(catalogues(sets.gateway)[locale]!)) {
        assert.doesNotMatch(message.replace(/\{[^{}]*\}/g, ''), /[0-9\u09E6-\u09EF\u0E50-\u0E59]/, `${locale} ${key}`);
      }
    }
  });

  it('when a number is given to a plain argument, then it is in the page\'s digits, as in a typed one', () => {
    const messages = createMessages({ en: { a: '{n} of {m, number}' }, th: { a: '{n} / {m, number}' }, bn: { a: '{m, number}টির মধ্যে {n}টি' } });
    assert.equal(messages.translator('bn')('a', { n: 3, m: 24 }), '২৪টির মধ্যে ৩টি');
    assert.equal(messages.translator('en')('a', { n: 1600, m: 12345 }), '1600 of 12,345');
    assert.equal(messages.translator('bn')('a', { n: '{n}', m: 24 }), '২৪টির মধ্যে {n}টি', 'a placeholder stays as it is');
  });

  it('when a key is missing, then it throws instead of showing the key', () => {
    const messages = createMessages({ en: { a: 'A' }, th: { a: 'ก' }, bn: { a: 'অ' } });
    assert.throws(() => messages.translator('th')('b'), MissingMessageError);
    assert.equal(messages.translator('bn')('a'), 'অ');
  });

  it('when numbers and plurals are formatted, then each language follows its own rules through Intl', () => {
    const all = catalogues(sets.gateway);
    const heading = (locale: 'en' | 'th' | 'bn', count: number) => new IntlMessageFormat(all[locale]!['session.complete.heading']!, locale).format({ count });
    assert.equal(heading('en', 1), '1 item picked');
    assert.equal(heading('en', 3), '3 items picked');
    assert.match(String(heading('bn', 3)), /৩/, 'Bengali digits');
    assert.match(String(heading('th', 1200)), /1,200/);
  });
});
