/**
 * Where to send the browser after sign-in: a path on this site and nothing
 * else. The check is made on the URL the browser will resolve, not on the
 * text: `/.//evil.example`, `/%2e//evil.example`, `/a/..//evil.example` and a
 * tab inside `//` all resolve to a path starting with `//`, which a browser
 * reads as another host.
 */

const BASE = 'http://gateway.invalid';
/** Kept in the session until the callback: long enough for any real page, short enough to keep sessions small. */
const MAX_LENGTH = 2048;

/** `raw` as a same-site path (path, query and fragment), or '/' when it is anything else. */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.length > MAX_LENGTH) return '/';
  let target: URL;
  try {
    target = new URL(raw, BASE);
  } catch {
    return '/';
  }
  if (target.origin !== BASE) return '/';
  const path = `${target.pathname}${target.search}${target.hash}`;
  return path.startsWith('//') || path.startsWith('/\\') ? '/' : path;
}
