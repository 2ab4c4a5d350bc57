import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itemFileName, safeFileName, uniqueFileName } from '../../src/domain/file-names.ts';
import type { PickedMediaItem } from '../../src/domain/ports.ts';

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

  it('when the fallback (Google\'s item id) carries path parts or dots, then it is cleaned as a name is, and makes no folder', () => {
    for (const [fallback, safe] of [
      ['id/with/slash.jpg', 'id_with_slash.jpg'],
      ['../../up.jpg', '_.._up.jpg'],
      ['..\\..\\up.jpg', '_.._up.jpg'],
      ['nul.jpg', '_nul.jpg'],
      ['..', 'item'],
      ['', 'item'],
    ] as const) {
      const name = safeFileName(undefined, fallback);
      assert.equal(name, safe, fallback);
      assert.doesNotMatch(name, /[/\\]/);
    }
  });

  it('when an item has no filename, then its name is its id, cleaned, with the extension of its kind', () => {
    const item = (id: string, type: PickedMediaItem['type'], filename?: string): PickedMediaItem =>
      ({ id, type, mediaFile: { baseUrl: 'https://x.googleusercontent.com/a', ...(filename === undefined ? {} : { filename }) } });
    assert.equal(itemFileName(item('id/with/slash', 'PHOTO')), 'id_with_slash.jpg');
    assert.equal(itemFileName(item('id/with/slash', 'VIDEO')), 'id_with_slash.mp4');
    assert.equal(itemFileName(item('AF1Qip', 'PHOTO', '../IMG 1.heic')), '_IMG 1.heic');
    assert.equal(itemFileName(item('AF1Qip', 'PHOTO', '/')), 'AF1Qip.jpg');
  });

  it('when a name is a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9), with or without extensions or case, then it is not one any more', () => {
    const devices = ['CON', 'PRN', 'AUX', 'NUL', 'CONIN$', 'CONOUT$', ...Array.from({ length: 10 }, (_, n) => `COM${n}`), ...Array.from({ length: 10 }, (_, n) => `LPT${n}`), 'COM¹', 'LPT³'];
    for (const device of devices) {
      for (const raw of [device, device.toLowerCase(), `${device.toLowerCase()}.txt`, `${device}.tar.gz`, `${device} .jpg`, `${device}.`]) {
        const name = safeFileName(raw, 'fallback.jpg');
        const stem = name.split('.')[0]!.trimEnd();
        assert.doesNotMatch(stem, /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i, `${raw} became ${name}`);
        assert.ok(name.toLowerCase().includes(device.toLowerCase()), `${raw} keeps its words: ${name}`);
      }
    }
    assert.equal(safeFileName('con.txt', 'x'), '_con.txt');
    assert.equal(safeFileName('CON', 'x'), '_CON');
  });

  it('when a name only looks like a device name, then it is kept', () => {
    for (const name of ['console.txt', 'CONFIG.SYS', 'com10.jpg', 'lpt.jpg', 'auxiliary.png', 'null.png', 'nul_1.jpg', 'my con.txt']) {
      assert.equal(safeFileName(name, 'x'), name);
    }
  });

  it('when a name ends with dots or spaces (which Windows drops), then they are dropped here, so two names never meet there', () => {
    assert.equal(safeFileName('photo.jpg.', 'x'), 'photo.jpg');
    assert.equal(safeFileName('photo.jpg . ', 'x'), 'photo.jpg');
    assert.equal(safeFileName(`${'x'.repeat(199)} y`, 'x'), 'x'.repeat(199));
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
