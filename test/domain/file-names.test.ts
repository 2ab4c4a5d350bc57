import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeFileName, uniqueFileName } from '../../src/domain/file-names.ts';

describe('names of imported files', () => {
  it('when Google names a file plainly, then the name is kept', () => {
    assert.equal(safeFileName('IMG_2024.jpg', 'x.jpg'), 'IMG_2024.jpg');
    assert.equal(safeFileName('ภาพถ่าย วันเกิด.jpg', 'x.jpg'), 'ภาพถ่าย วันเกิด.jpg');
    assert.equal(safeFileName('ছবি.heic', 'x.heic'), 'ছবি.heic');
  });

  it('when a name carries path parts, dots or control characters, then none of them survive', () => {
    for (const [raw, safe] of [
      ['../../etc/passwd', '_.._etc_passwd'],
      ['a/b\\c.jpg', 'a_b_c.jpg'],
      ['..', 'fallback.jpg'],
      ['.', 'fallback.jpg'],
      ['   ', 'fallback.jpg'],
      ['.hidden.jpg', 'hidden.jpg'],
      ['bad\u0000name\n.jpg', 'bad_name_.jpg'],
      ['evil\u202Egpj.exe', 'evil_gpj.exe'],
      ['C:photo.jpg', 'C_photo.jpg'],
    ] as const) {
      const name = safeFileName(raw, 'fallback.jpg');
      assert.equal(name, safe, raw);
      assert.doesNotMatch(name, /[/\\\u0000-\u001f]/);
      assert.notEqual(name, '..');
    }
  });

  it('when there is no name at all, then the fallback is used', () => {
    assert.equal(safeFileName(undefined, 'AF1Qip123.mp4'), 'AF1Qip123.mp4');
    assert.equal(safeFileName('', 'AF1Qip123.mp4'), 'AF1Qip123.mp4');
  });

  it('when a name is longer than 200 bytes, then it is cut between characters and keeps its extension', () => {
    const name = safeFileName(`${'ก'.repeat(150)}.jpg`, 'x.jpg');
    assert.ok(Buffer.byteLength(name) <= 200, String(Buffer.byteLength(name)));
    assert.ok(name.endsWith('.jpg'));
    assert.equal(name.normalize('NFC'), name);
    assert.doesNotMatch(name, /\uFFFD/, 'no character was split');
  });

  it('when two items share a name (in any case), then the later ones are numbered before the extension', () => {
    const taken = new Set<string>();
    assert.deepEqual(['a.jpg', 'A.JPG', 'a.jpg', 'b'].map((name) => uniqueFileName(name, taken)), ['a.jpg', 'A (2).JPG', 'a (3).jpg', 'b']);
  });

  it('when a numbered name would pass 200 bytes, then the stem gives way to the number', () => {
    const long = `${'x'.repeat(196)}.jpg`;
    const taken = new Set<string>();
    uniqueFileName(long, taken);
    const second = uniqueFileName(long, taken);
    assert.ok(Buffer.byteLength(second) <= 200);
    assert.ok(second.endsWith(' (2).jpg'));
  });
});
