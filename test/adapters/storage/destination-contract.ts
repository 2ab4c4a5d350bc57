/** What every Destination adapter promises the domain (src/domain/ports.ts), run against each adapter. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Destination } from '../../../src/domain/ports.ts';
import { generatedBytes, generatedStream, readAll, sha256Of } from './generated-bytes.ts';

export interface DestinationSubject {
  destination: Destination;
  /** Whatever a failed or aborted write left behind (partial files, open multipart uploads); empty when clean. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
/** Past the first multipart part, so a failure meets an upload in progress rather than a single PUT. */
const MIDWAY = 20 * MiB;

const isInvalidKey = (error: unknown) => (error as { code?: string }).code === 'INVALID_STORAGE_KEY';

export function destinationContract(name: string, setup: () => Promise<DestinationSubject>): void {
  describe(`${name}: the destination contract`, () => {
    let subject: DestinationSubject;
    let destination: Destination;
    let folder = 0;
    /** Each test writes in its own folder, so they share one server without seeing each other. */
    const fresh = () => `t${(folder += 1)}/`;

    before(async () => {
      subject = await setup();
      destination = subject.destination;
    });
    after(() => subject.close());

    it('when 40 MiB are put, then get answers the same bytes and put answered their size and SHA-256', async () => {
      const key = `${fresh()}big.bin`;
      const size = 40 * MiB;
      const expected = await sha256Of(generatedStream(size));

      const stored = await destination.put(key, generatedStream(size), { contentType: 'application/octet-stream' });

      assert.deepEqual(stored, { key, bytes: size, sha256: expected.sha256 });
      const content = await destination.get(key);
      assert.ok(content);
      assert.equal(content.size, size);
      assert.equal(content.bytes, size);
      assert.deepEqual(await sha256Of(content.body), expected);
    });

    it('when writes of several parts go on at once and one after another, then each object holds its own bytes', async () => {
      const folder = fresh();
      // Three lanes of two writes each: a write starts as another ends, while the other lanes are mid-way. Each holds
      // its own bytes (generated from its own offset), so bytes landing in the wrong object would show.
      const writes = Array.from({ length: 6 }, (_, index) => ({ key: `${folder}w${index}.bin`, start: 1_000 * (index + 1) + index, size: (9 + 3 * index) * MiB }));
      const bytesOf = ({ start, size }: { start: number; size: number }) => generatedStream(start + size, { start });
      const lane = async (ours: typeof writes) => {
        for (const write of ours) await destination.put(write.key, bytesOf(write));
      };
      await Promise.all([lane([writes[0]!, writes[3]!]), lane([writes[1]!, writes[4]!]), lane([writes[2]!, writes[5]!])]);
      for (const write of writes) {
        const content = await destination.get(write.key);
        assert.ok(content, write.key);
        assert.deepEqual(await sha256Of(content.body), await sha256Of(bytesOf(write)), write.key);
      }
    });

    it('when a byte range is asked, then only those bytes come back, with the whole size beside them', async () => {
      const key = `${fresh()}small.bin`;
      await destination.put(key, Readable.from([generatedBytes(0, 1000)]));

      const middle = await destination.get(key, { range: { start: 100, end: 199 } });
      assert.ok(middle);
      assert.deepEqual({ size: middle.size, bytes: middle.bytes }, { size: 1000, bytes: 100 });
      assert.deepEqual(await readAll(middle.body), generatedBytes(100, 100));

      const tail = await destination.get(key, { range: { start: 990 } });
      assert.ok(tail);
      assert.deepEqual({ size: tail.size, bytes: tail.bytes }, { size: 1000, bytes: 10 });
      assert.deepEqual(await readAll(tail.body), generatedBytes(990, 10));

      const beyond = await destination.get(key, { range: { start: 2000, end: 2100 } }).catch((error: unknown) => error);
      assert.equal((beyond as { status?: number }).status, 416);
    });

    it('when a key has no object, then get answers undefined and exists false', async () => {
      const key = `${fresh()}missing.jpg`;
      assert.equal(await destination.get(key), undefined);
      assert.equal(await destination.exists(key), false);
    });

    it('when the source fails midway, then put rejects with its error and nothing is left behind', async () => {
      const prefix = fresh();
      const failure = new Error('the source broke');
      const source = generatedStream(40 * MiB, { failAfter: { bytes: MIDWAY, error: failure } });

      await assert.rejects(destination.put(`${prefix}broken.bin`, source), failure);

      assert.equal(await destination.exists(`${prefix}broken.bin`), false);
      assert.deepEqual(await destination.list(prefix), []);
      assert.deepEqual(await subject.leftovers(), []);
    });

    it('when the signal aborts midway, then put rejects, stops reading and nothing is left behind', async () => {
      const prefix = fresh();
      const controller = new AbortController();
      let bytesRead = 0;
      const source = generatedStream(200 * MiB, {
        onRead: (total) => {
          bytesRead = total;
          if (total >= MIDWAY) controller.abort();
        },
      });

      await assert.rejects(destination.put(`${prefix}aborted.bin`, source, { signal: controller.signal }), { name: 'AbortError' });

      assert.ok(bytesRead < 100 * MiB, `read ${bytesRead} bytes after the abort`);
      assert.ok(source.destroyed);
      assert.equal(await destination.exists(`${prefix}aborted.bin`), false);
      assert.deepEqual(await subject.leftovers(), []);
    });

    it('when the source of a resumable write breaks off, then what is stored stays, unlisted, and a later put goes on from it, whole and with the right SHA-256', async () => {
      const prefix = fresh();
      const key = `${prefix}resumed.bin`;
      const size = 40 * MiB;
      const expected = await sha256Of(generatedStream(size));
      const failure = new Error('the source broke');
      const uploads: string[] = [];
      const resumable = { onUpload: async (upload: string) => void uploads.push(upload) };

      await assert.rejects(destination.put(key, generatedStream(size, { failAfter: { bytes: MIDWAY, error: failure } }), { resumable }), failure);

      assert.equal(uploads.length, 1);
      assert.deepEqual(await destination.list(prefix), [], 'an unfinished write is no object');
      assert.equal(await destination.exists(key), false);
      const offset = await destination.unfinished(key, uploads[0]!);
      assert.ok(offset > 0 && offset <= MIDWAY, `${offset} bytes stored`);

      let tailRead = 0;
      const tail = generatedStream(size, { start: offset, onRead: (total) => (tailRead = total - offset) });
      const stored = await destination.put(key, tail, { resumable: { ...resumable, from: { upload: uploads[0]!, offset } } });

      assert.deepEqual(stored, { key, bytes: size, sha256: expected.sha256 });
      assert.equal(tailRead, size - offset, 'only the bytes not stored were read');
      const content = await destination.get(key);
      assert.ok(content);
      assert.deepEqual(await sha256Of(content.body), expected);
      assert.deepEqual(await destination.list(prefix), [key]);
      assert.deepEqual(await subject.leftovers(), []);
    });

    it('when a resumable write is aborted, or its unfinished write discarded, then nothing is left behind', async () => {
      const prefix = fresh();
      const controller = new AbortController();
      const source = generatedStream(40 * MiB, { onRead: (total) => total >= MIDWAY && controller.abort() });
      await assert.rejects(
        destination.put(`${prefix}aborted.bin`, source, { signal: controller.signal, resumable: { onUpload: async () => undefined } }),
        { name: 'AbortError' },
      );
      assert.deepEqual(await subject.leftovers(), []);

      let upload = '';
      const broken = generatedStream(40 * MiB, { failAfter: { bytes: MIDWAY, error: new Error('the source broke') } });
      await assert.rejects(destination.put(`${prefix}broken.bin`, broken, { resumable: { onUpload: async (name) => void (upload = name) } }));
      assert.ok((await destination.unfinished(`${prefix}broken.bin`, upload)) > 0);
      await destination.discard(`${prefix}broken.bin`, upload);
      assert.equal(await destination.unfinished(`${prefix}broken.bin`, upload), 0);
      assert.deepEqual(await subject.leftovers(), []);
    });

    it('when a folder is removed whole, then its objects and its unfinished writes go, whoever wrote them, and nothing beside it', async () => {
      const prefix = fresh();
      await destination.put(`${prefix}keep.txt`, Readable.from([Buffer.from('stays')]));
      await destination.put(`${prefix}session/a.txt`, Readable.from([Buffer.from('a')]));
      const broken = generatedStream(40 * MiB, { failAfter: { bytes: MIDWAY, error: new Error('the writer died') } });
      await assert.rejects(destination.put(`${prefix}session/b.bin`, broken, { resumable: { onUpload: async () => undefined } }));

      await destination.removeAll(`${prefix}session/`);

      assert.deepEqual(await destination.list(prefix), [`${prefix}keep.txt`]);
      assert.deepEqual(await subject.leftovers(), []);
    });

    it('when the signal is already aborted, then put writes nothing', async () => {
      const prefix = fresh();
      await assert.rejects(
        destination.put(`${prefix}never.bin`, generatedStream(MiB), { signal: AbortSignal.abort() }),
        { name: 'AbortError' },
      );
      assert.deepEqual(await destination.list(prefix), []);
      assert.deepEqual(await subject.leftovers(), []);
    });

    it('when objects are put in folders, then list finds the keys under a prefix, and remove takes one away', async () => {
      const prefix = fresh();
      for (const key of ['a/b/1.jpg', 'a/b/2.jpg', 'a/c.jpg', 'other.jpg']) {
        await destination.put(`${prefix}${key}`, Readable.from([Buffer.from(key)]));
      }

      assert.deepEqual(await destination.list(`${prefix}a/`), [`${prefix}a/b/1.jpg`, `${prefix}a/b/2.jpg`, `${prefix}a/c.jpg`]);
      assert.deepEqual(await destination.list(`${prefix}a/b/`), [`${prefix}a/b/1.jpg`, `${prefix}a/b/2.jpg`]);
      assert.deepEqual(await destination.list(prefix), [`${prefix}a/b/1.jpg`, `${prefix}a/b/2.jpg`, `${prefix}a/c.jpg`, `${prefix}other.jpg`]);
      assert.deepEqual(await destination.list(`${prefix}nothing/`), []);

      assert.equal(await destination.exists(`${prefix}a/c.jpg`), true);
      await destination.remove(`${prefix}a/c.jpg`);
      assert.equal(await destination.exists(`${prefix}a/c.jpg`), false);
      await destination.remove(`${prefix}a/c.jpg`);
      assert.deepEqual(await destination.list(`${prefix}a/`), [`${prefix}a/b/1.jpg`, `${prefix}a/b/2.jpg`]);
    });

    it('when a key is put again, then the new bytes replace the old ones whole', async () => {
      const key = `${fresh()}again.txt`;
      await destination.put(key, Readable.from([Buffer.from('first version, longer')]));
      await destination.put(key, Readable.from([Buffer.from('second')]));
      const content = await destination.get(key);
      assert.ok(content);
      assert.equal((await readAll(content.body)).toString(), 'second');
    });

    for (const key of ['../escape.jpg', 'a/../../escape.jpg', '/etc/passwd', 'a\\..\\b.jpg', 'a\0b.jpg', '', 'a//b.jpg', 'a/./b.jpg', '.x.0123456789abcdef.part']) {
      it(`when a key like ${JSON.stringify(key)} could leave the root or hide, then every operation refuses it`, async () => {
        await assert.rejects(destination.put(key, Readable.from([Buffer.from('x')])), isInvalidKey);
        await assert.rejects(destination.get(key), isInvalidKey);
        await assert.rejects(destination.exists(key), isInvalidKey);
        await assert.rejects(destination.remove(key), isInvalidKey);
      });
    }

    it('when a listing prefix climbs out of the root, then list refuses it', async () => {
      await assert.rejects(destination.list('../'), isInvalidKey);
      await assert.rejects(destination.list('/'), isInvalidKey);
    });

    it('when the destination takes writes, then check passes and leaves no object', async () => {
      const before = await destination.list('');
      await destination.check();
      assert.deepEqual(await destination.list(''), before);
      assert.deepEqual(await subject.leftovers(), []);
    });
  });
}
