/**
 * A folder as the import destination. A write streams into a reserved name beside the key and becomes the key only
 * by a rename once its bytes are on disk, so a reader, a crash or a failed copy never sees half a file. A process
 * killed mid-write leaves its reserved file behind: the next write of the same key removes it.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Destination, StoredContent, StoredObject } from '../../domain/ports.ts';
import { DigestingStream } from './digesting-stream.ts';
import { assertSafeKey, assertSafePrefix, isReservedName, isReservedNameOf, reservedName } from './keys.ts';
import { destinationUnavailable, rangeNotSatisfiable } from './storage-errors.ts';

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Makes a rename (or a new file) in `folder` durable: the entry itself lives in the folder's own data. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FileDestination implements Destination {
  readonly description: string;
  readonly #root: string;

  /** `root` is relative to `cwd` (the working directory by default) or absolute. */
  constructor(root: string, cwd: string = process.cwd()) {
    this.#root = resolve(cwd, root);
    this.description = `file:${this.#root}`;
  }

  #path(key: string): string {
    assertSafeKey(key);
    return join(this.#root, ...key.split('/'));
  }

  async put(key: string, body: Readable, options: { contentType?: string; signal?: AbortSignal } = {}): Promise<StoredObject> {
    const path = this.#path(key);
    const folder = dirname(path);
    await mkdir(folder, { recursive: true }).catch((error: unknown) => {
      throw this.#refusal(error);
    });
    await this.#removeUnfinished(folder, basename(path));
    const partial = join(folder, reservedName(basename(path)));
    const digest = new DigestingStream();
    // flush: the file is fsynced before it closes, so the rename below never publishes bytes still in the page cache.
    const file = createWriteStream(partial, { flags: 'wx', flush: true });
    // The file failing first (no space, a read-only disk) is the destination refusing; a source that broke is not.
    let refused: unknown;
    file.once('error', (error) => {
      if (!body.errored) refused = error;
    });
    try {
      await pipeline(body, digest, file, { signal: options.signal });
      options.signal?.throwIfAborted();
      await rename(partial, path).catch((error: unknown) => {
        throw (refused = error);
      });
    } catch (error) {
      await rm(partial, { force: true });
      throw refused !== undefined && !options.signal?.aborted ? this.#refusal(refused) : error;
    }
    await syncFolder(folder);
    return { key, ...digest.result() };
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
    const folder = join(this.#root, ...folderKey.split('/').filter(Boolean));
    let entries;
    try {
      entries = await readdir(folder, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return entries
      .filter((entry) => entry.isFile() && !isReservedName(entry.name))
      .map((entry) => relative(this.#root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async check(): Promise<void> {
    const probe = join(this.#root, reservedName('check'));
    try {
      await mkdir(this.#root, { recursive: true });
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
