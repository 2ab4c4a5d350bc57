/**
 * Keys are made by the domain, never by a client, but a bug must still not write outside the destination's root:
 * every adapter checks them here, the same way, before touching storage.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors.ts';

/** Names the adapters use for their own transient files (partial writes, readiness probes); no key may take one. */
const RESERVED_NAME = /^\..*\.[0-9a-f]{16}\.part$/;
/** S3's limit on a key, which also keeps paths well below any file system's. */
const MAX_KEY_BYTES = 1024;

function invalidKey(key: string, reason: string): AppError {
  return new AppError({ status: 500, code: 'INVALID_STORAGE_KEY', detail: `Storage key ${JSON.stringify(key)} ${reason}.` });
}

function checkSegments(key: string, segments: string[]): void {
  if (key.length === 0) throw invalidKey(key, 'is empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalidKey(key, `is longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/')) throw invalidKey(key, 'is absolute');
  if (key.includes('\\')) throw invalidKey(key, 'contains a backslash');
  if (key.includes('\0')) throw invalidKey(key, 'contains a NUL character');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw invalidKey(key, 'has an empty, "." or ".." segment');
    if (RESERVED_NAME.test(segment)) throw invalidKey(key, 'uses a name reserved for partial writes');
  }
}

/** Throws unless `key` names an object strictly inside the root: relative, `/`-separated, no `..`, no NUL. */
export function assertSafeKey(key: string): void {
  checkSegments(key, key.split('/'));
}

/** A listing prefix: empty (the whole root), a folder ending in `/`, or the start of a key. */
export function assertSafePrefix(prefix: string): void {
  if (prefix === '') return;
  const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  checkSegments(prefix, folder.split('/'));
}

/** A fresh reserved name beside `name`: it can never collide with a real key nor show up in a listing. */
export function reservedName(name: string): string {
  return `.${name}.${randomBytes(8).toString('hex')}.part`;
}

export function isReservedName(name: string): boolean {
  return RESERVED_NAME.test(name);
}

/** What reservedName adds after the name: a dot, 16 hex digits, `.part`. */
const RESERVED_SUFFIX_LENGTH = '.0123456789abcdef.part'.length;

/** True when `entry` is one of the reserved names made beside `name`, by any writer. */
export function isReservedNameOf(entry: string, name: string): boolean {
  return isReservedName(entry) && entry.slice(1, -RESERVED_SUFFIX_LENGTH) === name;
}
