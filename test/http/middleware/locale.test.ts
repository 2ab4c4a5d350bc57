import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../helpers/harness.ts';

describe('the page language', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
  });
  after(() => h.close());

  const pageLanguage = async (headers: Record<string, string>, path = '/') => {
    const response = await fetch(`${h.url}${path}`, { headers: { accept: 'text/html', ...headers } });
    assert.equal(response.status, 200, JSON.stringify(headers));
    return (await response.text()).match(/<html lang="([^"]+)">/)?.[1];
  };

  it('when the lang cookie is malformed, then it is ignored and the page comes in the negotiated language', async () => {
    for (const cookie of ['lang=%', 'lang=%E0%A4', 'lang="th', 'lang=xx', '=;=;;', 'lang']) {
      assert.equal(await pageLanguage({ cookie, 'accept-language': 'th-TH,th;q=0.9' }), 'th', cookie);
    }
  });

  it('when Accept-Language is negotiated, then q-values and region tags count and English is the fallback', async () => {
    assert.equal(await pageLanguage({ 'accept-language': 'th-TH,th;q=0.9,en;q=0.8' }), 'th');
    assert.equal(await pageLanguage({ 'accept-language': 'fr, bn;q=0.5, en;q=0.4' }), 'bn');
    assert.equal(await pageLanguage({ 'accept-language': 'de, fr' }), 'en');
    assert.equal(await pageLanguage({}), 'en');
    assert.equal(await pageLanguage({ 'accept-language': ';;;q=x,,' }), 'en');
  });

  it('when a language was chosen, then the choice beats Accept-Language, and a switch is remembered in the lang cookie', async () => {
    assert.equal(await pageLanguage({ cookie: 'lang=bn', 'accept-language': 'th' }), 'bn');
    assert.equal(await pageLanguage({ cookie: 'lang=bn' }, '/?lang=th'), 'th');
    const response = await fetch(`${h.url}/?lang=th`);
    assert.match(response.headers.getSetCookie().join('\n'), /^lang=th;.*HttpOnly/m);
  });
});
