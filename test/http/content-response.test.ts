import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'content-disposition';
import { attachmentHeader, inlineType } from '../../src/http/content-response.ts';

describe('how an item\'s bytes are served', () => {
  it('when the type is a picture or a video, then it is served inline with that type (its essence, in lower case)', () => {
    for (const [type, served] of [
      ['image/jpeg', 'image/jpeg'], ['image/png', 'image/png'], ['image/heic', 'image/heic'], ['IMAGE/GIF', 'image/gif'],
      ['image/webp; q=1', 'image/webp'], ['video/mp4', 'video/mp4'], ['video/quicktime', 'video/quicktime'],
    ] as const) {
      assert.equal(inlineType(type), served, type);
    }
  });

  it('when the type is anything a browser could run or render as a document (SVG and XML among pictures), or no type, then it is not served inline', () => {
    for (const type of [
      'text/html', 'text/html; charset=utf-8', 'image/svg+xml', 'IMAGE/SVG+XML; charset=utf-8', 'image/svg', 'image/vnd.svg', 'image/x-foo+xml',
      'application/xhtml+xml', 'text/xml', 'application/xml', 'text/plain', 'application/pdf', 'application/javascript', 'text/javascript',
      'multipart/x-mixed-replace', 'image/', 'image', 'video', 'image/png/../html', 'image/png\r\nx: y', ' ', '', null, undefined,
    ]) {
      assert.equal(inlineType(type), undefined, String(type));
    }
  });

  it('when a download is named, then `filename` is plain ASCII and `filename*` carries the name in UTF-8 whenever the two differ', () => {
    const plain = parse(attachmentHeader('IMG_0042.jpg'));
    assert.deepEqual([plain.type, { ...plain.parameters }], ['attachment', { filename: 'IMG_0042.jpg' }]);
    for (const name of ['ภาพถ่าย วันเกิด.jpg', 'ছবি.heic', 'café.png', 'rate 100%41.txt', '_CON.txt', 'a "b".jpg']) {
      const header = attachmentHeader(name);
      assert.match(header, /^attachment; /);
      const { parameters } = parse(header, { extended: false });
      assert.match(parameters.filename!, /^[\x20-\x7e]*$/, `${name}: ${header}`);
      assert.doesNotMatch(parameters.filename!, /%[0-9A-Fa-f]{2}/, 'no escape a browser could decode in the plain name');
      assert.equal(parse(header).parameters.filename, name, `${name} reads back whole: ${header}`);
    }
    assert.equal(attachmentHeader('café.png'), "attachment; filename=cafe.png; filename*=UTF-8''caf%C3%A9.png");
  });
});
