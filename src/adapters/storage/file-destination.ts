/**
 * A folder as the import destination. A write streams into a reserved name beside the key and becomes the key only
 * by a rename once all its bytes are written, so a reader, a crashed process or a failed copy never sees half a file. A process
 * killed mid-write leaves its reserved file behind: the next write of the same key removes it, or, when the write was
 * resumable, continues it (docs/decisions/0004-resumable-copies.md).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Destination, PutOptions, StoredContent, StoredObject } from '../../domain/ports.ts';
import { DigestingStream, dropSource } from './digesting-stream.ts';
import { AppError } from '../../errors.ts';
import { assertSafeKey, assertSafePrefix, isReservedName, isReservedNameOf, reservedName } from './keys.ts';
import { destinationUnavailable, rangeNotSatisfiable, unfinishedGone } from './storage-errors.ts';

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class FileDestination implements Destination {
  readonly description: string;
  /** The folder, absolute. */
  readonly root: string;

  /** `root` is relative to `cwd` (the working directory by default) or absolute. */
  constructor(root: string, cwd: string = process.cwd()) {
    this.root = resolve(cwd, root);
    this.description = `file:${this.root}`;
  }

  #path(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObject> {
    const { signal, resumable, onProgress } = options;
    const path = this.#path(key);
    if (signal?.aborted) {
      dropSource(body);
      throw signal.reason;
    }
    const folder = dirname(path);
    const name = basename(path);
    const partial = join(folder, reservedName(name));
    let digest: DigestingStream;
    let file: WriteStream;
    try {
      await mkdir(folder, { recursive: true }).catch((error: unknown) => {
        throw this.#refusal(error);
      });
      if (resumable?.from) {
        digest = new DigestingStream(await this.#takeOver(folder, name, resumable.from, partial), onProgress);
        file = createWriteStream(partial, { flags: 'r+', start: resumable.from.offset });
      } else {
        await this.#removeUnfinished(folder, name);
        digest = new DigestingStream(undefined, onProgress);
        file = createWriteStream(partial, { flags: 'wx' });
      }
      await resumable?.onUpload(basename(partial));
    } catch (error) {
      dropSource(body);
      await this.#removeQuietly(partial);
      throw error instanceof AppError ? error : this.#refusal(error);
    }
    // The file failing first (no space, a read-only disk) is the destination refusing; a source that broke is not.
    let refused: unknown;
    file.once('error', (error) => {
      if (!body.errored) refused = error;
    });
    try {
      await pipeline(body, digest, file, { signal });
      signal?.throwIfAborted();
      // No fsync: the rename publishes whole files to every reader and survives the process dying; a machine that
      // loses power may lose the last seconds of writes (docs/decisions/0010-copies-off-the-event-loop.md).
      await rename(partial, path).catch((error: unknown) => {
        throw (refused = error);
      });
    } catch (error) {
      const aborted = signal?.aborted === true;
      // A source that broke off leaves what it stored for the next try to continue; nothing else leaves anything.
      if (aborted || refused !== undefined || !resumable) await this.#removeQuietly(partial);
      throw refused !== undefined && !aborted ? this.#refusal(refused) : error;
    }
    return { key, ...digest.result() };
  }

  /**
   * Makes an unfinished write this one's: renamed to `partial` (so a writer that stalled and wakes up can no longer
   * publish it), cut to `offset`, its bytes hashed again from the disk (Node cannot carry a SHA-256's state between
   * processes, and a local read costs far less than the download it saves).
   */
  async #takeOver(folder: string, name: string, from: { upload: string; offset: number }, partial: string) {
    if (!isReservedNameOf(from.upload, name)) throw this.#refusal(new Error(`${from.upload} is no unfinished write of ${name}`));
    await rename(join(folder, from.upload), partial).catch((error: unknown) => {
      if (isNotFound(error)) throw unfinishedGone(name);
      throw this.#refusal(error);
    });
    const handle = await open(partial, 'r+');
    try {
      if ((await handle.stat()).size < from.offset) throw unfinishedGone(name);
      await handle.truncate(from.offset);
      const hash = createHash('sha256');
      if (from.offset > 0) {
        for await (const chunk of handle.createReadStream({ start: 0, end: from.offset - 1, autoClose: false })) hash.update(chunk as Buffer);
      }
      return { hash, bytes: from.offset };
    } finally {
      await handle.close();
    }
  }

  async unfinished(key: string, upload: string): Promise<number> {
    const path = this.#path(key);
    if (!isReservedNameOf(upload, basename(path))) return 0;
    try {
      const info = await stat(join(dirname(path), upload));
      return info.isFile() ? info.size : 0;
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }

  async discard(key: string, upload: string): Promise<void> {
    const path = this.#path(key);
    if (isReservedNameOf(upload, basename(path))) await rm(join(dirname(path), upload), { force: true });
  }

  /** Removes a partial write on the way out of a failure: a failure of its own would only hide the one that matters. */
  async #removeQuietly(partial: string): Promise<void> {
    await rm(partial, { force: true }).catch(() => undefined);
  }

  /**
   * Removes what earlier writes of `name` left unfinished: only a writer that died keeps its reserved file (a failed
   * or aborted one removes its own), and a job runs one copy of a key at a time, so nothing live is in the way.
   */
  async #removeUnfinished(folder: string, name: string): Promise<void> {
    const entries = await readdir(folder).catch((error: unknown) => {
      throw this.#refusal(error);
    });
    await Promise.all(entries.filter((entry) => isReservedNameOf(entry, name)).map((entry) => rm(join(folder, entry), { force: true })));
  }

  /** A file system error as the destination's refusal: its description and the reason, for people and operators. */
  #refusal(error: unknown) {
    const { code, message } = error as NodeJS.ErrnoException;
    return destinationUnavailable(this.description, code ? `${code} (${message})` : String(message), error);
  }

  async get(key: string, options: { range?: { start: number; end?: number } } = {}): Promise<StoredContent | undefined> {
    const path = this.#path(key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isNotFound(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw error;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return undefined;
      }
      const size = info.size;
      const start = options.range?.start ?? 0;
      const end = Math.min(options.range?.end ?? size - 1, size - 1);
      if (options.range && start >= size) throw rangeNotSatisfiable(key, size);
      const body = handle.createReadStream({ start, end, autoClose: true });
      return { body, size, bytes: Math.max(end - start + 1, 0) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.#path(key))).isFile();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.#path(key);
    await rm(path, { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    assertSafePrefix(prefix);
    // A prefix may end inside a name ("a/b" matches "a/b.jpg" and "a/bc/d"), as on S3: walk its folder and filter.
    const folderKey = prefix === '' || prefix.endsWith('/') ? prefix : posix.dirname(prefix) === '.' ? '' : `${posix.dirname(prefix)}/`;
    const folder = join(this.root, ...folderKey.split('/').filter(Boolean));
    let entries;
    try {
      entries = await readdir(folder, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return entries
      .filter((entry) => entry.isFile() && !isReservedName(entry.name))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  /**
   * Removes the folder with everything in it, hidden unfinished writes included (whoever wrote them), then each folder
   * above it that is left empty, up to the root: a cancelled import leaves no trace.
   */
  async removeAll(prefix: string): Promise<void> {
    assertSafePrefix(prefix);
    if (!prefix.endsWith('/')) throw new AppError({ status: 500, code: 'INVALID_STORAGE_KEY', detail: `removeAll takes a folder, not ${JSON.stringify(prefix)}.` });
    const segments = prefix.split('/').filter(Boolean);
    await rm(join(this.root, ...segments), { recursive: true, force: true });
    for (let depth = segments.length - 1; depth > 0; depth -= 1) {
      // rmdir, not rm: a folder another import has just written into stays.
      const removed = await rmdir(join(this.root, ...segments.slice(0, depth))).then(() => true, () => false);
      if (!removed) break;
    }
  }

  async room(): Promise<number> {
    // The root may not exist yet: the nearest folder above it is on the same disk, or the one it will be made on.
    for (let folder = this.root; ; folder = dirname(folder)) {
      try {
        const info = await statfs(folder);
        return info.bavail * info.bsize;
      } catch (error) {
        if (!isNotFound(error) || dirname(folder) === folder) throw this.#refusal(error);
      }
    }
  }

  async check(): Promise<void> {
    const probe = join(this.root, reservedName('check'));
    try {
      await mkdir(this.root, { recursive: true });
      const handle = await open(probe, 'wx');
      try {
        await handle.writeFile('probe');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rm(probe);
    } catch (error) {
      await rm(probe, { force: true }).catch(() => undefined);
      throw this.#refusal(error);
    }
  }
}
